package gbdt

import (
	"math"
	"runtime"
	"sort"

	"sigmalab/engine/errs"
)

// Model is a trained classifier. Trees are stored round by round: for
// multiclass, tree i belongs to class i % NumClass; for binary there is one
// tree per round producing the log-odds of class 1.
type Model struct {
	Version      int       `json:"version"`
	NumClass     int       `json:"num_class"`
	NumFeature   int       `json:"num_feature"`
	FeatureNames []string  `json:"feature_names,omitempty"`
	BaseMargin   []float64 `json:"base_margin"` // initial margin per tree group (1 for binary)
	Rounds       int       `json:"rounds"`      // boosting rounds kept
	// BestIteration is the 0-based round with the lowest validation loss when
	// early stopping ran (the model is truncated to it), else the last round.
	BestIteration   int       `json:"best_iteration"`
	ValidLoss       float64   `json:"valid_loss,omitempty"`
	Params          Params    `json:"params"`
	ImportanceGain  []float64 `json:"importance_gain"`  // total split gain per feature
	ImportanceSplit []int     `json:"importance_split"` // number of splits per feature
	Trees           []Tree    `json:"trees"`
}

// treesPerRound is 1 for binary models, NumClass otherwise.
func (m *Model) treesPerRound() int {
	if m.NumClass == 2 {
		return 1
	}
	return m.NumClass
}

func (m *Model) computeImportance() {
	m.ImportanceGain = make([]float64, m.NumFeature)
	m.ImportanceSplit = make([]int, m.NumFeature)
	for ti := range m.Trees {
		t := &m.Trees[ti]
		for i, f := range t.Feature {
			if f >= 0 {
				m.ImportanceGain[f] += t.Gain[i]
				m.ImportanceSplit[f]++
			}
		}
	}
}

// Importance is one feature's importance.
type Importance struct {
	Feature int     `json:"feature"`
	Name    string  `json:"name,omitempty"`
	Gain    float64 `json:"gain"`     // total split gain
	GainPct float64 `json:"gain_pct"` // share of all gain, 0..1
	Splits  int     `json:"splits"`
}

// TopImportance returns up to k features ordered by gain (ties: more splits,
// then lower index); k ≤ 0 returns all features with at least one split.
func (m *Model) TopImportance(k int) []Importance {
	total := 0.0
	for _, g := range m.ImportanceGain {
		total += g
	}
	var out []Importance
	for f := range m.NumFeature {
		if m.ImportanceSplit[f] == 0 {
			continue
		}
		im := Importance{Feature: f, Gain: m.ImportanceGain[f], Splits: m.ImportanceSplit[f]}
		if total > 0 {
			im.GainPct = im.Gain / total
		}
		if f < len(m.FeatureNames) {
			im.Name = m.FeatureNames[f]
		}
		out = append(out, im)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Gain != out[j].Gain {
			return out[i].Gain > out[j].Gain
		}
		return out[i].Splits > out[j].Splits
	})
	if k > 0 && len(out) > k {
		out = out[:k]
	}
	return out
}

// predictChunk is the row block handled by one task; fixed so results never
// depend on the worker count (each row's sum runs tree by tree in order).
const predictChunk = 4096

// PredictRaw returns the margins (raw scores) margins[group][row] for
// cols[f][row]: one group for binary models (log-odds of class 1), NumClass
// groups otherwise. It panics if cols has the wrong number of columns; use
// CheckInput first for untrusted input.
func (m *Model) PredictRaw(cols [][]float64) [][]float64 {
	K := m.treesPerRound()
	n := 0
	if len(cols) > 0 {
		n = len(cols[0])
	}
	out := make([][]float64, K)
	for k := range K {
		out[k] = make([]float64, n)
		for i := range out[k] {
			out[k][i] = m.BaseMargin[k]
		}
	}
	chunkFor(n, predictChunk, runtime.GOMAXPROCS(0), func(lo, hi int) {
		for ti := range m.Trees {
			t := &m.Trees[ti]
			o := out[ti%K]
			for r := lo; r < hi; r++ {
				o[r] += t.Value[t.leafRaw(cols, r)]
			}
		}
	})
	return out
}

// CheckInput validates cols for prediction: the model's feature count and
// equal column lengths.
func (m *Model) CheckInput(cols [][]float64) error {
	if len(cols) != m.NumFeature {
		return errs.Invalidf("gbdt: %d columns, model has %d features", len(cols), m.NumFeature)
	}
	for f, c := range cols {
		if len(c) != len(cols[0]) {
			return errs.Invalidf("gbdt: column %d has %d rows, column 0 has %d", f, len(c), len(cols[0]))
		}
	}
	return nil
}

// PredictProba returns class probabilities probs[class][row] (binary models
// give two classes, so callers treat every model alike).
func (m *Model) PredictProba(cols [][]float64) [][]float64 {
	return marginsToProba(m.PredictRaw(cols), m.NumClass)
}

// marginsToProba converts margins (1 group for binary) to probabilities.
func marginsToProba(margins [][]float64, numClass int) [][]float64 {
	n := len(margins[0])
	if numClass == 2 {
		p1 := make([]float64, n)
		p0 := make([]float64, n)
		for i, v := range margins[0] {
			p1[i] = sigmoid(v)
			p0[i] = 1 - p1[i]
		}
		return [][]float64{p0, p1}
	}
	K := len(margins)
	out := make([][]float64, K)
	for k := range K {
		out[k] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		mx := math.Inf(-1)
		for k := range K {
			mx = max(mx, margins[k][i])
		}
		sum := 0.0
		for k := range K {
			e := math.Exp(margins[k][i] - mx)
			out[k][i] = e
			sum += e
		}
		for k := range K {
			out[k][i] /= sum
		}
	}
	return out
}
