package engine_test

import (
	"context"
	"errors"
	"testing"

	"sigmalab/app/apptest"
	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/matrix"
)

// TestBacktestMomentumGateNeedsColumn: momentum_gate:true in the request with
// a column the matrix lacks is a 422 on body.momentum_column, before any
// training, not a run with the gate silently off. A label column (the
// realised forward return) is refused too: gating trades on it would pick
// them with the outcome known.
func TestBacktestMomentumGateNeedsColumn(t *testing.T) {
	lab := apptest.New(t).Lab
	ms := lab.Matrices
	ctx := context.Background()
	n := 60
	m := &matrix.Matrix{Meta: map[string]string{"build_id": "b1"}}
	x := make([]float64, n)
	y := make([]string, n)
	for i := range n {
		m.TS = append(m.TS, int64(i)*3_600_000)
		m.Date = append(m.Date, "2024-07-01")
		m.HourET = append(m.HourET, int32(9+i%7))
		x[i] = float64(i % 5)
		y[i] = []string{"UP", "DOWN", "FLAT"}[i%3]
	}
	m.AddCol("rsi_14", x)
	m.AddCol("ret_fwd", make([]float64, n))
	m.AddText(matrix.LabelCol, y)
	if _, _, err := ms.Put("spy_eq_intraday_hourly", "b1", m); err != nil {
		t.Fatal(err)
	}
	on, col, outcome := true, "momentum_nope", "ret_fwd"
	for name, req := range map[string]engine.BacktestRequest{
		"explicit column": {ModelID: "spy_eq_intraday_hourly", BuildID: "b1", MomentumGate: &on, MomentumColumn: &col},
		"default column":  {ModelID: "spy_eq_intraday_hourly", BuildID: "b1", MomentumGate: &on},
		"outcome column":  {ModelID: "spy_eq_intraday_hourly", BuildID: "b1", MomentumGate: &on, MomentumColumn: &outcome},
	} {
		_, err := lab.Backtest(ctx, req)
		var v *errs.Validation
		if !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Loc[len(v.Fields[0].Loc)-1] != "momentum_column" {
			t.Fatalf("%s: want a 422 on body.momentum_column, got %v", name, err)
		}
	}
}
