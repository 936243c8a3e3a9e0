package httpapi_test

import (
	"testing"

	"sigmalab/httpapi/apitest"
)

// A sweep refused with a 4xx (unknown model, bad grid, unsupported start,
// splits 0, a grid over the cap) leaves no sweep row; POST /backtest refuses
// splits 0 and csv alike.
func TestSweepRefusedLeavesNoRow(t *testing.T) {
	env := apitest.New(t)
	tops := make([]float64, 0, 10001)
	for i := 0; i <= 10000; i++ {
		tops = append(tops, 0.00001+float64(i)/20000)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "unknown model", Method: "POST", URL: "/backtest_sweep", Body: `{"model_id":"m1"}`, Status: 404},
		{Name: "bad grid", Method: "POST", URL: "/backtest_sweep", Body: `{"model_id":"m1","top_pct_variants":[3]}`, Status: 422},
		{Name: "start unsupported", Method: "POST", URL: "/backtest_sweep", Body: `{"model_id":"m1","start":"2024-01-01"}`,
			Status: 422, Contains: []string{`"loc":["body","start"]`, `not supported`}},
		{Name: "sweep splits 0", Method: "POST", URL: "/backtest_sweep", Body: `{"model_id":"m1","splits":0}`,
			Status: 422, Contains: []string{`"loc":["body","splits"]`, `between 2 and 50`}},
		{Name: "over the cap", Method: "POST", URL: "/backtest_sweep", Body: map[string]any{"model_id": "m1", "top_pct_variants": tops},
			Status: 422, Contains: []string{`"loc":["body","top_pct_variants"]`, `10001 cells`}},
		{Name: "over the cap async", Method: "POST", URL: "/backtest_sweep", Body: map[string]any{"model_id": "m1", "async": true, "top_pct_variants": tops},
			Status: 422, Contains: []string{`"loc":["body","top_pct_variants"]`}},
		{Name: "no rows", URL: "/sweeps", Contains: []string{`"rows":[]`, `"total":0`}},
		{Name: "backtest splits 0", Method: "POST", URL: "/backtest", Body: `{"model_id":"m1","splits":0}`,
			Status: 422, Contains: []string{`"loc":["body","splits"]`, `between 2 and 50`}},
		{Name: "backtest splits 100", Method: "POST", URL: "/backtest", Body: `{"model_id":"m1","splits":100}`,
			Status: 422, Contains: []string{`"loc":["body","splits"]`}},
		{Name: "backtest csv", Method: "POST", URL: "/backtest", Body: `{"model_id":"m1","csv":"exports/a.csv"}`,
			Status: 422, Contains: []string{`"loc":["body","csv"]`, `csv is not supported: backtests read the stored matrix; use build_id`}},
	})
}
