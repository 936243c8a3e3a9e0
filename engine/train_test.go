package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt"
	"sigmalab/engine/matrix"
)

// trainMatrix is an hourly matrix with a learnable 3-class label: UP when the
// call/put flow imbalance plus noise is high, DOWN when low, FLAT otherwise.
// Labels end one hour after the row (t1), ret_fwd carries the outcome.
func trainMatrix(n int, seed uint64) *matrix.Matrix {
	rng := rand.New(rand.NewPCG(seed, 11))
	m := &matrix.Matrix{TS: make([]int64, n), Date: make([]string, n), HourET: make([]int32, n), T1: make([]int64, n),
		Meta: map[string]string{"data_source": "demo"}}
	calls, puts := make([]float64, n), make([]float64, n)
	callsM1, noise := make([]float64, n), make([]float64, n)
	dow, ret := make([]float64, n), make([]float64, n)
	y := make([]string, n)
	const hour = int64(3_600_000)
	for i := 0; i < n; i++ {
		day, h := i/7, i%7
		m.TS[i] = 1_700_000_000_000 + int64(day)*24*hour + int64(h)*hour
		m.T1[i] = m.TS[i] + hour
		m.Date[i] = "2024-01-" + string(rune('0'+(day/10)%10)) + string(rune('0'+day%10))
		m.HourET[i] = int32(9 + h)
		calls[i] = rng.Float64() * 1000
		puts[i] = rng.Float64() * 1000
		callsM1[i] = rng.Float64() * 1000
		noise[i] = rng.NormFloat64()
		if rng.Float64() < 0.05 {
			callsM1[i] = math.NaN()
		}
		dow[i] = float64(day % 5)
		s := (calls[i]-puts[i])/400 + 0.3*rng.NormFloat64()
		ret[i] = s / 100
		switch {
		case s > 0.4:
			y[i] = "UP"
		case s < -0.4:
			y[i] = "DOWN"
		default:
			y[i] = "FLAT"
		}
	}
	m.AddCol("calls_sold_d0", calls)
	m.AddCol("puts_sold_d0", puts)
	m.AddCol("calls_sold_d-1", callsM1)
	m.AddCol("noise_x", noise)
	m.AddCol("day_of_week", dow)
	m.AddCol("ret_fwd", ret)
	m.AddText("y", y)
	return m
}

// featureSpec decodes a config's features block.
func featureSpec(t *testing.T, js string) engine.FeatureSpec {
	t.Helper()
	var cfg engine.ModelConfig
	if err := json.Unmarshal([]byte(`{"features":`+js+`}`), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Features
}

func TestSelectFeatures(t *testing.T) {
	m := trainMatrix(50, 1)
	got := engine.SelectFeatures(m, featureSpec(t, `{"flow":{"per_distance":true},"time":{"hour_of_day":true}}`), "y")
	want := []string{"calls_sold_d-1", "calls_sold_d0", "hour_et", "puts_sold_d0"}
	if !slices.Equal(got, want) {
		t.Fatalf("dict config: %v, want %v", got, want)
	}
	got = engine.SelectFeatures(m, engine.FeatureSpec{IsList: true, List: []string{"noise_x", "ret_fwd", "y", "missing", "calls_sold_d0"}}, "y")
	if !slices.Equal(got, []string{"noise_x", "calls_sold_d0"}) {
		t.Fatalf("list config: %v (ret_fwd and y must never be features)", got)
	}
	got = engine.SelectFeatures(m, engine.FeatureSpec{}, "y")
	if !slices.Equal(got, []string{"calls_sold_d0", "calls_sold_d-1", "puts_sold_d0", "day_of_week", "hour_et"}) {
		t.Fatalf("default rule: %v", got)
	}
}

func prepared(t *testing.T, n int) *engine.TrainData {
	t.Helper()
	m := trainMatrix(n, 2)
	d, target, unl, err := engine.PrepareTrainData(m, []string{"calls_sold_d0", "puts_sold_d0", "calls_sold_d-1", "noise_x", "hour_et"}, "", nil)
	if err != nil || target != "y" || unl != 0 {
		t.Fatalf("prepare: %v %q %d", err, target, unl)
	}
	return d
}

func fastTrainParams() gbdt.Params {
	p := gbdt.DefaultParams()
	p.NEstimators = 80
	p.LearningRate = 0.15
	return p
}

func TestFitAndEvaluateHoldoutMetrics(t *testing.T) {
	d := prepared(t, 2110)
	if !slices.Equal(d.Classes, []string{"DOWN", "FLAT", "UP"}) {
		t.Fatalf("classes %v", d.Classes)
	}
	for _, cal := range []string{"none", "sigmoid", "isotonic"} {
		t.Run(cal, func(t *testing.T) {
			out, err := engine.FitAndEvaluate(context.Background(), d, fastTrainParams(), cal, 0.2)
			if err != nil {
				t.Fatal(err)
			}
			m := out.Metrics
			if m.HoldoutRows != 422 || m.Rows != 2110 {
				t.Fatalf("rows %d holdout %d", m.Rows, m.HoldoutRows)
			}
			// t1 = ts + 1h and both blocks start mid-session: exactly the last row
			// before each held-out block overlaps it.
			wantPurged := 1
			if cal != "none" {
				wantPurged = 2
			}
			if m.PurgedRows != wantPurged {
				t.Fatalf("purged %d, want %d", m.PurgedRows, wantPurged)
			}
			if m.TrainRows+m.CalibrationRows+m.PurgedRows+m.HoldoutRows != m.Rows {
				t.Fatalf("row accounting: %+v", m)
			}
			if (cal != "none") != m.CalibrationApplied || (cal != "none") != (out.Calibrator != nil) {
				t.Fatalf("calibration applied=%v note=%q", m.CalibrationApplied, m.CalibrationNote)
			}
			if m.AUC == nil || *m.AUC < 0.9 || m.Accuracy == nil || *m.Accuracy < 0.75 {
				t.Fatalf("auc %v accuracy %v", deref(m.AUC), deref(m.Accuracy))
			}
			if m.Logloss == nil || *m.Logloss > 0.6 || len(m.PerClass) != 3 {
				t.Fatalf("logloss %v per-class %d", deref(m.Logloss), len(m.PerClass))
			}
			for _, pc := range m.PerClass {
				if pc.Precision == nil || pc.Recall == nil || pc.AUC == nil || pc.Support == 0 {
					t.Fatalf("per-class %+v", pc)
				}
			}
			if len(m.TopFeatures) == 0 || (m.TopFeatures[0].Feature != "calls_sold_d0" && m.TopFeatures[0].Feature != "puts_sold_d0") {
				t.Fatalf("top features %+v", m.TopFeatures)
			}
			sum := 0
			for _, c := range m.HoldoutClassCounts {
				sum += c
			}
			if sum != m.HoldoutRows {
				t.Fatalf("holdout class counts %v", m.HoldoutClassCounts)
			}
		})
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func TestPrepareTrainDataFilters(t *testing.T) {
	m := trainMatrix(700, 3)
	m.Text[0][5] = "nan"
	m.Text[0][6] = ""
	d, _, unl, err := engine.PrepareTrainData(m, []string{"calls_sold_d0"}, "y", []int{13, 14})
	if err != nil {
		t.Fatal(err)
	}
	// 100 days × 7 hours: hours 13 and 14 give 200 rows; row 5 (hour 14) is
	// unlabelled, row 6 (hour 15) is outside the hours.
	if len(d.Y) != 199 || unl != 1 {
		t.Fatalf("rows %d unlabelled %d", len(d.Y), unl)
	}
	one := make([]string, m.Len())
	for i := range one {
		one[i] = "UP"
	}
	m.AddText("y_one", one)
	if _, _, _, err := engine.PrepareTrainData(m, []string{"calls_sold_d0"}, "y_one", nil); !isTargetError(err, "target needs at least two classes") {
		t.Fatalf("single class: %v", err)
	}
	if _, _, _, err := engine.PrepareTrainData(m, []string{"calls_sold_d0"}, "nope", nil); err == nil {
		t.Fatal("unknown target accepted")
	}
	if _, _, _, err := engine.PrepareTrainData(m, []string{"calls_sold_d0"}, "y", []int{3}); !errors.Is(err, errs.ErrNoData) {
		t.Fatalf("no rows in hours: %v", err)
	}
}

func TestTrainedModelArtifactRoundTrip(t *testing.T) {
	d := prepared(t, 700)
	out, err := engine.FitAndEvaluate(context.Background(), d, fastTrainParams(), "sigmoid", 0.2)
	if err != nil {
		t.Fatal(err)
	}
	tm := &engine.TrainedModel{ModelID: "m1", Classes: d.Classes, Features: d.Features, Calibration: "sigmoid",
		Calibrator: out.Calibrator, GBDT: mustJSON(t, out.Model)}
	blob, err := tm.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := engine.DecodeTrainedModel(blob)
	if err != nil {
		t.Fatal(err)
	}
	m := trainMatrix(300, 9)
	p1, err := back.PredictMatrix(m)
	if err != nil {
		t.Fatal(err)
	}
	cols := make([][]float64, len(d.Features))
	for j, f := range d.Features {
		if f == "hour_et" {
			cols[j] = make([]float64, m.Len())
			for i, h := range m.HourET {
				cols[j][i] = float64(h)
			}
			continue
		}
		cols[j] = m.Col(f)
	}
	p2 := out.Model.PredictProba(cols)
	out.Calibrator.Apply(p2)
	for k := range p1 {
		for i := range p1[k] {
			if p1[k][i] != p2[k][i] {
				t.Fatalf("prediction [%d][%d] differs after round trip", k, i)
			}
		}
	}
	if _, err := engine.DecodeTrainedModel(blob[:len(blob)/2]); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("truncated artifact: %v", err)
	}
	m2 := &matrix.Matrix{TS: m.TS, Date: m.Date, HourET: m.HourET}
	if _, err := back.PredictMatrix(m2); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("matrix without features: %v", err)
	}
}

func mustJSON(t *testing.T, m *gbdt.Model) []byte {
	b, err := m.MarshalJSONModel()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestApplyHyperparams(t *testing.T) {
	p, ignored, err := engine.ApplyHyperparams(gbdt.DefaultParams(),
		map[string]any{"n_estimators": 50, "max_depth": 3.0, "eta": "0.1", "objective": "multi:softprob", "lambda": 2}, "body")
	if err != nil {
		t.Fatal(err)
	}
	if p.NEstimators != 50 || p.MaxDepth != 3 || p.LearningRate != 0.1 || p.RegLambda != 2 || !slices.Equal(ignored, []string{"objective"}) {
		t.Fatalf("params %+v ignored %v", p, ignored)
	}
	for _, bad := range []map[string]any{{"max_depth": -1}, {"n_estimators": 2.5}, {"subsample": 0}, {"learning_rate": "x"}} {
		_, _, err := engine.ApplyHyperparams(gbdt.DefaultParams(), bad, "body")
		var v *errs.Validation
		if !errors.As(err, &v) || v.Fields[0].Loc[1] != "hyperparams" {
			t.Fatalf("%v: err %v", bad, err)
		}
	}
}

func TestTrainRequestNormalize(t *testing.T) {
	s := func(v string) *string { return &v }
	f := func(v float64) *float64 { return &v }
	ok, err := engine.TrainRequest{ModelID: "m1", AllowedHours: []int{14, 13, 14}}.Normalize()
	if err != nil || *ok.Calibration != "sigmoid" || *ok.HoldoutFrac != 0.2 || !slices.Equal(ok.AllowedHours, []int{13, 14}) {
		t.Fatalf("defaults: %+v %v", ok, err)
	}
	for name, r := range map[string]engine.TrainRequest{
		"no model":    {},
		"bad model":   {ModelID: "../x"},
		"calibration": {ModelID: "m1", Calibration: s("platt")},
		"hours":       {ModelID: "m1", AllowedHours: []int{24}},
		"holdout":     {ModelID: "m1", HoldoutFrac: f(0.9)},
		"csv":         {ModelID: "m1", CSV: "x.csv"},
	} {
		var v *errs.Validation
		if _, err := r.Normalize(); !errors.As(err, &v) {
			t.Errorf("%s: err %v, want a validation error", name, err)
		}
	}
}

func TestAUCTiesAndDegenerate(t *testing.T) {
	if a := engine.AUC([]float64{0.1, 0.4, 0.35, 0.8}, []int{0, 0, 1, 1}, 1); math.Abs(a-0.75) > 1e-12 {
		t.Fatalf("auc %v, want 0.75", a)
	}
	if a := engine.AUC([]float64{0.5, 0.5}, []int{0, 1}, 1); a != 0.5 {
		t.Fatalf("tied auc %v", a)
	}
	if a := engine.AUC([]float64{0.5, 0.5}, []int{1, 1}, 1); !math.IsNaN(a) {
		t.Fatalf("one-sided auc %v", a)
	}
}

// isTargetError reports a 422 on body.target whose message contains msg.
func isTargetError(err error, msg string) bool {
	var ve *errs.Validation
	if !errors.As(err, &ve) || len(ve.Fields) != 1 {
		return false
	}
	f := ve.Fields[0]
	return slices.Equal(f.Loc, []string{"body", "target"}) && strings.Contains(f.Msg, msg)
}

func TestTargetLabelsRefusesNonLabels(t *testing.T) {
	m := trainMatrix(700, 4)
	n := m.Len()
	price, many, code, hoursOnly := make([]float64, n), make([]string, n), make([]float64, n), make([]string, n)
	for i := range price {
		price[i] = 400 + float64(i)*0.01
		many[i] = "c" + strconv.Itoa(i%(engine.MaxTargetClasses+1))
		code[i] = float64(i%3 - 1)
		hoursOnly[i] = "UP"
		if m.HourET[i] == 9 {
			hoursOnly[i] = "DOWN"
		}
	}
	m.AddCol("close", price)
	m.AddText("y_many", many)
	m.AddCol("label_code", code)
	m.AddText("y_hours", hoursOnly)
	for _, c := range []struct{ target, msg string }{
		{"close", "not a class label"},
		{"ret_fwd", "not a class label"},
		{"y_many", "more than 20 classes"},
		{"nope", "is not in the matrix"},
	} {
		if _, _, err := engine.TargetLabels(m, c.target); !isTargetError(err, c.msg) {
			t.Errorf("target %s: %v", c.target, err)
		}
	}
	// A numeric label (1/0/-1 class codes) under a label name is a target.
	if target, ls, err := engine.TargetLabels(m, "label_code"); err != nil || target != "label_code" || ls[0] != "-1" {
		t.Fatalf("numeric label: %v %q %v", err, target, ls[:1])
	}
	if target, _, err := engine.TargetLabels(m, ""); err != nil || target != "y" {
		t.Fatalf("default target: %v %q", err, target)
	}
	// Two classes in the matrix, one in the selected hours.
	if _, _, _, err := engine.PrepareTrainData(m, []string{"calls_sold_d0"}, "y_hours", []int{10, 11}); !isTargetError(err, "in the selected rows") {
		t.Fatalf("single class in hours: %v", err)
	}
	unlabelled := make([]string, n)
	m.AddText("y", unlabelled)
	m.AddText("y_syn", unlabelled)
	if _, _, err := engine.TargetLabels(m, ""); !errors.Is(err, errs.ErrNoData) {
		t.Fatalf("unlabelled matrix: %v", err)
	}
}

func TestResolveFeatures(t *testing.T) {
	m := trainMatrix(50, 5)
	got, err := engine.ResolveFeatures(m, engine.FeatureSpec{}, nil, "y")
	if err != nil || !slices.Equal(got, engine.SelectFeatures(m, engine.FeatureSpec{}, "y")) {
		t.Fatalf("config selection: %v %v", got, err)
	}
	got, err = engine.ResolveFeatures(m, engine.FeatureSpec{}, []string{" noise_x", "hour_et", "noise_x", ""}, "y")
	if err != nil || !slices.Equal(got, []string{"noise_x", "hour_et"}) {
		t.Fatalf("explicit: %v %v", got, err)
	}
	isFeatures := func(err error, msg string) bool {
		var ve *errs.Validation
		return errors.As(err, &ve) && slices.Equal(ve.Fields[0].Loc, []string{"body", "features"}) && strings.Contains(ve.Error(), msg)
	}
	if _, err := engine.ResolveFeatures(m, engine.FeatureSpec{}, []string{"noise_x", "nope", "gone"}, "y"); !isFeatures(err, "not numeric matrix columns: nope, gone") {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := engine.ResolveFeatures(m, engine.FeatureSpec{}, []string{"ret_fwd", "y"}, "y"); !isFeatures(err, "labels or realised outcomes cannot be features: ret_fwd") {
		t.Fatalf("label as feature: %v", err)
	}
	if _, err := engine.ResolveFeatures(m, engine.FeatureSpec{}, []string{" "}, "y"); !isFeatures(err, "features lists no column") {
		t.Fatalf("blank list: %v", err)
	}
}

// TestLabelAliasesAreNeverFeatures: every label column a build writes (the
// realised forward return under its predecessor names ret_next_hour and
// ret_close_to_open included) is an outcome after the row; neither a config's
// feature list nor a request may feed it to the model.
func TestLabelAliasesAreNeverFeatures(t *testing.T) {
	for _, kind := range []string{"next_hour", "close_to_open", "fwd_ret_2d"} {
		m := trainMatrix(60, 3)
		m.T1, m.Names, m.Cols, m.TextNames, m.Text = nil, m.Names[:5], m.Cols[:5], nil, nil
		in := matrix.LabelInput{End: make([]int64, m.Len()), Close: make([]float64, m.Len())}
		for i := range in.End {
			in.End[i] = m.TS[i] + 3_600_000
			in.Close[i] = 100 + float64(i%9)
		}
		if err := matrix.ApplyLabel(m, matrix.LabelConfig{Kind: kind, SigmaMinPeriods: 2}, in); err != nil {
			t.Fatal(err)
		}
		var outcomes []string
		for _, c := range strings.Split(m.Meta["label_columns"], ",") {
			if m.Col(c) != nil {
				outcomes = append(outcomes, c)
			}
		}
		if len(outcomes) < 2 {
			t.Fatalf("%s: label columns %v", kind, outcomes)
		}
		list := engine.FeatureSpec{IsList: true, List: append([]string{"noise_x"}, outcomes...)}
		if got := engine.SelectFeatures(m, list, "y"); !slices.Equal(got, []string{"noise_x"}) {
			t.Fatalf("%s: config list selects %v", kind, got)
		}
		if _, err := engine.ResolveFeatures(m, engine.FeatureSpec{}, append([]string{"noise_x"}, outcomes...), "y"); err == nil {
			t.Fatalf("%s: request features %v accepted", kind, outcomes)
		}
	}
}
