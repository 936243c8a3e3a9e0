package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"sigmalab/engine"
	"sigmalab/engine/backtest"
	"sigmalab/engine/errs"
)

// A sweep whose every cell failed is failed, for the reason its cells give,
// and the request answers that error (not ok:true, completed).
func TestSweepEveryCellFailedIsFailed(t *testing.T) {
	env := openSweepEnv(t, t.TempDir())
	// conf_cap 5 is outside (0, 1]: every cell's evaluation refuses it.
	src := engine.SweepSource{OOF: testOOF(t, 700), Base: backtest.TradeParams{ConfCap: 5}}
	resp, err := env.lab.RunSweep(context.Background(), engine.SweepRequest{ModelID: "m",
		ThresholdsVariants: []string{"0.5", "0.6"}}, src, engine.SweepOptions{})
	var v *errs.Validation
	if !errors.As(err, &v) || !strings.Contains(err.Error(), "every one of the 2 cells failed") ||
		!strings.Contains(err.Error(), "conf_cap") {
		t.Fatalf("err %v", err)
	}
	if resp.Status != engine.SweepFailed || resp.SweepID == 0 {
		t.Fatalf("%+v", resp)
	}
	rec, _, err := env.lab.GetSweep(context.Background(), resp.SweepID)
	if err != nil || rec.Status != engine.SweepFailed || !strings.Contains(rec.Error, "conf_cap") {
		t.Fatalf("%+v %v", rec, err)
	}
}

// Repeated variants are collapsed (a thresholds variant is a set), and the
// answer says how many were dropped.
func TestSweepDuplicateVariantsCollapsed(t *testing.T) {
	env := openSweepEnv(t, t.TempDir())
	src := engine.SweepSource{OOF: testOOF(t, 700)}
	req := engine.SweepRequest{ModelID: "m", ThresholdsVariants: []string{"0.5,0.55", "0.55,0.5", "0.55, 0.5,0.5"},
		TopPctVariants: []float64{0.1, 0.1, 0.2}, AllowedHoursVariants: []string{"13,14", "14,13", ""}}
	resp, err := env.lab.RunSweep(context.Background(), req, src, engine.SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 1 thresholds + 2 top_pct variants × 2 hour sets.
	if resp.Cells != 6 || resp.Count != 6 || resp.DuplicatesDropped != 4 {
		t.Fatalf("cells %d count %d dropped %d", resp.Cells, resp.Count, resp.DuplicatesDropped)
	}
	b, _ := json.Marshal(resp)
	if !strings.Contains(string(b), `"duplicates_dropped":4`) {
		t.Fatalf("%s", b)
	}
}

// The cell cap is the Lab's (default 10,000); above it the request is a 422
// naming the variant fields, and no sweep is recorded.
func TestSweepCellCap(t *testing.T) {
	env := openSweepEnv(t, t.TempDir())
	src := engine.SweepSource{OOF: testOOF(t, 700)}
	tops := make([]float64, 0, 101)
	for i := 1; i <= 101; i++ {
		tops = append(tops, float64(i)/1000)
	}
	hours := make([]string, 0, 100)
	for h := 0; h < 24; h++ {
		for k := h + 1; k < 24 && len(hours) < 100; k++ {
			hours = append(hours, strings.Join([]string{itoa(h), itoa(k)}, ","))
		}
	}
	req := engine.SweepRequest{ModelID: "m", TopPctVariants: tops, AllowedHoursVariants: hours}
	_, err := env.lab.RunSweep(context.Background(), req, src, engine.SweepOptions{})
	var v *errs.Validation
	if !errors.As(err, &v) || !strings.Contains(err.Error(), "10100 cells") {
		t.Fatalf("err %v", err)
	}
	named := map[string]bool{}
	for _, f := range v.Fields {
		named[f.Loc[1]] = true
	}
	if !named["top_pct_variants"] || !named["allowed_hours_variants"] {
		t.Fatalf("fields %+v", v.Fields)
	}
	if _, total, _ := env.lab.ListSweeps(context.Background(), engine.SweepFilter{}); total != 0 {
		t.Fatalf("%d sweeps recorded", total)
	}
	// Configurable: a Lab cap of 5 refuses a 6-cell grid.
	env.lab.MaxSweepCells = 5
	if _, err := env.lab.RunSweep(context.Background(), engine.SweepRequest{ModelID: "m", TopPctVariants: []float64{0.1, 0.2},
		AllowedHoursVariants: []string{"13", "14", "15"}}, src, engine.SweepOptions{}); !errors.As(err, &v) {
		t.Fatalf("cap 5: %v", err)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// start/end are not supported by sweeps (every OOF row of the build is
// evaluated): a value is a 422 naming the field, not silently ignored; an
// explicit splits 0 is a 422 too, an absent one the default 5.
func TestSweepRequestValidationUniform(t *testing.T) {
	for _, tc := range []struct{ body, field string }{
		{`{"model_id":"m","start":"2024-01-01"}`, "start"},
		{`{"model_id":"m","end":"2024-13-01"}`, "end"},
		{`{"model_id":"m","splits":0}`, "splits"},
		{`{"model_id":"m","splits":51}`, "splits"},
	} {
		var req engine.SweepRequest
		if err := json.Unmarshal([]byte(tc.body), &req); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := req.Normalize()
		var v *errs.Validation
		if !errors.As(err, &v) || v.Fields[0].Loc[1] != tc.field {
			t.Fatalf("%s: %v", tc.body, err)
		}
	}
	var req engine.SweepRequest
	if err := json.Unmarshal([]byte(`{"model_id":"m"}`), &req); err != nil {
		t.Fatal(err)
	}
	if n, _, _, err := req.Normalize(); err != nil || n.Splits != 5 {
		t.Fatalf("%d %v", n.Splits, err)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"model_id":"m","splits":0}`, "splits"},
		{`{"model_id":"m","splits":51}`, "splits"},
		{`{"model_id":"m","splits":1}`, "splits"},
		{`{"model_id":"m","csv":"exports/x.csv"}`, "csv"},
	} {
		var req engine.BacktestRequest
		if err := json.Unmarshal([]byte(tc.body), &req); err != nil {
			t.Fatal(err)
		}
		_, err := req.Normalize()
		var v *errs.Validation
		if !errors.As(err, &v) || v.Fields[0].Loc[1] != tc.field || len(v.Fields) != 1 {
			t.Fatalf("%s: %v", tc.body, err)
		}
	}
	var breq engine.BacktestRequest
	if err := json.Unmarshal([]byte(`{"model_id":"m"}`), &breq); err != nil {
		t.Fatal(err)
	}
	if n, err := breq.Normalize(); err != nil || n.Splits != 5 {
		t.Fatalf("%d %v", n.Splits, err)
	}
}
