package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"sigmalab/engine/errs"
)

func TestExpandOrderAndSize(t *testing.T) {
	s := Spec{
		ThresholdsVariants:   [][]float64{{0.5, 0.52}, {0.6}},
		AllowedHoursVariants: [][]int{{13, 14}, nil},
		TopPctVariants:       []float64{0.1},
		SlippageBpsVariants:  []float64{0, 2},
	}
	cells := Expand(s)
	if len(cells) != s.Size() || len(cells) != 12 {
		t.Fatalf("%d cells, Size %d", len(cells), s.Size())
	}
	type key struct {
		kind, thr, hours string
		slip             float64
	}
	var got []key
	for i, c := range cells {
		if c.Index != i {
			t.Fatalf("cell %d has index %d", i, c.Index)
		}
		k := key{c.Kind, c.ThresholdsText, c.HoursText, *c.SlippageBps}
		if c.Kind == KindTopPct {
			k.thr = FormatFloats([]float64{*c.TopPctValue})
		}
		got = append(got, k)
	}
	want := []key{
		{"thresholds", "0.5,0.52", "13,14", 0}, {"thresholds", "0.5,0.52", "13,14", 2},
		{"thresholds", "0.5,0.52", "", 0}, {"thresholds", "0.5,0.52", "", 2},
		{"thresholds", "0.6", "13,14", 0}, {"thresholds", "0.6", "13,14", 2},
		{"thresholds", "0.6", "", 0}, {"thresholds", "0.6", "", 2},
		{"top_pct", "0.1", "13,14", 0}, {"top_pct", "0.1", "13,14", 2},
		{"top_pct", "0.1", "", 0}, {"top_pct", "0.1", "", 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
	if cells[0].SizeByConf != nil || cells[8].TopPct != 0.1 || cells[8].Thresholds != nil {
		t.Fatalf("cell fields %+v %+v", cells[0], cells[8])
	}
	b, _ := json.Marshal(cells[8])
	if string(b) != `{"index":8,"kind":"top_pct","slippage_bps":0,"top_pct":0.1,"allowed_hours":"13,14"}` {
		t.Fatalf("wire form %s", b)
	}
}

func TestParseAndValidate(t *testing.T) {
	if xs, err := ParseFloats(" 0.55, 0.6 ,0.65,"); err != nil || !reflect.DeepEqual(xs, []float64{0.55, 0.6, 0.65}) {
		t.Fatalf("%v %v", xs, err)
	}
	for _, bad := range []string{"0.5,x", "NaN", "Inf"} {
		if _, err := ParseFloats(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	if hs, err := ParseHours(""); err != nil || hs != nil {
		t.Fatalf("%v %v", hs, err)
	}
	for _, bad := range []string{"24", "-1", "1.5"} {
		if _, err := ParseHours(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	if err := (Spec{ThresholdsVariants: [][]float64{{0.55}}}).Validate(); err != nil {
		t.Fatal(err)
	}
	var v *errs.Validation
	for _, s := range []Spec{
		{},
		{ThresholdsVariants: [][]float64{{1.2}}},
		{ThresholdsVariants: [][]float64{{}}},
		{TopPctVariants: []float64{0}},
		{TopPctVariants: []float64{0.1}, AllowedHoursVariants: [][]int{{25}}},
		{TopPctVariants: []float64{0.1}, SlippageBpsVariants: []float64{-1}},
		{TopPctVariants: make([]float64, MaxCells+1)},
	} {
		if err := s.Validate(); !errors.As(err, &v) {
			t.Fatalf("%+v: %v", s, err)
		}
	}
}

func res(i int, sharpe, cum float64, trades int) Result {
	return Result{Cell: Cell{Index: i}, Outcome: Outcome{BestSharpeHourly: sharpe, BestCumRet: cum, Trades: trades}}
}

func indices(rs []Result) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Cell.Index
	}
	return out
}

func TestRankKnownInputs(t *testing.T) {
	nan := math.NaN()
	rs := []Result{
		res(0, 0.10, 0.5, 10),
		res(1, nan, 0, 0),     // no trades: sharpe undefined, ranks last
		res(2, 0.20, 0.1, 5),  // best sharpe
		res(3, 0.10, 0.7, 3),  // ties 0 on sharpe, better cum_ret
		res(4, 0.10, 0.5, 12), // ties 0 on sharpe and cum_ret, more trades
		res(5, 0.10, 0.5, 12), // full tie with 4: generation order
		res(6, -0.3, 2.0, 50),
	}
	Rank(rs)
	if got, want := indices(rs), []int{2, 3, 4, 5, 0, 6, 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rank %v want %v", got, want)
	}
	// Ranking must not depend on input order.
	rev := []Result{rs[6], rs[5], rs[4], rs[3], rs[2], rs[1], rs[0]}
	Rank(rev)
	if got := indices(rev); !reflect.DeepEqual(got, []int{2, 3, 4, 5, 0, 6, 1}) {
		t.Fatalf("reversed input ranks %v", got)
	}
}

func TestGuardrailsReallyFilter(t *testing.T) {
	nan := math.NaN()
	rs := []Result{
		res(0, 0.10, 0.5, 10),
		res(1, nan, 0, 0),
		res(2, 0.20, 0.1, 5),
		res(3, 0.04, 0.7, 30),
		{Cell: Cell{Index: 4}, Err: "boom"},
	}
	minS := 0.05
	s := Summarise(rs, Guardrails{MinTrades: 6, MinSharpe: &minS})
	if s.Count != 5 || s.Filtered != 1 || indices(s.Ranked)[0] != 0 {
		t.Fatalf("%+v", s)
	}
	want := []Rejected{
		{1, "trades 0 < min_trades 6"},
		{2, "trades 5 < min_trades 6"},
		{3, "sharpe 0.04 < min_sharpe 0.05"},
		{4, "error: boom"},
	}
	if !reflect.DeepEqual(s.Rejected, want) {
		t.Fatalf("rejected %+v", s.Rejected)
	}
	// No guardrails: everything but the failed cell passes.
	s = Summarise(rs, Guardrails{})
	if s.Filtered != 4 || !reflect.DeepEqual(indices(s.Ranked), []int{2, 0, 3, 1}) {
		t.Fatalf("%v", indices(s.Ranked))
	}
	// min_sharpe drops a NaN sharpe even with no trade floor.
	s = Summarise([]Result{res(0, nan, 0, 0)}, Guardrails{MinSharpe: &minS})
	if s.Filtered != 0 {
		t.Fatal("NaN sharpe passed min_sharpe")
	}
}

func TestRunParallelResumeAndCallbacks(t *testing.T) {
	cells := Expand(Spec{ThresholdsVariants: [][]float64{{0.5}, {0.6}, {0.7}}, AllowedHoursVariants: [][]int{{10}, {11}, {12}, {13}}})
	var calls atomic.Int32
	eval := func(ctx context.Context, c Cell) (Outcome, error) {
		calls.Add(1)
		if c.Index == 5 {
			return Outcome{}, errors.New("bad cell")
		}
		if c.Index == 6 {
			panic("worse cell")
		}
		return Outcome{BestSharpeHourly: float64(c.Index), Trades: c.Index}, nil
	}
	done := map[int]Result{0: res(0, 100, 0, 1)}
	var seen []int
	var last int
	out, err := Run(context.Background(), cells, eval, RunOptions{Workers: 3, Done: done,
		OnResult: func(r Result) { seen = append(seen, r.Cell.Index) },
		Progress: func(d, total int) { last = d },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 12 || int(calls.Load()) != 11 || len(seen) != 11 || last != 12 {
		t.Fatalf("out %d calls %d seen %d last %d", len(out), calls.Load(), len(seen), last)
	}
	if out[0].Outcome.BestSharpeHourly != 100 || out[5].Err != "bad cell" || out[6].Err == "" {
		t.Fatalf("%+v %+v %+v", out[0], out[5], out[6])
	}
	for i, r := range out {
		if r.Cell.Index != i {
			t.Fatalf("results out of cell order at %d", i)
		}
	}
}

func TestRunCancelKeepsFinished(t *testing.T) {
	cells := Expand(Spec{ThresholdsVariants: make([][]float64, 1000), AllowedHoursVariants: [][]int{nil}})
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	eval := func(ctx context.Context, c Cell) (Outcome, error) {
		if n.Add(1) == 20 {
			cancel()
		}
		select {
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		return Outcome{Trades: 1}, nil
	}
	t0 := time.Now()
	out, err := Run(ctx, cells, eval, RunOptions{Workers: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if time.Since(t0) > time.Second || len(out) == 0 || len(out) >= 30 {
		t.Fatalf("%d results after cancel, took %v", len(out), time.Since(t0))
	}
	for _, r := range out {
		if r.Err != "" {
			t.Fatalf("interrupted cell kept as a result: %+v", r)
		}
	}
}

func TestResultJSONAddsSummary(t *testing.T) {
	r := res(3, math.NaN(), 0.25, 7)
	r.Outcome.Detail = map[string]any{"threshold_results": []int{1}}
	got := string(ResultJSON(r))
	want := `{"threshold_results":[1],"best_sharpe_hourly":null,"best_cum_ret":0.25,"_summary":{"best_sharpe_hourly":null,"best_cum_ret":0.25,"total_trades":7,"dsr":0,"psr":0,"pass_gate":false}}`
	if got != want {
		t.Fatalf("%s", got)
	}
	r.Outcome.Detail = nil
	if got := string(ResultJSON(r)); got != `{"best_sharpe_hourly":null,"best_cum_ret":0.25,"_summary":{"best_sharpe_hourly":null,"best_cum_ret":0.25,"total_trades":7,"dsr":0,"psr":0,"pass_gate":false}}` {
		t.Fatalf("%s", got)
	}
	var o Outcome
	if err := json.Unmarshal([]byte(`{"best_sharpe_hourly":null,"best_cum_ret":0.25,"total_trades":7}`), &o); err != nil ||
		!math.IsNaN(o.BestSharpeHourly) || o.BestCumRet != 0.25 || o.Trades != 7 {
		t.Fatalf("%+v %v", o, err)
	}
	s := Summarise([]Result{res(0, 1, 1, 1), res(1, 2, 1, 0)}, Guardrails{MinTrades: 1})
	rows := s.Rows(10, func(i int) int64 { return int64(100 + i) })
	if len(rows) != 1 || rows[0].Rank != 1 || rows[0].BacktestRunID != 100 {
		t.Fatalf("%+v", rows)
	}
	tab := s.Table([]Result{res(0, 1, 1, 1), res(1, 2, 1, 0)})
	if !tab[0].Passed || tab[1].Passed || tab[1].Reason == "" || tab[1].Rank != 0 {
		t.Fatalf("%+v", tab)
	}
}
