package engine

import (
	"math"
	"sort"
)

// ClassMetrics are one class's holdout figures. Undefined values (no rows
// predicted or present) are null rather than NaN.
type ClassMetrics struct {
	Class     string   `json:"class"`
	Support   int      `json:"support"`   // holdout rows of this class
	Predicted int      `json:"predicted"` // holdout rows predicted as this class
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	F1        *float64 `json:"f1"`
	AUC       *float64 `json:"auc"` // one-vs-rest
}

// Classification holds holdout metrics of a probabilistic classifier.
type Classification struct {
	Rows     int            `json:"rows"`
	Logloss  *float64       `json:"logloss"`
	Brier    *float64       `json:"brier"`    // multiclass Brier score (sum over classes, mean over rows)
	AUC      *float64       `json:"auc"`      // binary: of the second class; multiclass: macro one-vs-rest over classes with both outcomes
	Accuracy *float64       `json:"accuracy"` // argmax prediction
	PerClass []ClassMetrics `json:"per_class"`
}

func fptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// Classify computes holdout metrics from probs[class][row] and true class
// indices y (rows with y < 0 are skipped).
func Classify(classes []string, probs [][]float64, y []int) Classification {
	k := len(classes)
	out := Classification{PerClass: make([]ClassMetrics, k)}
	support := make([]int, k)
	predicted := make([]int, k)
	hits := make([]int, k)
	var ll, brier float64
	correct, n := 0, 0
	for i, c := range y {
		if c < 0 || c >= k {
			continue
		}
		n++
		best := 0
		for j := 1; j < k; j++ {
			if probs[j][i] > probs[best][i] {
				best = j
			}
		}
		support[c]++
		predicted[best]++
		if best == c {
			correct++
			hits[c]++
		}
		ll -= math.Log(math.Min(math.Max(probs[c][i], 1e-15), 1))
		for j := 0; j < k; j++ {
			d := probs[j][i]
			if j == c {
				d -= 1
			}
			brier += d * d
		}
	}
	out.Rows = n
	if n == 0 {
		for j := range classes {
			out.PerClass[j] = ClassMetrics{Class: classes[j]}
		}
		return out
	}
	out.Logloss = fptr(ll / float64(n))
	out.Brier = fptr(brier / float64(n))
	out.Accuracy = fptr(float64(correct) / float64(n))
	var aucSum float64
	aucN := 0
	for j := range classes {
		cm := ClassMetrics{Class: classes[j], Support: support[j], Predicted: predicted[j]}
		if predicted[j] > 0 {
			cm.Precision = fptr(float64(hits[j]) / float64(predicted[j]))
		}
		if support[j] > 0 {
			cm.Recall = fptr(float64(hits[j]) / float64(support[j]))
		}
		if cm.Precision != nil && cm.Recall != nil && *cm.Precision+*cm.Recall > 0 {
			cm.F1 = fptr(2 * *cm.Precision * *cm.Recall / (*cm.Precision + *cm.Recall))
		}
		if a := AUC(probs[j], y, j); !math.IsNaN(a) {
			cm.AUC = fptr(a)
			aucSum += a
			aucN++
		}
		out.PerClass[j] = cm
	}
	if k == 2 {
		out.AUC = out.PerClass[1].AUC
	} else if aucN > 0 {
		out.AUC = fptr(aucSum / float64(aucN))
	}
	return out
}

// AUC is the area under the ROC curve of score for "y == pos" against the
// other labelled rows (y ≥ 0), with ties counted half (Mann–Whitney). NaN when
// either side is empty.
func AUC(score []float64, y []int, pos int) float64 {
	idx := make([]int, 0, len(y))
	for i, c := range y {
		if c >= 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var rankSum, np float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2
		for q := i; q < j; q++ {
			if y[idx[q]] == pos {
				rankSum += avg
				np++
			}
		}
		i = j
	}
	nn := float64(len(idx)) - np
	if np == 0 || nn == 0 {
		return math.NaN()
	}
	return (rankSum - np*(np+1)/2) / (np * nn)
}
