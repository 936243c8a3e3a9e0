package gbdt

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// skipXGBoostEnv, set to 1, lets the XGBoost round trip skip on machines
// without Debian's python3-xgboost; CI installs it, and there the test fails
// when it is missing.
const skipXGBoostEnv = "SIGMALAB_SKIP_XGBOOST"

// xgbScript loads the exported model and writes its margins for the rows in
// x.f32 (row-major float32, NaN = missing) as float64.
const xgbScript = `
import sys, numpy as np, xgboost as xgb
d, nrow, ncol = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = xgb.Booster(model_file=d + "/model.json", params={"nthread": 1})
x = np.fromfile(d + "/x.f32", dtype="<f4").reshape(nrow, ncol)
m = b.predict(xgb.DMatrix(x, missing=np.nan, feature_names=b.feature_names), output_margin=True)
np.asarray(m, dtype="<f8").tofile(d + "/margin.f64")
`

// xgbData draws n rows of nf float32-valued features (about 3 % NaN) and
// labels them with numClass classes from a linear signal plus noise of the
// given scale (3: a weak signal, as market features give; 0.5: a strong one).
func xgbData(n, nf, numClass int, seed uint64, noise float64) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	cols := make([][]float64, nf)
	for f := range cols {
		cols[f] = make([]float64, n)
	}
	y := make([]int, n)
	for r := range n {
		s := 0.0
		for f := range nf {
			v := float64(float32(rng.NormFloat64() * float64(f+1)))
			if rng.Float64() < 0.03 {
				v = math.NaN()
			} else if f < 3 {
				s += v / float64(f+1)
			}
			cols[f][r] = v
		}
		s += rng.NormFloat64() * noise
		switch {
		case numClass == 2:
			y[r] = int(max(0, math.Copysign(1, s)))
		case s < -0.5:
			y[r] = 0
		case s < 0.5:
			y[r] = 1
		default:
			y[r] = 2
		}
	}
	return cols, y
}

// TestExportXGBoostRoundTrip trains binary and multiclass models, loads
// their XGBoost export in XGBoost itself and compares its margins on 4,000
// unseen rows with ours two ways:
//   - with our trees summed the way XGBoost sums (the export's float32 leaves
//     added in float32, tree by tree): max abs difference ≤ 1e-6 (it is 0),
//     so every row reached the same leaves through every tree;
//   - with our float64 margins: XGBoost's float32 running sum drifts by half
//     an ulp per tree, a few 1e-6 over 300 trees at margins of ±5, so the
//     difference must stay within that rounding bound, computed per row.
func TestExportXGBoostRoundTrip(t *testing.T) {
	py := "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import xgboost, numpy").CombinedOutput(); err != nil {
		if os.Getenv(skipXGBoostEnv) == "1" {
			t.Skipf("python3-xgboost missing and %s=1: %v", skipXGBoostEnv, err)
		}
		t.Fatalf("python3-xgboost is required (apt-get install python3-xgboost, or %s=1 to skip): %v\n%s",
			skipXGBoostEnv, err, out)
	}
	for _, tc := range []struct {
		name     string
		numClass int
		noise    float64
		p        func(*Params)
	}{
		{"binary_depthwise", 2, 3, func(p *Params) {}},
		{"multiclass", 3, 3, func(p *Params) { p.NEstimators = 100 }},
		{"binary_leafwise_strong_signal", 2, 0.5, func(p *Params) { p.MaxDepth, p.NumLeaves = 0, 31 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n, nf = 4000, 6
			train, y := xgbData(n, nf, tc.numClass, 11, tc.noise)
			cols, _ := xgbData(n, nf, tc.numClass, 12, tc.noise) // scored rows: unseen, as in use
			p := DefaultParams()
			tc.p(&p)
			m, err := Train(train, y, tc.numClass, p)
			if err != nil {
				t.Fatal(err)
			}
			m.FeatureNames = []string{"ret_1h", "rsi_14", "atm_iv", "vol z", "gap", "hour"}
			js, err := m.ExportXGBoost()
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "model.json"), js, 0o644); err != nil {
				t.Fatal(err)
			}
			x := make([]byte, 0, n*nf*4)
			for r := range n {
				for f := range nf {
					x = binary.LittleEndian.AppendUint32(x, math.Float32bits(float32(cols[f][r])))
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "x.f32"), x, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(py, "-c", xgbScript, dir, strconv.Itoa(n), strconv.Itoa(nf))
			cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1") // one thread: OpenMP spinning on a busy machine costs seconds
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("xgboost: %v\n%s", err, out)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "margin.f64"))
			if err != nil {
				t.Fatal(err)
			}
			ours := m.PredictRaw(cols)
			K := len(ours)
			if len(raw) != 8*n*K {
				t.Fatalf("xgboost gave %d margins, want %d", len(raw)/8, n*K)
			}
			as32, bound := marginsAsXGBoost(m, cols)
			worst, worst32, top, maxBound := 0.0, 0.0, 0.0, 0.0
			for r := range n {
				for k := range K {
					theirs := math.Float64frombits(binary.LittleEndian.Uint64(raw[8*(r*K+k):]))
					d := math.Abs(theirs - ours[k][r])
					worst = max(worst, d)
					worst32 = max(worst32, math.Abs(theirs-as32[k][r]))
					top = max(top, math.Abs(ours[k][r]))
					maxBound = max(maxBound, bound[k][r])
					if !(d <= bound[k][r]+1e-12) {
						t.Fatalf("row %d class %d: xgboost %.9g, ours %.9g: off by %.3g, beyond float32 rounding %.3g",
							r, k, theirs, ours[k][r], d, bound[k][r])
					}
				}
			}
			t.Logf("%d trees, |margin| ≤ %.2f; max abs difference %.3g to our float64 margins (rounding bound %.3g), "+
				"%.3g to our trees summed as XGBoost sums", len(m.Trees), top, worst, maxBound, worst32)
			if !(worst32 <= 1e-6) {
				t.Fatalf("max abs margin difference %.3g > 1e-6 against our trees summed as XGBoost sums", worst32)
			}
		})
	}
}

// TestExportXGBoostShape checks the document's fixed parts: objective, tree
// layout and the threshold shift to the next float32.
func TestExportXGBoostShape(t *testing.T) {
	cols, y := xgbData(500, 3, 3, 3, 0.5)
	p := DefaultParams()
	p.NEstimators = 4
	m, err := Train(cols, y, 3, p)
	if err != nil {
		t.Fatal(err)
	}
	js, err := m.ExportXGBoost()
	if err != nil {
		t.Fatal(err)
	}
	var doc xgbModel
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	ln := doc.Learner
	if ln.Objective.Name != "multi:softprob" || ln.LearnerModelPar["num_class"] != "3" ||
		len(ln.GradientBooster.Model.Trees) != 12 || ln.GradientBooster.Model.TreeInfo[4] != 1 {
		t.Fatalf("unexpected document: %s", js[:min(len(js), 400)])
	}
	if strings.Contains(string(js), "NaN") {
		t.Fatal("NaN in the export")
	}
	for _, thr := range []float64{0, 1, -1, 0.1, 1e-40, -3.5, math.MaxFloat64, -math.MaxFloat64} {
		c := xgbThreshold(thr)
		below := math.Nextafter32(c, float32(math.Inf(-1)))
		if thr < math.MaxFloat32 && !(float64(c) > thr && float64(below) <= thr) {
			t.Errorf("threshold %g → %g: not the smallest float32 above", thr, c)
		}
	}
}

// marginsAsXGBoost sums our trees' leaves as XGBoost does: the export's
// float32 leaf values (base margins folded into the first round) added in
// float32 to the base_score margin, tree by tree. bound is, per margin, the
// largest distance float32 rounding can put between that sum and the exact
// one: half an ulp of each leaf and of each partial sum.
func marginsAsXGBoost(m *Model, cols [][]float64) (out, bound [][]float64) {
	K := m.treesPerRound()
	n := len(cols[0])
	out, bound = make([][]float64, K), make([][]float64, K)
	halfULP := func(v float32) float64 {
		a := float32(math.Abs(float64(v)))
		return float64(math.Nextafter32(a, float32(math.Inf(1)))-a) / 2
	}
	for k := range K {
		out[k], bound[k] = make([]float64, n), make([]float64, n)
		base := float32(0)
		if K > 1 {
			base = xgbBaseScore
		}
		for r := range n {
			acc := base
			for ti := k; ti < len(m.Trees); ti += K {
				tr := &m.Trees[ti]
				v := tr.Value[tr.leafRaw(cols, r)]
				if ti < K {
					v += m.BaseMargin[k] - float64(base)
				}
				acc += float32(v)
				bound[k][r] += halfULP(float32(v)) + halfULP(acc)
			}
			out[k][r] = float64(acc)
		}
	}
	return out, bound
}
