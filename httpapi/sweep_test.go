package httpapi_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/backtest"
	"sigmalab/httpapi/apitest"
)

func sweepOOF(t *testing.T, n int) *backtest.OOF {
	rng := rand.New(rand.NewPCG(1, 2))
	up, down := make([]float64, n), make([]float64, n)
	ts, ret, hour := make([]int64, n), make([]float64, n), make([]int32, n)
	for i := 0; i < n; i++ {
		ts[i], hour[i] = int64(i)*3_600_000, int32(9+i%7)
		ret[i] = rng.NormFloat64() * 0.002
		u := math.Min(math.Max(0.5+40*ret[i]+rng.NormFloat64()*0.1, 0.01), 0.98) * 0.8
		up[i], down[i] = u, (1-u)*0.7
	}
	oof, err := backtest.NewOOF(&backtest.OOF{Classes: []string{"DOWN", "UP"}, Probs: [][]float64{down, up},
		TS: ts, Hour: hour, Ret: ret, FoldStart: []int{0, n / 3, 2 * n / 3, n}})
	if err != nil {
		t.Fatal(err)
	}
	return oof
}

func TestSweepRoutes(t *testing.T) {
	env := apitest.New(t)
	// A stored sweep, produced by the engine on known predictions.
	resp, err := env.App.Lab.RunSweep(context.Background(), engine.SweepRequest{ModelID: "spy_opt_0dte_hourly", Tag: "t1",
		ThresholdsVariants: []string{"0.5,0.52", "0.6"}, TopPctVariants: []float64{0.2}, AllowedHoursVariants: []string{"13,14", ""}},
		engine.SweepSource{OOF: sweepOOF(t, 2100)}, engine.SweepOptions{})
	if err != nil || resp.Count != 6 || resp.ReportPath == nil {
		t.Fatalf("%+v %v", resp, err)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "list", URL: "/sweeps?model_id=spy_opt_0dte_hourly", Contains: []string{`"rows":[{"id":1,`, `"status":"completed"`,
			`"spec":{"thresholds_variants":["0.5,0.52","0.6"]`, `"total":1`, `"next_offset":null`}},
		{Name: "list by tag miss", URL: "/sweeps?tag=other", Contains: []string{`"rows":[]`, `"total":0`}},
		{Name: "list bad status", URL: "/sweeps?status=done", Status: 422},
		{Name: "list bad limit", URL: "/sweeps?limit=x", Status: 422},
		{Name: "detail", URL: "/sweeps/1", Contains: []string{`"sweep":{"id":1`, `"results":[{"id":1,"sweep_id":1,"kind":"thresholds"`,
			`"params":{"index":5,"kind":"top_pct","top_pct":0.2,"allowed_hours":""}`, `"report_path":"artifacts/reports/sweep_1.json"`}},
		{Name: "detail bad id", URL: "/sweeps/zero", Status: 422, Contains: []string{`"loc":["path","sweep_id"]`}},
		{Name: "detail missing", URL: "/sweeps/42", Status: 404},
		{Name: "sweep needs model", Method: "POST", URL: "/backtest_sweep", Body: map[string]any{}, Status: 422,
			Contains: []string{`"loc":["body","model_id"]`}},
		{Name: "sweep bad variant", Method: "POST", URL: "/backtest_sweep", Status: 422,
			Body:     `{"model_id":"m1","thresholds_variants":["0.5,zz"]}`,
			Contains: []string{`"loc":["body","thresholds_variants"]`}},
		{Name: "sweep bad hours", Method: "POST", URL: "/backtest_sweep", Status: 422,
			Body: `{"model_id":"m1","allowed_hours_variants":[[13,99]]}`, Contains: []string{`hour 99`}},
		{Name: "sweep malformed json", Method: "POST", URL: "/backtest_sweep", Body: `{"model_id":`, Status: 400},
		{Name: "sweep without predictions", Method: "POST", URL: "/backtest_sweep", Body: `{"model_id":"m1"}`, Status: 422,
			Contains: []string{`"code":"no_data"`}},
		{Name: "sweep async", Method: "POST", URL: "/backtest_sweep", Status: 202,
			Body:     `{"model_id":"m1","async":true,"thresholds_variants":"0.5,0.6;0.55","top_pct_variants":"0.1,0.2"}`,
			Contains: []string{`"job_id":"1"`, `"status":"queued"`}},
	})
	// The async job ran the same use case; without predictions it fails with the reason.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body := env.JSON("GET", "/jobs/1", nil)
		if body["status"] == "failed" {
			if body["kind"] != engine.SweepJobKind || body["error"] == "" {
				t.Fatalf("%v", body)
			}
			p := body["params"].(map[string]any)
			if tv := p["thresholds_variants"].([]any); len(tv) != 2 || tv[0] != "0.5,0.6" {
				t.Fatalf("params %v", p)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %v", body)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
