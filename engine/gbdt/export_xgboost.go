package gbdt

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// XGBoost's JSON model format (schema of XGBoost 1.7, read by 1.7 and later):
// the learner, its gbtree booster and one object per tree with parallel node
// arrays. The struct field order is the order XGBoost itself writes.
type xgbModel struct {
	Learner xgbLearner `json:"learner"`
	Version [3]int     `json:"version"`
}

type xgbLearner struct {
	Attributes      map[string]string `json:"attributes"`
	FeatureNames    []string          `json:"feature_names"`
	FeatureTypes    []string          `json:"feature_types"`
	GradientBooster xgbBooster        `json:"gradient_booster"`
	LearnerModelPar map[string]string `json:"learner_model_param"`
	Objective       xgbObjective      `json:"objective"`
}

type xgbBooster struct {
	Model xgbTrees `json:"model"`
	Name  string   `json:"name"`
}

type xgbTrees struct {
	Param    map[string]string `json:"gbtree_model_param"`
	TreeInfo []int             `json:"tree_info"`
	Trees    []xgbTree         `json:"trees"`
}

type xgbObjective struct {
	Name    string            `json:"name"`
	RegLoss map[string]string `json:"reg_loss_param,omitempty"`
	Softmax map[string]string `json:"softmax_multiclass_param,omitempty"`
}

type xgbTree struct {
	BaseWeights        f32s              `json:"base_weights"`
	Categories         []int             `json:"categories"`
	CategoriesNodes    []int             `json:"categories_nodes"`
	CategoriesSegments []int             `json:"categories_segments"`
	CategoriesSizes    []int             `json:"categories_sizes"`
	DefaultLeft        []int             `json:"default_left"`
	ID                 int               `json:"id"`
	LeftChildren       []int32           `json:"left_children"`
	LossChanges        f32s              `json:"loss_changes"`
	Parents            []int32           `json:"parents"`
	RightChildren      []int32           `json:"right_children"`
	SplitConditions    f32s              `json:"split_conditions"`
	SplitIndices       []int32           `json:"split_indices"`
	SplitType          []int             `json:"split_type"`
	SumHessian         f32s              `json:"sum_hessian"`
	TreeParam          map[string]string `json:"tree_param"`
}

// xgbNoParent is XGBoost's parent index of a root node.
const xgbNoParent = math.MaxInt32

// xgbBaseScore is the base_score the export declares: 0.5, whose margin is 0
// under binary:logistic and 0.5 under multi:softprob. Our base margins are
// folded into the first round's leaves instead, so no logit/sigmoid round
// trip through XGBoost's float32 base_score costs precision.
const xgbBaseScore = 0.5

// ExportXGBoost writes the model in XGBoost's JSON model format, loadable by
// xgboost.Booster(model_file=…) (file name ending in .json). Binary models
// become binary:logistic, multiclass ones multi:softprob with one tree per
// class per round, as XGBoost lays them out.
//
// Two differences of arithmetic are bridged, and one remains:
//   - We send a row left when value ≤ threshold; XGBoost when value <
//     split_condition. Each threshold becomes the smallest float32 strictly
//     above it, so for every float32 value the two rules agree.
//   - XGBoost has no per-class base margin beside base_score; ours are added
//     to every leaf of the first round's trees (base_score is 0.5, see
//     xgbBaseScore), which changes no prediction.
//   - XGBoost reads features, thresholds and leaf values as float32 and sums
//     in float32: margins agree to about 1e-6 for a few hundred trees, and a
//     float64 feature value within one float32 step of a threshold can go
//     the other way (values that are float32 to begin with never do).
func (m *Model) ExportXGBoost() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	K := m.treesPerRound()
	names := m.FeatureNames
	if names == nil {
		names = []string{}
	}
	types := make([]string, len(names))
	for i := range types {
		types[i] = "float"
	}
	out := xgbModel{Version: [3]int{1, 7, 4}}
	ln := &out.Learner
	ln.Attributes = map[string]string{}
	if m.Rounds > 0 {
		ln.Attributes["best_iteration"] = strconv.Itoa(m.Rounds - 1)
		ln.Attributes["best_ntree_limit"] = strconv.Itoa(m.Rounds)
	}
	ln.FeatureNames, ln.FeatureTypes = names, types
	numClass := "0"
	ln.Objective = xgbObjective{Name: "binary:logistic", RegLoss: map[string]string{"scale_pos_weight": "1"}}
	if K > 1 {
		numClass = strconv.Itoa(m.NumClass)
		ln.Objective = xgbObjective{Name: "multi:softprob", Softmax: map[string]string{"num_class": numClass}}
	}
	ln.LearnerModelPar = map[string]string{"base_score": "5E-1", "boost_from_average": "1", "num_class": numClass,
		"num_feature": strconv.Itoa(m.NumFeature), "num_target": "1"}
	trees := make([]xgbTree, len(m.Trees))
	info := make([]int, len(m.Trees))
	for ti := range m.Trees {
		shift := 0.0
		if ti < K { // first round: carries the base margin
			base := 0.0 // margin of base_score 0.5 under binary:logistic
			if K > 1 {
				base = xgbBaseScore
			}
			shift = m.BaseMargin[ti] - base
		}
		trees[ti] = xgbExportTree(&m.Trees[ti], ti, m.NumFeature, shift)
		info[ti] = ti % K
	}
	ln.GradientBooster = xgbBooster{Name: "gbtree", Model: xgbTrees{
		Param: map[string]string{"num_parallel_tree": "1", "num_trees": strconv.Itoa(len(m.Trees)),
			"size_leaf_vector": "0"},
		TreeInfo: info, Trees: trees}}
	return json.Marshal(out)
}

// xgbExportTree converts one tree, adding shift to its leaf values.
func xgbExportTree(t *Tree, id, numFeature int, shift float64) xgbTree {
	n := t.NumNodes()
	x := xgbTree{ID: id, BaseWeights: make(f32s, n), DefaultLeft: make([]int, n),
		LeftChildren: make([]int32, n), RightChildren: make([]int32, n), LossChanges: make(f32s, n),
		Parents: make([]int32, n), SplitConditions: make(f32s, n), SplitIndices: make([]int32, n),
		SplitType: make([]int, n), SumHessian: make(f32s, n),
		Categories: []int{}, CategoriesNodes: []int{}, CategoriesSegments: []int{}, CategoriesSizes: []int{},
		TreeParam: map[string]string{"num_deleted": "0", "num_feature": strconv.Itoa(numFeature),
			"num_nodes": strconv.Itoa(n), "size_leaf_vector": "0"}}
	x.Parents[0] = xgbNoParent
	for i := range n {
		x.SumHessian[i] = float32(t.Cover[i])
		if t.Feature[i] < 0 {
			v := float32(t.Value[i] + shift)
			x.LeftChildren[i], x.RightChildren[i] = -1, -1
			x.SplitConditions[i], x.BaseWeights[i] = v, v
			continue
		}
		x.LeftChildren[i], x.RightChildren[i] = t.Left[i], t.Right[i]
		x.Parents[t.Left[i]], x.Parents[t.Right[i]] = int32(i), int32(i)
		x.SplitIndices[i] = t.Feature[i]
		x.SplitConditions[i] = xgbThreshold(t.Threshold[i])
		x.LossChanges[i] = float32(t.Gain[i])
		if t.DefaultLeft[i] {
			x.DefaultLeft[i] = 1
		}
	}
	return x
}

// xgbThreshold is the smallest float32 strictly above thr: for every float32
// value v, v < xgbThreshold(thr) exactly when v ≤ thr.
func xgbThreshold(thr float64) float32 {
	f := float32(thr)
	if float64(f) <= thr {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return min(f, math.MaxFloat32) // JSON has no infinity; no float32 value lies above MaxFloat32 anyway
}

// f32s is a float32 array written as JSON numbers that always carry a
// decimal point or exponent: XGBoost's reader types "0" as an integer and
// refuses it where a float is due.
type f32s []float32

// MarshalJSON writes the shortest decimal that reads back as the same float32.
func (a f32s) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+12*len(a))
	b = append(b, '[')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		n := len(b)
		b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		if !strings.ContainsAny(string(b[n:]), ".eE") {
			b = append(b, ".0"...)
		}
	}
	return append(b, ']'), nil
}
