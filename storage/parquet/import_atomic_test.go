package parquet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sigmalab/engine/market"
)

// atomicFixture is a market dir holding a short SPY demo (bars, option bars,
// chains) and CSV files of real SPY hourly bars over the same months.
type atomicFixture struct {
	root    string   // market/
	csvs    []string // one file per month
	oldBars int      // demo SPY 1h rows
	newBars int      // rows of the CSVs
	oldOpts int      // demo SPY option bars on optDate
}

const optDate = "2024-07-08"

func newAtomicFixture(t *testing.T) *atomicFixture {
	t.Helper()
	ctx := context.Background()
	f := &atomicFixture{root: filepath.Join(t.TempDir(), "market")}
	cfg := smallDemo(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-05-01", "2024-07-31", "2024-07-08"
	cfg.Tickers = cfg.Tickers[:1] // SPY
	st := NewMarketStore(f.root)
	if _, err := market.SeedDemo(ctx, st, cfg); err != nil {
		t.Fatal(err)
	}
	f.oldBars, f.oldOpts = f.counts(t, st)
	if f.oldBars == 0 || f.oldOpts == 0 {
		t.Fatalf("demo fixture is empty: %d bars, %d option bars", f.oldBars, f.oldOpts)
	}
	sess, err := market.Sessions(cfg.Start, cfg.End)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	byMonth := map[string]*strings.Builder{}
	var months []string
	for i, s := range sess {
		m := s.Date[:7]
		w := byMonth[m]
		if w == nil {
			w = &strings.Builder{}
			w.WriteString("timestamp,open,high,low,close,volume\n")
			byMonth[m] = w
			months = append(months, m)
		}
		for h := 10; h <= 15; h++ {
			ts, err := market.ETMillis(s.Date, h, 0)
			if err != nil {
				t.Fatal(err)
			}
			p := 500 + float64(i)
			fmt.Fprintf(w, "%s,%.2f,%.2f,%.2f,%.2f,%d\n", time.UnixMilli(ts).UTC().Format(time.RFC3339), p, p+1, p-1, p+0.5, 1000+h)
			f.newBars++
		}
	}
	for _, m := range months {
		p := filepath.Join(dir, "SPY_"+m+".csv")
		if err := os.WriteFile(p, []byte(byMonth[m].String()), 0o644); err != nil {
			t.Fatal(err)
		}
		f.csvs = append(f.csvs, p)
	}
	return f
}

// counts reads SPY's hourly bars and its option bars of optDate.
func (f *atomicFixture) counts(t *testing.T, st *MarketStore) (bars, opts int) {
	t.Helper()
	ctx := context.Background()
	b, err := st.ReadBars(ctx, "SPY", market.TF1h, 0, 0)
	if err != nil {
		t.Fatalf("read bars: %v", err)
	}
	ob, err := st.ReadOptionBars(ctx, "SPY", optDate)
	if err != nil {
		t.Fatalf("read option bars: %v", err)
	}
	return b.Len(), ob.Len()
}

// checkOldOrNew fails unless the store shows exactly the demo (old) or exactly
// the import (new: the CSV bars, no demo option bars).
func (f *atomicFixture) checkOldOrNew(t *testing.T, st *MarketStore, want string) {
	t.Helper()
	bars, opts := f.counts(t, st)
	old, imported := bars == f.oldBars && opts == f.oldOpts, bars == f.newBars && opts == 0
	switch {
	case want == "old" && !old, want == "new" && !imported, want == "" && !old && !imported:
		t.Fatalf("store shows %d bars and %d option bars: want %s (old %d/%d, new %d/0)", bars, opts, want, f.oldBars, f.oldOpts, f.newBars)
	}
}

// TestImportFailureLeavesOldData: an import that fails after its first file
// (cancelled here) leaves the ticker's demo data exactly as it was.
func TestImportFailureLeavesOldData(t *testing.T) {
	f := newAtomicFixture(t)
	st := NewMarketStore(f.root)
	ctx, cancel := context.WithCancel(context.Background())
	im := &market.Importer{Store: st, OnProgress: func(p market.Progress) {
		if p.FilesDone == 1 {
			cancel()
		}
	}}
	res, err := im.ImportPaths(ctx, f.csvs, market.ImportOptions{})
	if err == nil {
		t.Fatalf("cancelled import succeeded: %+v", res)
	}
	if res.Added != 0 || res.DemoRemoved != 0 {
		t.Errorf("a rolled-back import reports writes: %+v", res)
	}
	f.checkOldOrNew(t, st, "old")
	f.checkOldOrNew(t, NewMarketStore(f.root), "old")
	if ents, _ := os.ReadDir(filepath.Join(f.root, stagingDir)); len(ents) > 0 {
		t.Errorf("staging left behind: %v", ents)
	}
}

// TestImportVisibleAllAtOnce: readers running beside an import see the old
// data or the new, never a mix (demo options gone with demo bars still there,
// or some months imported and others not).
func TestImportVisibleAllAtOnce(t *testing.T) {
	f := newAtomicFixture(t)
	st := NewMarketStore(f.root)
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	errc := make(chan string, 1)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				b, err := st.ReadBars(ctx, "SPY", market.TF1h, 0, 0)
				if err != nil {
					select {
					case errc <- err.Error():
					default:
					}
					return
				}
				if n := b.Len(); n != f.oldBars && n != f.newBars {
					select {
					case errc <- fmt.Sprintf("reader saw %d bars (old %d, new %d)", n, f.oldBars, f.newBars):
					default:
					}
					return
				}
				reads.Add(1)
			}
		}()
	}
	im := &market.Importer{Store: st}
	res, err := im.ImportPaths(ctx, f.csvs, market.ImportOptions{})
	stop.Store(true)
	wg.Wait()
	if err != nil || res.Added != f.newBars {
		t.Fatalf("import: %v %+v", err, res)
	}
	select {
	case msg := <-errc:
		t.Fatal(msg)
	default:
	}
	if reads.Load() == 0 {
		t.Fatal("no read ran beside the import")
	}
	f.checkOldOrNew(t, st, "new")
}

// TestImportRecoversAfterCrash simulates a kill at every step of a commit
// (the store is abandoned mid-way, as a dead process would leave it) and
// reopens: before the commit record the old data is back, after it the new
// data is complete, and no staging folder is left.
func TestImportRecoversAfterCrash(t *testing.T) {
	steps := []string{"staged", "recorded", "publish", "publish", "publish", "published"}
	for i, step := range steps {
		t.Run(fmt.Sprintf("%d_%s", i, step), func(t *testing.T) {
			f := newAtomicFixture(t)
			st := NewMarketStore(f.root)
			seen := map[string]int{}
			nth := 0
			for _, s := range steps[:i+1] {
				if s == step {
					nth++
				}
			}
			st.crash = func(s string) bool {
				seen[s]++
				return s == step && seen[s] == nth
			}
			im := &market.Importer{Store: st}
			if _, err := im.ImportPaths(context.Background(), f.csvs, market.ImportOptions{}); !errors.Is(err, errSimulatedCrash) {
				t.Fatalf("import did not stop at %s #%d: %v", step, nth, err)
			}
			// A restart: a new store over the same files, recovered at open.
			re := NewMarketStore(f.root)
			rs, err := re.Recover()
			if err != nil {
				t.Fatal(err)
			}
			want := "new"
			if step == "staged" {
				want = "old"
			}
			if (want == "new") != (rs.RolledForward == 1) {
				t.Errorf("recover %+v after a crash at %s", rs, step)
			}
			f.checkOldOrNew(t, re, want)
			if ents, _ := os.ReadDir(filepath.Join(f.root, stagingDir)); len(ents) > 0 {
				t.Errorf("staging left behind: %v", ents)
			}
			// The recovered store takes the next import.
			if _, err := (&market.Importer{Store: re}).ImportPaths(context.Background(), f.csvs[:1], market.ImportOptions{}); err != nil {
				t.Fatalf("import after recovery: %v", err)
			}
		})
	}
}
