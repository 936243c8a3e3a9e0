// Command gbdtbench generates the fixed-seed synthetic benchmark data, trains
// the gbdt package on it and prints time and test metrics as JSON. With -out it
// also exports the exact same data (float32, row-major) so the XGBoost
// reference script (../xgb_compare.py) trains on identical inputs.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"syscall"
	"time"

	"sigmalab/engine/gbdt"
	"sigmalab/engine/gbdt/internal/synth"
)

func main() {
	n := flag.Int("rows", 800_000, "training rows")
	nTest := flag.Int("test", 200_000, "test rows")
	nf := flag.Int("features", 50, "features")
	trees := flag.Int("trees", 100, "boosting rounds")
	depth := flag.Int("depth", 4, "max depth")
	lr := flag.Float64("lr", 0.08, "learning rate")
	leaves := flag.Int("leaves", 0, "num_leaves (> 0: leaf-wise growth; XGBoost keeps depth-wise)")
	classes := flag.Int("classes", 2, "classes: 2 = the binary task, > 2 = the multiclass (softmax) task")
	seed := flag.Uint64("seed", 1, "data seed")
	out := flag.String("out", "", "directory to export the data to (optional)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of training to this file")
	repeat := flag.Int("repeat", 1, "train this many times and report the fastest (the machine is shared)")
	flag.Parse()
	if *classes < 2 || *classes > 255 {
		must(fmt.Errorf("-classes %d: want 2..255", *classes))
	}

	var cols [][]float64
	var y []int
	if *classes == 2 {
		cols, y = synth.Binary(*n+*nTest, *nf, *seed)
	} else {
		cols, y = synth.Multiclass(*n+*nTest, *nf, *classes, *seed)
	}
	train := make([][]float64, *nf)
	test := make([][]float64, *nf)
	for f := range cols {
		train[f] = cols[f][:*n]
		test[f] = cols[f][*n:]
	}
	yTrain, yTest := y[:*n], y[*n:]
	if *out != "" {
		must(export(filepath.Join(*out, "train"), train, yTrain))
		must(export(filepath.Join(*out, "test"), test, yTest))
	}

	p := gbdt.DefaultParams()
	p.NEstimators = *trees
	p.MaxDepth = *depth
	p.NumLeaves = *leaves
	p.LearningRate = *lr
	p.Subsample = 1
	p.ColsampleBytree = 1
	p.MaxBins = 255
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		must(err)
		must(pprof.StartCPUProfile(f))
	}
	var m *gbdt.Model
	var total, tBin time.Duration
	var cpu time.Duration
	for i := 0; i < max(1, *repeat); i++ {
		runtime.GC()
		c0 := cpuTime()
		t0 := time.Now()
		ds, err := gbdt.NewDataset(train, p.MaxBins)
		must(err)
		tb := time.Since(t0)
		m, err = gbdt.TrainRows(ds, nil, yTrain, *classes, p, nil)
		must(err)
		if d := time.Since(t0); i == 0 || d < total {
			total, tBin, cpu = d, tb, cpuTime()-c0
		}
	}
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	t1 := time.Now()
	probs := m.PredictProba(test)
	tPred := time.Since(t1)
	res := map[string]any{
		"impl":          "sigmalab-gbdt",
		"rows":          *n,
		"features":      *nf,
		"classes":       *classes,
		"trees":         *trees,
		"depth":         *depth,
		"lr":            *lr,
		"gomaxprocs":    runtime.GOMAXPROCS(0),
		"train_seconds": total.Seconds(),
		"cpu_seconds":   cpu.Seconds(),
		"repeat":        max(1, *repeat),
		"bin_seconds":   tBin.Seconds(),
		"pred_seconds":  tPred.Seconds(),
		"test_auc":      macroAUC(probs, yTest),
		"test_logloss":  logloss(probs, yTest),
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
}

// export writes <prefix>_X.f32 (row-major float32) and <prefix>_y.u8.
func export(prefix string, cols [][]float64, y []int) error {
	n, nf := len(y), len(cols)
	buf := make([]byte, 4*n*nf)
	for r := 0; r < n; r++ {
		for f := 0; f < nf; f++ {
			binary.LittleEndian.PutUint32(buf[4*(r*nf+f):], math.Float32bits(float32(cols[f][r])))
		}
	}
	if err := os.WriteFile(prefix+"_X.f32", buf, 0o644); err != nil {
		return err
	}
	yb := make([]byte, n)
	for i, v := range y {
		yb[i] = byte(v)
	}
	return os.WriteFile(prefix+"_y.u8", yb, 0o644)
}

// macroAUC is the AUC of class 1 for a binary model, else the unweighted mean
// of the one-vs-rest AUCs of the classes (scikit-learn's multi_class="ovr").
func macroAUC(probs [][]float64, y []int) float64 {
	if len(probs) == 2 {
		return auc(probs[1], y, 1)
	}
	s := 0.0
	for k := range probs {
		s += auc(probs[k], y, k)
	}
	return s / float64(len(probs))
}

// auc is the ROC AUC of score for rows labelled pos against all others.
func auc(score []float64, y []int, pos int) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var rankSum, nPos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // mean 1-based rank of the tie group
		for k := i; k < j; k++ {
			if y[idx[k]] == pos {
				rankSum += avg
				nPos++
			}
		}
		i = j
	}
	neg := float64(len(y)) - nPos
	return (rankSum - nPos*(nPos+1)/2) / (nPos * neg)
}

// logloss is the mean negative log probability of the true class, with
// probabilities clipped to [1e-15, 1-1e-15] as the reference script does.
func logloss(probs [][]float64, y []int) float64 {
	s := 0.0
	for i, v := range y {
		s -= math.Log(math.Min(math.Max(probs[v][i], 1e-15), 1-1e-15))
	}
	return s / float64(len(y))
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
