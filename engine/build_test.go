package engine_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigmalab/app/apptest"
	"sigmalab/engine"
	"sigmalab/engine/market"
	"sigmalab/engine/matrix"
)

// cutStore hides every market row that is not known at time cut: bars and
// option minutes starting at or after cut, and chain snapshots taken after
// cut. A snapshot stamped at cut was taken at the close of the bar that ends
// there and is known with it (the demo's hourly snapshots sit on bar
// boundaries; iv_realized_spread reads "the latest snapshot at or before the
// row's end"). The daily bar of a session still open at cut is replaced by the
// bar as it stands then, built from the minutes before cut: its open is known,
// its high, low, close and volume only so far.
type cutStore struct {
	market.Store
	cut int64
}

func (s cutStore) ReadBars(ctx context.Context, ticker, tf string, from, to int64) (*market.Bars, error) {
	if to <= 0 || to > s.cut {
		to = s.cut
	}
	b, err := s.Store.ReadBars(ctx, ticker, tf, from, to)
	if err != nil || b == nil || tf != market.TF1d {
		return b, err
	}
	out := market.NewBars(b.Ticker, b.Timeframe, b.Source, b.Len())
	for i := range b.TS {
		sess, ok := market.SessionOn(market.SessionDate(b.TS[i]))
		switch {
		case ok && sess.Close <= s.cut:
			out.AppendFrom(b, i)
		case ok && sess.Open < s.cut:
			mins, err := s.Store.ReadBars(ctx, ticker, market.TF1m, sess.Open, s.cut)
			if err != nil {
				return nil, err
			}
			if mins.Len() == 0 {
				continue
			}
			o, h, l, c, v, pv := mins.Open[0], math.Inf(-1), math.Inf(1), mins.Close[mins.Len()-1], 0.0, 0.0
			for j := range mins.TS {
				h, l = math.Max(h, mins.High[j]), math.Min(l, mins.Low[j])
				v += mins.Volume[j]
				pv += mins.Volume[j] * mins.VWAP[j]
			}
			out.Append(b.TS[i], o, h, l, c, v, pv/v)
		}
	}
	return out, nil
}

func (s cutStore) ReadOptionBars(ctx context.Context, u, date string) (*market.OptionBars, error) {
	ob, err := s.Store.ReadOptionBars(ctx, u, date)
	if err != nil || ob == nil {
		return ob, err
	}
	out := &market.OptionBars{Underlying: ob.Underlying, Source: ob.Source}
	for i := range ob.TS {
		if ob.TS[i] < s.cut {
			out.AppendFrom(ob, i)
		}
	}
	return out, nil
}

func (s cutStore) ReadContractBars(ctx context.Context, sym string, from, to int64) (*market.OptionBars, error) {
	if to <= 0 || to > s.cut {
		to = s.cut
	}
	return s.Store.ReadContractBars(ctx, sym, from, to)
}

func (s cutStore) ReadChains(ctx context.Context, u string, from, to int64) (*market.Chain, error) {
	if to <= 0 || to > s.cut+1 {
		to = s.cut + 1 // [from, to) is half-open: the snapshot at cut stays
	}
	return s.Store.ReadChains(ctx, u, from, to)
}

// spyLab is a Lab over one SPY market in a temp dir.
type spyLab struct {
	name string
	lab  *engine.Lab
	st   market.Store
	real bool
}

// spyLabs gives the build tests their markets: a small demo market made by the
// project's generator always, and the real sample files beside the repository
// as an extra case when they are present.
func spyLabs(t *testing.T) []spyLab {
	t.Helper()
	labs := []spyLab{demoSPYLab(t)}
	if l, ok := realSPYLab(t); ok {
		labs = append(labs, l)
	}
	return labs
}

// newSPYLab opens the storage of a Lab under a temp dir; fill writes its market.
func newSPYLab(t *testing.T, fill func(st market.Store) error) (*engine.Lab, market.Store) {
	t.Helper()
	lab := apptest.New(t).Lab // real storage, wired as in production, empty market
	if err := fill(lab.Market); err != nil {
		t.Fatal(err)
	}
	return lab, lab.Market
}

// demoSPYLab seeds SPY from 2024-05-01 (warm-up sessions) to 2024-07-05 with
// 0DTE option minute bars from 2024-07-01: the real sample files' dates,
// 2024-07-03 half day included.
func demoSPYLab(t *testing.T) spyLab {
	lab, st := newSPYLab(t, func(st market.Store) error {
		cfg := market.DefaultDemoConfig(market.DemoSeed)
		cfg.Tickers = cfg.Tickers[:1] // SPY
		cfg.Start, cfg.End, cfg.OptionsFrom = "2024-05-01", "2024-07-05", "2024-07-01"
		_, err := market.SeedDemo(context.Background(), st, cfg)
		return err
	})
	return spyLab{name: "demo", lab: lab, st: st}
}

// realSPYLab imports the real sample files, when they are present.
func realSPYLab(t *testing.T) (spyLab, bool) {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data", "polygon-cache")
	if _, err := os.Stat(dir); err != nil {
		return spyLab{}, false
	}
	lab, st := newSPYLab(t, func(st market.Store) error {
		files, _ := filepath.Glob(filepath.Join(dir, "O_SPY24070[123]*.json"))
		files = append(files, filepath.Join(dir, "SPY_hour_2024-06-25_2024-07-05.json"))
		im := &market.Importer{Store: st}
		_, err := im.ImportPaths(context.Background(), files, market.ImportOptions{})
		return err
	})
	return spyLab{name: "real", lab: lab, st: st, real: true}, true
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// TestBuildNoLookAheadWithIndicators rebuilds the shipped 0DTE models (their
// real indicator sets and labels) from market data truncated at the end of row
// k; rows ≤ k must not change, except label columns whose T1 lies after the cut.
func TestBuildNoLookAheadWithIndicators(t *testing.T) {
	for _, l := range spyLabs(t) {
		t.Run(l.name, func(t *testing.T) { testBuildNoLookAhead(t, l.lab, l.st) })
	}
}

func testBuildNoLookAhead(t *testing.T, lab *engine.Lab, st market.Store) {
	ctx := context.Background()
	for _, model := range []string{"spy_opt_0dte_hourly", "spy_opt_0dte_hourly_headfake_1030", "spy_eq_intraday_hourly"} {
		req := engine.BuildRequest{ModelID: model, Start: "2024-07-01", End: "2024-07-03"}
		full, id, err := build(ctx, lab, req)
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		_ = id
		labels := map[string]bool{}
		for _, c := range strings.Split(full.Meta["label_columns"], ",") {
			labels[c] = true
		}
		for _, k := range []int{2, 6, 9, 14} {
			if k >= full.Len() {
				continue
			}
			cut := full.TS[k] + 3600_000
			lab.Market = cutStore{Store: st, cut: cut}
			part, _, err := build(ctx, lab, req)
			lab.Market = st
			if err != nil {
				t.Fatalf("%s cut %d: %v", model, k, err)
			}
			for i := 0; i <= k; i++ {
				if part.TS[i] != full.TS[i] {
					t.Fatalf("%s cut %d: row %d key differs", model, k, i)
				}
				done := full.T1[i] <= cut
				for j, name := range full.Names {
					if labels[name] && !done {
						continue
					}
					if c := part.Col(name); c == nil || !sameFloat(c[i], full.Cols[j][i]) {
						t.Fatalf("%s cut %d: %s at row %d reads later data (%v vs %v)", model, k, name, i, full.Cols[j][i], c[i])
					}
				}
				if done && part.TextCol("y")[i] != full.TextCol("y")[i] {
					t.Fatalf("%s cut %d: label of row %d changed", model, k, i)
				}
			}
		}
	}
}

func build(ctx context.Context, lab *engine.Lab, req engine.BuildRequest) (*matrix.Matrix, string, error) {
	res, err := lab.BuildMatrix(ctx, req)
	if err != nil {
		return nil, "", err
	}
	m, _, err := lab.LoadMatrix(ctx, res.ModelID, res.BuildID)
	return m, res.BuildID, err
}

// TestBuildLineageDeterministic: the same inputs give the same matrix hash and
// data hash; a changed bar changes the data hash.
func TestBuildLineageDeterministic(t *testing.T) {
	for _, l := range spyLabs(t) {
		t.Run(l.name, func(t *testing.T) { testBuildLineage(t, l.lab) })
	}
}

func testBuildLineage(t *testing.T, lab *engine.Lab) {
	ctx := context.Background()
	req := engine.BuildRequest{ModelID: "spy_opt_0dte_hourly", Start: "2024-07-01", End: "2024-07-03"}
	a, err := lab.BuildMatrix(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lab.BuildMatrix(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if a.Lineage.MatrixSHA != b.Lineage.MatrixSHA || a.Lineage.DataSHA != b.Lineage.DataSHA || a.BuildID == b.BuildID {
		t.Fatalf("lineage not deterministic: %+v vs %+v", a.Lineage, b.Lineage)
	}
	if a.Lineage.IndicatorSet != "spy_opt_0dte_hourly_v2" || a.Lineage.IndicatorSetSHA == "" {
		t.Fatalf("indicator set lineage: %+v", a.Lineage)
	}
	req.End = "2024-07-02"
	c, err := lab.BuildMatrix(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Lineage.DataSHA == a.Lineage.DataSHA || c.Rows != 14 {
		t.Fatalf("shorter range: rows %d, same data hash %v", c.Rows, c.Lineage.DataSHA == a.Lineage.DataSHA)
	}
	runs, total, err := lab.ListBuildRuns(ctx, engine.BuildRunFilter{ModelID: "spy_opt_0dte_hourly"}, 0, 10)
	if err != nil || total != 3 || runs[0].Status != engine.BuildCompleted || runs[0].Lineage == nil {
		t.Fatalf("build runs: %d %+v %v", total, runs, err)
	}
}
