package gbdt

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt/internal/synth"
)

// makeData draws n rows of nf uniform(-1,1) features and labels them with fn.
func makeData(n, nf int, seed uint64, fn func(x []float64) int) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	cols := make([][]float64, nf)
	for f := range cols {
		cols[f] = make([]float64, n)
	}
	y := make([]int, n)
	x := make([]float64, nf)
	for r := 0; r < n; r++ {
		for f := range nf {
			x[f] = rng.Float64()*2 - 1
			cols[f][r] = x[f]
		}
		y[r] = fn(x)
	}
	return cols, y
}

func accuracy(probs [][]float64, y []int) float64 {
	ok := 0
	for i := range y {
		best := 0
		for k := range probs {
			if probs[k][i] > probs[best][i] {
				best = k
			}
		}
		if best == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

func fastParams() Params {
	p := DefaultParams()
	p.NEstimators = 100
	p.LearningRate = 0.3
	p.Subsample = 1
	p.ColsampleBytree = 1
	return p
}

func xor(x []float64) int {
	if (x[0] > 0) != (x[1] > 0) {
		return 1
	}
	return 0
}

func TestLearnsXOR(t *testing.T) {
	cols, y := makeData(4000, 5, 1, xor)
	tc, ty := makeData(2000, 5, 2, xor)
	for _, tc2 := range []struct {
		name string
		mod  func(*Params)
	}{
		{"depthwise", func(p *Params) {}},
		{"leafwise", func(p *Params) { p.MaxDepth = 0; p.NumLeaves = 8 }},
		{"sampled", func(p *Params) { p.Subsample = 0.8; p.ColsampleBytree = 0.8 }},
	} {
		t.Run(tc2.name, func(t *testing.T) {
			p := fastParams()
			tc2.mod(&p)
			m, err := Train(cols, y, 2, p)
			if err != nil {
				t.Fatal(err)
			}
			if acc := accuracy(m.PredictProba(tc), ty); acc < 0.98 {
				t.Fatalf("XOR test accuracy %.4f, want ≥ 0.98", acc)
			}
			if p.NumLeaves > 0 {
				for i := range m.Trees {
					leaves := 0
					for _, f := range m.Trees[i].Feature {
						if f < 0 {
							leaves++
						}
					}
					if leaves > p.NumLeaves {
						t.Fatalf("tree %d has %d leaves > num_leaves %d", i, leaves, p.NumLeaves)
					}
				}
			}
			top := m.TopImportance(2)
			if len(top) != 2 || top[0].Feature > 1 || top[1].Feature > 1 {
				t.Fatalf("top features %+v, want 0 and 1", top)
			}
		})
	}
}

func TestLearnsMonotone(t *testing.T) {
	fn := func(x []float64) int {
		if x[0]+0.5*x[1]-0.3*x[2] > 0.1 {
			return 1
		}
		return 0
	}
	cols, y := makeData(5000, 6, 3, fn)
	tc, ty := makeData(2000, 6, 4, fn)
	p := fastParams()
	p.NEstimators = 200
	m, err := Train(cols, y, 2, p)
	if err != nil {
		t.Fatal(err)
	}
	probs := m.PredictProba(tc)
	if acc := accuracy(probs, ty); acc < 0.97 {
		t.Fatalf("monotone test accuracy %.4f, want ≥ 0.97", acc)
	}
	for i := range ty {
		if s := probs[0][i] + probs[1][i]; math.Abs(s-1) > 1e-12 {
			t.Fatalf("row %d probabilities sum to %v", i, s)
		}
	}
}

func TestLearnsMulticlassBlobs(t *testing.T) {
	centers := [][2]float64{{-2, -2}, {2, -1}, {0, 2.5}, {3, 3}}
	gen := func(n int, seed uint64) ([][]float64, []int) {
		rng := rand.New(rand.NewPCG(seed, 7))
		cols := make([][]float64, 4)
		for f := range cols {
			cols[f] = make([]float64, n)
		}
		y := make([]int, n)
		for r := range n {
			k := rng.IntN(len(centers))
			y[r] = k
			cols[0][r] = centers[k][0] + 0.6*rng.NormFloat64()
			cols[1][r] = centers[k][1] + 0.6*rng.NormFloat64()
			cols[2][r] = rng.NormFloat64() // noise
			cols[3][r] = 5                 // constant
		}
		return cols, y
	}
	cols, y := gen(4000, 1)
	tc, ty := gen(2000, 2)
	p := fastParams()
	p.NEstimators = 60
	m, err := Train(cols, y, 4, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Trees) != 60*4 {
		t.Fatalf("%d trees, want one per class per round (240)", len(m.Trees))
	}
	probs := m.PredictProba(tc)
	if len(probs) != 4 {
		t.Fatalf("%d probability columns", len(probs))
	}
	if acc := accuracy(probs, ty); acc < 0.97 {
		t.Fatalf("blobs test accuracy %.4f, want ≥ 0.97", acc)
	}
	if m.ImportanceSplit[3] != 0 {
		t.Fatalf("constant column was split %d times", m.ImportanceSplit[3])
	}
}

func TestMissingValuesLearnDefaultDirection(t *testing.T) {
	// Class 1 when x0 is missing or x1 > 0.5; x0 carries no other signal.
	rng := rand.New(rand.NewPCG(9, 9))
	gen := func(n int) ([][]float64, []int) {
		cols := [][]float64{make([]float64, n), make([]float64, n)}
		y := make([]int, n)
		for r := range n {
			cols[0][r] = rng.Float64()
			cols[1][r] = rng.Float64()
			if rng.Float64() < 0.3 {
				cols[0][r] = math.NaN()
			}
			if math.IsNaN(cols[0][r]) || cols[1][r] > 0.5 {
				y[r] = 1
			}
		}
		return cols, y
	}
	cols, y := gen(4000)
	tc, ty := gen(2000)
	m, err := Train(cols, y, 2, fastParams())
	if err != nil {
		t.Fatal(err)
	}
	if acc := accuracy(m.PredictProba(tc), ty); acc < 0.995 {
		t.Fatalf("accuracy with NaN signal %.4f, want ≥ 0.995", acc)
	}
	// A column that is NaN everywhere is accepted and never split.
	cols = append(cols, make([]float64, len(y)))
	for i := range cols[2] {
		cols[2][i] = math.NaN()
	}
	m, err = Train(cols, y, 2, fastParams())
	if err != nil {
		t.Fatal(err)
	}
	if m.ImportanceSplit[2] != 0 {
		t.Fatal("all-NaN column was split")
	}
}

func TestConstantColumnsOnly(t *testing.T) {
	cols := [][]float64{{1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2}}
	y := []int{0, 1, 1, 0, 1, 1}
	m, err := Train(cols, y, 2, fastParams())
	if err != nil {
		t.Fatal(err)
	}
	probs := m.PredictProba(cols)
	// No split is possible: every row gets the shrunken base rate (≈ 4/6).
	for i := range y {
		if probs[1][i] != probs[1][0] || math.Abs(probs[1][i]-4.0/6) > 0.05 {
			t.Fatalf("row %d p1=%v, want the base rate", i, probs[1][i])
		}
	}
}

func TestInvalidInput(t *testing.T) {
	ok := [][]float64{{1, 2, 3, 4}}
	cases := []struct {
		name     string
		cols     [][]float64
		y        []int
		numClass int
		mod      func(*Params)
	}{
		{"single class", ok, []int{1, 1, 1, 1}, 2, nil},
		{"no columns", nil, []int{0, 1}, 2, nil},
		{"no rows", [][]float64{{}}, nil, 2, nil},
		{"ragged columns", [][]float64{{1, 2, 3, 4}, {1, 2}}, []int{0, 1, 0, 1}, 2, nil},
		{"label count", ok, []int{0, 1, 0}, 2, nil},
		{"label range", ok, []int{0, 1, 2, 1}, 2, nil},
		{"one class declared", ok, []int{0, 0, 0, 0}, 1, nil},
		{"bad learning rate", ok, []int{0, 1, 0, 1}, 2, func(p *Params) { p.LearningRate = 0 }},
		{"bad subsample", ok, []int{0, 1, 0, 1}, 2, func(p *Params) { p.Subsample = 1.5 }},
		{"bad max_bin", ok, []int{0, 1, 0, 1}, 2, func(p *Params) { p.MaxBins = 300 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := fastParams()
			if c.mod != nil {
				c.mod(&p)
			}
			_, err := Train(c.cols, c.y, c.numClass, p)
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

// trainForDeterminism fits binary and multiclass models with sampling on,
// large enough that the parallel paths run.
func trainForDeterminism(t *testing.T, workers int) ([]byte, [][]float64) {
	t.Helper()
	cols, y := synth.Binary(30000, 20, 5)
	p := DefaultParams()
	p.NEstimators = 15
	p.Subsample = 0.8
	p.ColsampleBytree = 0.7
	p.Workers = workers
	m, err := Train(cols, y, 2, p)
	if err != nil {
		t.Fatal(err)
	}
	y3 := make([]int, len(y))
	for i := range y {
		y3[i] = y[i] // 3 classes
		if cols[2][i] > 1 {
			y3[i]++
		}
	}
	p.NumLeaves, p.MaxDepth = 12, 0
	m3, err := Train(cols, y3, 3, p)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.MarshalJSONModel()
	b, _ := m3.MarshalJSONModel()
	return append(a, b...), append(m.PredictProba(cols), m3.PredictProba(cols)...)
}

func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	js1, p1 := trainForDeterminism(t, 0)
	runtime.GOMAXPROCS(2)
	js2, p2 := trainForDeterminism(t, 0)
	js3, p3 := trainForDeterminism(t, 5)
	if !bytes.Equal(js1, js2) || !bytes.Equal(js1, js3) {
		t.Fatal("serialised models differ between GOMAXPROCS=1 and 2")
	}
	for _, other := range [][][]float64{p2, p3} {
		for k := range p1 {
			for i := range p1[k] {
				if math.Float64bits(p1[k][i]) != math.Float64bits(other[k][i]) {
					t.Fatalf("prediction [%d][%d] differs: %v vs %v", k, i, p1[k][i], other[k][i])
				}
			}
		}
	}
}

func TestArtifactRoundTrip(t *testing.T) {
	cols, y := synth.Binary(3000, 12, 11)
	p := DefaultParams()
	p.NEstimators = 30
	m, err := TrainRows(mustDataset(t, cols), nil, y, 2, p, &Options{FeatureNames: names(12)})
	if err != nil {
		t.Fatal(err)
	}
	art, err := m.EncodeArtifact()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := DecodeArtifact(art)
	if err != nil {
		t.Fatal(err)
	}
	a, b := m.PredictProba(cols), m2.PredictProba(cols)
	for k := range a {
		for i := range a[k] {
			if math.Float64bits(a[k][i]) != math.Float64bits(b[k][i]) {
				t.Fatalf("prediction [%d][%d] differs after round trip", k, i)
			}
		}
	}
	j1, _ := m.MarshalJSONModel()
	j2, _ := m2.MarshalJSONModel()
	if !bytes.Equal(j1, j2) {
		t.Fatal("re-encoded JSON differs")
	}
	if m2.FeatureNames[3] != "f3" || m2.TopImportance(1)[0].Name == "" {
		t.Fatal("feature names lost")
	}
	// Corrupt input is rejected, not trusted.
	for _, bad := range [][]byte{[]byte("nonsense"), art[:len(art)/2]} {
		if _, err := DecodeArtifact(bad); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("corrupt artifact: err = %v", err)
		}
	}
	js, _ := m.MarshalJSONModel()
	js = bytes.Replace(js, []byte(`"left":[1,`), []byte(`"left":[0,`), 1)
	if _, err := UnmarshalJSONModel(js); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("self-loop model: err = %v", err)
	}
}

func TestEarlyStoppingStops(t *testing.T) {
	cols, y := synth.Binary(6000, 10, 13)
	p := DefaultParams()
	p.NEstimators = 1000
	p.LearningRate = 0.5
	p.MaxDepth = 6
	p.EarlyStopping = 10
	p.ValidFraction = 0.25
	m, err := Train(cols, y, 2, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rounds >= 1000 || m.Rounds != m.BestIteration+1 || len(m.Trees) != m.Rounds {
		t.Fatalf("rounds %d best %d trees %d: early stopping did not stop/truncate", m.Rounds, m.BestIteration, len(m.Trees))
	}
	if !(m.ValidLoss > 0 && m.ValidLoss < math.Log(2)) {
		t.Fatalf("validation logloss %v", m.ValidLoss)
	}
}

// TestStopAbandonsTraining: Options.Stop is asked once per round and a true
// answer ends the training with ErrCancelled, without building more trees.
func TestStopAbandonsTraining(t *testing.T) {
	cols, y := synth.Binary(2000, 6, 17)
	ds, err := NewDataset(cols, 255)
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.NEstimators = 500
	asked := 0
	_, err = TrainRows(ds, nil, y, 2, p, &Options{Stop: func() bool { asked++; return asked > 3 }})
	if !errors.Is(err, errs.ErrCancelled) || asked != 4 {
		t.Fatalf("err %v after %d questions", err, asked)
	}
	m, err := TrainRows(ds, nil, y, 2, p, &Options{Stop: func() bool { return false }})
	if err != nil || m.Rounds != 500 {
		t.Fatalf("never-stop training: %v rounds %v", err, m)
	}
}

func TestTrainRowsUsesOnlySelectedRows(t *testing.T) {
	cols, y := makeData(6000, 4, 17, xor)
	ds := mustDataset(t, cols)
	rows := make([]int, 0, 3000)
	yy := append([]int(nil), y...)
	for r := range y {
		if r%2 == 0 {
			rows = append(rows, r)
		} else {
			yy[r] = -1 // never read
		}
	}
	m, err := TrainRows(ds, rows, yy, 2, fastParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TrainRows(ds, []int{0, 2, 2}, yy, 2, fastParams(), nil); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("duplicate rows: %v", err)
	}
	tc, ty := makeData(2000, 4, 18, xor)
	if acc := accuracy(m.PredictProba(tc), ty); acc < 0.97 {
		t.Fatalf("accuracy %.4f", acc)
	}
	// Weights: rows with flipped labels but zero weight do not matter.
	w := make([]float64, len(y))
	flipped := append([]int(nil), y...)
	for r := range y {
		w[r] = 1
		if r%3 == 0 {
			flipped[r] = 1 - y[r]
			w[r] = 0
		}
	}
	m, err = TrainRows(ds, nil, flipped, 2, fastParams(), &Options{Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	if acc := accuracy(m.PredictProba(tc), ty); acc < 0.97 {
		t.Fatalf("weighted accuracy %.4f", acc)
	}
}

func TestBinning(t *testing.T) {
	col := make([]float64, 1000)
	for i := range col {
		col[i] = float64(i % 10)
	}
	col[5] = math.NaN()
	ds := mustDataset(t, [][]float64{col})
	if ds.NumBins(0) != 10 {
		t.Fatalf("%d bins for 10 distinct values", ds.NumBins(0))
	}
	if ds.bins[0][5] != 0 || ds.bins[0][0] != 1 || ds.bins[0][9] != 10 {
		t.Fatal("bad bin assignment")
	}
	// Many distinct values are capped at max_bin with roughly equal counts.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range col {
		col[i] = rng.ExpFloat64()
	}
	ds, err := NewDataset([][]float64{col}, 16)
	if err != nil {
		t.Fatal(err)
	}
	if ds.NumBins(0) != 16 {
		t.Fatalf("%d bins, want 16", ds.NumBins(0))
	}
	cnt := make([]int, 17)
	for _, b := range ds.bins[0] {
		cnt[b]++
	}
	for b := 1; b <= 16; b++ {
		if cnt[b] < 40 || cnt[b] > 90 {
			t.Fatalf("bin %d holds %d of 1000 rows", b, cnt[b])
		}
	}
}

func mustDataset(t *testing.T, cols [][]float64) *Dataset {
	t.Helper()
	ds, err := NewDataset(cols, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "f" + string(rune('0'+i%10))
		if i >= 10 {
			out[i] = "f1" + string(rune('0'+i%10))
		}
	}
	return out
}

// The trainer routes rows by bin, saved models by raw value; both must agree
// for every row, including NaN, ±0, ±Inf and values equal to an edge.
func TestBinnedAndRawRoutingAgree(t *testing.T) {
	cols, y := synth.Binary(5000, 12, 21)
	specials := []float64{math.NaN(), 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 1e300, -1e300}
	for f := range cols {
		for i, v := range specials {
			cols[f][i*7+f] = v
		}
	}
	ds := mustDataset(t, cols)
	for f := range cols { // values exactly on edges
		for j, e := range ds.uppers[f] {
			if !math.IsInf(e, 0) && j < 200 {
				cols[f][1000+j] = e
			}
		}
	}
	ds = mustDataset(t, cols)
	p := fastParams()
	p.NEstimators = 20
	p.MaxDepth = 6
	m, err := TrainRows(ds, nil, y, 2, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for ti := range m.Trees {
		tr := &m.Trees[ti]
		for r := 0; r < ds.Rows(); r++ {
			if a, b := tr.leafBinned(ds.bins, r), tr.leafRaw(cols, r); a != b {
				t.Fatalf("tree %d row %d: binned leaf %d, raw leaf %d", ti, r, a, b)
			}
		}
	}
}

func TestRadixSortMatchesFloatOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	vals := []float64{math.Inf(-1), math.Inf(1), 0, math.Copysign(0, -1), -1e-310, 1e-310, -math.MaxFloat64}
	for range 5000 {
		vals = append(vals, rng.NormFloat64()*math.Pow(10, float64(rng.IntN(20)-10)), float64(rng.IntN(5)))
	}
	keys := make([]uint64, len(vals))
	for i, v := range vals {
		keys[i] = sortKey(v)
	}
	got := radixSort(keys, make([]uint64, len(keys)))
	want := append([]float64(nil), vals...)
	sortFloats(want)
	for i, k := range got {
		if g := fromSortKey(k); g != want[i] {
			t.Fatalf("position %d: %v, want %v", i, g, want[i])
		}
	}
}

func sortFloats(v []float64) {
	for i := 1; i < len(v); i++ { // insertion sort keeps the test independent of the code under test
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

func TestPredictProbaRowsMatchesRaw(t *testing.T) {
	cols, y := synth.Binary(6000, 12, 23)
	for i := range y { // three classes
		if cols[3][i] > 1 {
			y[i] = 2
		}
	}
	specials := []float64{math.NaN(), 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1)}
	for f := range cols {
		for i, v := range specials {
			cols[f][i*7+f] = v
		}
	}
	ds := mustDataset(t, cols)
	rows := make([]int, 0, ds.Rows()/2)
	for r := ds.Rows() - 1; r >= 0; r -= 2 { // any order, a subset
		rows = append(rows, r)
	}
	rows = append(rows, 0) // a count that is not a multiple of 4
	sub := make([][]float64, len(cols))
	for f, c := range cols {
		for _, r := range rows {
			sub[f] = append(sub[f], c[r])
		}
	}
	for _, tc := range []struct {
		name string
		k    int
		mut  func(*Params)
	}{
		{"binary", 2, nil},
		{"multiclass", 3, nil},
		{"leafwise", 3, func(p *Params) { p.MaxDepth, p.NumLeaves = 0, 10 }},
	} {
		p := DefaultParams()
		p.NEstimators = 30
		if tc.mut != nil {
			tc.mut(&p)
		}
		yy := y
		if tc.k == 2 {
			yy = make([]int, len(y))
			for i, v := range y {
				yy[i] = min(v, 1)
			}
		}
		m, err := TrainRows(ds, nil, yy, tc.k, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.EncodeArtifact()
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := DecodeArtifact(b)
		if err != nil {
			t.Fatal(err)
		}
		want := m.PredictProba(sub)
		for _, mm := range []*Model{m, loaded} {
			got, err := mm.PredictProbaRows(ds, rows)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for k := range want {
				for i := range want[k] {
					if math.Float64bits(got[k][i]) != math.Float64bits(want[k][i]) {
						t.Fatalf("%s: class %d row %d: binned %v, raw %v", tc.name, k, rows[i], got[k][i], want[k][i])
					}
				}
			}
		}
	}
	// A model whose thresholds are not this Dataset's edges is refused.
	other := make([][]float64, len(cols))
	for f, c := range cols {
		other[f] = make([]float64, len(c))
		for i, v := range c {
			other[f][i] = v*1.5 + 0.1
		}
	}
	m, err := Train(other, y, 3, fastParams())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.PredictProbaRows(ds, rows); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("foreign dataset: err = %v, want ErrInvalid", err)
	}
}

func TestSpareWorkersSameModel(t *testing.T) {
	cols, y := synth.Binary(4000, 10, 31)
	for i := range y {
		if cols[3][i] > 1 {
			y[i] = 2
		}
	}
	ds := mustDataset(t, cols)
	rows := make([]int, 3000)
	for i := range rows {
		rows[i] = i
	}
	p := DefaultParams()
	p.NEstimators = 30
	p.Workers = 1
	train := func(spare int) []byte {
		m, err := TrainRows(ds, rows, y, 3, p, &Options{SpareWorkers: func() int { return spare }})
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalJSONModel()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := train(0)
	for _, spare := range []int{1, 2, 7} {
		if !bytes.Equal(train(spare), want) {
			t.Fatalf("SpareWorkers=%d changed the model", spare)
		}
	}
}
