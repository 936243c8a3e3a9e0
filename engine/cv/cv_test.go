package cv

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigmalab/engine/errs"
)

var update = flag.Bool("update", false, "rewrite golden files")

// ranges renders ascending indices compactly ("0-3,7,9-10") so golden diffs stay readable.
func ranges(idx []int) string {
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j == i {
			fmt.Fprintf(&b, "%d", idx[i])
		} else {
			fmt.Fprintf(&b, "%d-%d", idx[i], idx[j])
		}
		i = j + 1
	}
	return b.String()
}

// hourly builds n rows one hour apart whose labels end h rows later.
func hourly(n, h int) (t0, t1 []int64) {
	t0 = make([]int64, n)
	t1 = make([]int64, n)
	for i := range t0 {
		t0[i] = int64(i) * 3600_000
		t1[i] = int64(i+h) * 3600_000
	}
	return
}

func TestGoldenFolds(t *testing.T) {
	cases := []struct {
		name string
		n, h int
		noT1 bool
		cfg  Config
	}{
		{"wf_n20_k4_h0", 20, 0, false, Config{Splits: 4}},
		{"wf_n23_k3_h1", 23, 1, false, Config{Method: WalkForward, Splits: 3}},
		{"wf_n23_k3_h3_emb0.5", 23, 3, false, Config{Method: WalkForward, Splits: 3, Embargo: 0.5}},
		{"kf_n20_k4_h0", 20, 0, false, Config{Method: KFold, Splits: 4}},
		{"kf_n22_k4_h1", 22, 1, false, Config{Method: KFold, Splits: 4}},
		{"kf_n22_k4_h2_emb0.4", 22, 2, false, Config{Method: KFold, Splits: 4, Embargo: 0.4}},
		{"kf_n22_k4_not1_emb0.2", 22, 0, true, Config{Method: KFold, Splits: 4, Embargo: 0.2}},
	}
	var out strings.Builder
	for _, c := range cases {
		t0, t1 := hourly(c.n, c.h)
		if c.noT1 {
			t1 = nil
		}
		folds, err := Split(t0, t1, c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		fmt.Fprintf(&out, "# %s\n", c.name)
		for _, f := range folds {
			fmt.Fprintf(&out, "fold %d test %d-%d train %s purged %d embargoed %d\n",
				f.Index, f.TestStart, f.TestEnd-1, ranges(f.Train), f.Purged, f.Embargoed)
		}
	}
	path := filepath.Join("testdata", "folds.golden")
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("fold indices differ from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestNoLeakage checks on random label horizons that no training row's label
// window overlaps its test block, walk-forward never trains on the future, test
// and train are disjoint, and the embargo rows are absent.
func TestNoLeakage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := 0; trial < 200; trial++ {
		n := 30 + rng.IntN(300)
		t0 := make([]int64, n)
		t1 := make([]int64, n)
		var ts int64
		for i := range t0 {
			ts += 1 + rng.Int64N(5) // irregular spacing, strictly increasing
			t0[i] = ts
		}
		for i := range t1 {
			h := rng.IntN(8)
			if i+h >= n {
				h = n - 1 - i
			}
			t1[i] = t0[i+h] + rng.Int64N(2)
		}
		cfg := Config{Method: []string{WalkForward, KFold}[trial%2], Splits: 2 + rng.IntN(4), Embargo: rng.Float64() * 0.3}
		folds, err := Split(t0, t1, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range folds {
			if bad := Overlaps(f, t0, t1); len(bad) > 0 {
				t.Fatalf("trial %d fold %d: training rows %v overlap the test span", trial, f.Index, bad)
			}
			emb := int(cfg.Embargo * float64(f.TestEnd-f.TestStart))
			for _, i := range f.Train {
				if i >= f.TestStart && i < f.TestEnd {
					t.Fatalf("trial %d fold %d: test row %d in training", trial, f.Index, i)
				}
				if cfg.Method == WalkForward && i >= f.TestStart {
					t.Fatalf("trial %d fold %d: walk-forward trains on future row %d", trial, f.Index, i)
				}
				if i >= f.TestEnd && i < f.TestEnd+emb || i >= f.TestStart-emb && i < f.TestStart {
					t.Fatalf("trial %d fold %d: embargoed row %d in training", trial, f.Index, i)
				}
			}
			if f.TestEnd-f.TestStart == 0 {
				t.Fatalf("empty test block")
			}
		}
	}
}

func TestFoldsCoverRows(t *testing.T) {
	t0, t1 := hourly(103, 1)
	kf, err := Split(t0, t1, Config{Method: KFold, Splits: 5})
	if err != nil {
		t.Fatal(err)
	}
	next := 0
	for _, f := range kf {
		if f.TestStart != next {
			t.Fatalf("kfold blocks not contiguous at fold %d", f.Index)
		}
		next = f.TestEnd
	}
	if next != 103 {
		t.Fatalf("kfold covers %d rows, want 103", next)
	}
	wf, err := Split(t0, t1, Config{Splits: 5})
	if err != nil {
		t.Fatal(err)
	}
	if wf[4].TestEnd != 103 || wf[0].TestStart != 103-5*17 {
		t.Fatalf("walk-forward blocks %+v", wf[0])
	}
}

func TestSplitErrors(t *testing.T) {
	t0, t1 := hourly(10, 1)
	var v *errs.Validation
	if _, err := Split(t0, t1, Config{Method: "random"}); !errors.As(err, &v) {
		t.Errorf("unknown method: %v", err)
	}
	if _, err := Split(t0, t1, Config{Embargo: 1}); !errors.As(err, &v) {
		t.Errorf("embargo 1: %v", err)
	}
	if _, err := Split(t0, t1, Config{Method: KFold, Splits: 1}); !errors.As(err, &v) {
		t.Errorf("kfold 1 split: %v", err)
	}
	if _, err := Split(t0, t1, Config{Splits: 5}); !errors.Is(err, errs.ErrNoData) {
		t.Errorf("too few rows: %v", err)
	}
	t0[3] = 0
	if _, err := Split(t0, t1, Config{Splits: 2}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("unordered rows: %v", err)
	}
}
