package engine

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"sigmalab/engine/errs"
)

// TestRequestsDecodeLeniently: the request types take lists as JSON arrays or
// "a,b,c" strings, as the HTTP body and a CLI --body file alike.
func TestRequestsDecodeLeniently(t *testing.T) {
	var bt BacktestRequest
	if err := json.Unmarshal([]byte(`{"model_id":"m","thresholds":"0.45,0.5,0.55","allowed_hours":[13,"14"],`+
		`"train_hours":"9,10","features":"a, b","top_pct":"0.1","splits":4}`), &bt); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual([]float64(bt.Thresholds), []float64{0.45, 0.5, 0.55}) || !reflect.DeepEqual([]int(bt.AllowedHours), []int{13, 14}) ||
		!reflect.DeepEqual([]int(bt.TrainHours), []int{9, 10}) || !reflect.DeepEqual([]string(bt.Features), []string{"a", "b"}) ||
		bt.TopPct == nil || *bt.TopPct != 0.1 || bt.Splits != 4 || bt.ModelID != "m" {
		t.Fatalf("%+v", bt)
	}
	for _, off := range []string{`null`, `""`, `false`, `0`, `" "`} {
		var r BacktestRequest
		if err := json.Unmarshal([]byte(`{"model_id":"m","top_pct":`+off+`}`), &r); err != nil || r.TopPct != nil {
			t.Errorf("top_pct %s: %v %v", off, r.TopPct, err)
		}
	}
	var r BacktestRequest
	r.TopPct = new(float64)
	if n, err := r.Normalize(); err == nil || n.TopPct != nil {
		t.Errorf("top_pct 0 not off: %v", n.TopPct) // model_id is missing: err is expected
	}
	var ve *ValueError
	for _, bad := range []string{`{"top_pct":true}`, `{"top_pct":"x"}`, `{"allowed_hours":"a,b"}`, `{"allowed_hours":[13.5]}`, `{"train_hours":{}}`} {
		if err := json.Unmarshal([]byte(bad), new(BacktestRequest)); !errors.As(err, &ve) {
			t.Errorf("%s: %v, want a ValueError", bad, err)
		}
	}

	var tr TrainRequest
	if err := json.Unmarshal([]byte(`{"model_id":"m","calibration":null,"allowed_hours":"13,14","features":["x"]}`), &tr); err != nil ||
		tr.Calibration == nil || *tr.Calibration != "none" || len(tr.AllowedHours) != 2 || tr.Features[0] != "x" {
		t.Fatalf("%+v %v", tr, err)
	}
	tr = TrainRequest{}
	if err := json.Unmarshal([]byte(`{"model_id":"m"}`), &tr); err != nil || tr.Calibration != nil {
		t.Fatalf("absent calibration: %v %v", tr.Calibration, err)
	}
	if err := json.Unmarshal([]byte(`{"calibration":7}`), &tr); !errors.As(err, &ve) {
		t.Fatalf("calibration 7: %v", err)
	}

	var sw SweepRequest
	if err := json.Unmarshal([]byte(`{"model_id":"m","thresholds_variants":"0.5,0.52;0.6","allowed_hours_variants":[[10,11],"12",""],`+
		`"top_pct_variants":"0.1,0.2","allowed_hours":"13,14","train_hours":[9]}`), &sw); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual([]string(sw.ThresholdsVariants), []string{"0.5,0.52", "0.6"}) ||
		!reflect.DeepEqual([]string(sw.AllowedHoursVariants), []string{"10,11", "12", ""}) ||
		!reflect.DeepEqual([]float64(sw.TopPctVariants), []float64{0.1, 0.2}) || len(sw.TrainHours) != 1 {
		t.Fatalf("%+v", sw)
	}
	sw.AllowedHoursVariants = nil
	n, _, _, err := sw.Normalize()
	if err != nil || !reflect.DeepEqual([]string(n.AllowedHoursVariants), []string{"13,14"}) {
		t.Fatalf("allowed_hours as the one variant: %v %v", n.AllowedHoursVariants, err)
	}
	// A stored job's parameters (the encoded request) decode to the same request.
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var back SweepRequest
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, n) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, back, n)
	}
}

func TestImportRequestNormalize(t *testing.T) {
	r, err := ImportRequest{Path: " exports/a.csv ", Ticker: "qqq", Timeframe: "1h", Timezone: " ET "}.Normalize()
	if err != nil || r.Path != "exports/a.csv" || r.Ticker != "QQQ" || r.Options().Timezone != "ET" || r.JobParams().Path != "exports/a.csv" {
		t.Fatalf("%+v %v", r, err)
	}
	_, err = ImportRequest{Ticker: "no way", Timeframe: "2h"}.Normalize()
	var ve *errs.Validation
	if !errors.As(err, &ve) {
		t.Fatalf("bad request: %v", err)
	}
	var locs []string
	for _, f := range ve.Fields {
		locs = append(locs, strings.Join(f.Loc, "."))
	}
	if !reflect.DeepEqual(locs, []string{"body.path", "body.ticker", "body.timeframe"}) {
		t.Fatalf("locs %v", locs)
	}
}
