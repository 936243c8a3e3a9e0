package httpapi_test

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
)

// plantedCSV is an hourly matrix of 2023 with an AR(1) (φ = −0.3) in the
// returns: f_ret is this hour's return, f_noise noise, y the sign of the next
// hour's return and ret_fwd that return.
func plantedCSV(t *testing.T) string {
	t.Helper()
	sess, err := market.Sessions("2023-01-03", "2023-12-29")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(19, 19))
	var ts []int64
	var r []float64
	prev := 0.0
	for _, s := range sess {
		for h := 9; h <= 15; h++ {
			ms, err := market.ETMillis(s.Date, h, 0)
			if err != nil {
				t.Fatal(err)
			}
			prev = -0.3*prev + 0.004*rng.NormFloat64()
			ts, r = append(ts, ms), append(r, prev)
		}
	}
	var b strings.Builder
	b.WriteString("ts,f_ret,f_noise,label,ret_fwd\n")
	for i := 0; i+1 < len(ts); i++ {
		lab := "DOWN"
		if r[i+1] > 0 {
			lab = "UP"
		}
		fmt.Fprintf(&b, "%s,%.6g,%.6g,%s,%.6g\n", time.UnixMilli(ts[i]).UTC().Format(time.RFC3339), r[i], rng.NormFloat64(), lab, math.Expm1(r[i+1]))
	}
	return b.String()
}

func postCSV(t *testing.T, env *apitest.Env, url, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Host = "127.0.0.1:8001"
	req.Header.Set("Content-Type", "text/csv")
	w := httptest.NewRecorder()
	env.App.Handler().ServeHTTP(w, req)
	out, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(out)
}

// TestMatrixImportBacktestSweep: a CSV matrix with a planted signal is
// imported, backtested and swept through the API, and the signal is found;
// bad CSVs are 422s naming the column, and store nothing.
func TestMatrixImportBacktestSweep(t *testing.T) {
	env := apitest.New(t)
	const model = "spy_eq_intraday_hourly"
	csv := plantedCSV(t)
	bad := []struct{ name, url, body, want string }{
		{"no target", "/matrices/import?model_id=" + model, csv, `"target"`},
		{"unknown target", "/matrices/import?model_id=" + model + "&target=nope", csv, `"target"`},
		{"no ts", "/matrices/import?model_id=" + model + "&target=label", strings.ReplaceAll(csv, "ts,f_ret", "when,f_ret"), `"columns"`},
		{"text feature", "/matrices/import?model_id=" + model + "&target=label", strings.Replace(csv, "\n2023-01-03T15:00:00Z,", "\n2023-01-03T15:00:00Z,abc", 1), `"f_ret"`},
		{"bad horizon", "/matrices/import?model_id=" + model + "&target=label&horizon=soon", csv, `"horizon"`},
		{"no ret_fwd", "/matrices/import?model_id=" + model + "&target=label", strings.ReplaceAll(csv, ",ret_fwd\n", ",ret_x\n"), `"ret_fwd"`},
	}
	for _, c := range bad {
		code, out := postCSV(t, env, c.url, c.body)
		if code != 422 || !strings.Contains(out, c.want) {
			t.Errorf("%s: %d %s, want 422 naming %s", c.name, code, out[:min(len(out), 300)], c.want)
		}
	}
	if code, out := env.JSON("POST", "/backtest", map[string]any{"model_id": model, "save": false}); code == 200 {
		t.Fatalf("a rejected import left a matrix: %v", out)
	}
	// The JSON form reads a file under exports/ and never outside it.
	p, err := env.App.Lab.Exports.ResolveExport("planted.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "path escapes", Method: "POST", URL: "/matrices/import", Status: 422,
			Body: map[string]any{"model_id": model, "path": "../../etc/passwd.csv", "target": "label"}, Contains: []string{`"path"`}},
		{Name: "path missing", Method: "POST", URL: "/matrices/import", Status: 422,
			Body: map[string]any{"model_id": model, "path": "nope.csv", "target": "label"}, Contains: []string{`"path"`}},
		{Name: "path bad target", Method: "POST", URL: "/matrices/import", Status: 422,
			Body: map[string]any{"model_id": model, "path": "exports/planted.csv", "target": "zzz"}, Contains: []string{`["body","target"]`}},
		{Name: "path import", Method: "POST", URL: "/matrices/import",
			Body: map[string]any{"model_id": model, "path": "exports/planted.csv", "target": "label", "horizon": "1h"}, Contains: []string{`"build_id"`, `"t1_from":"horizon"`}},
	})
	code, out := postCSV(t, env, "/matrices/import?model_id="+model+"&target=label&horizon=1h&ticker=spy", csv)
	if code != 200 || !strings.Contains(out, `"build_id"`) || !strings.Contains(out, `"data_source":"import"`) {
		t.Fatalf("import: %d %s", code, out)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "backtest imported", Method: "POST", URL: "/backtest",
			Body:        map[string]any{"model_id": model, "splits": 4, "save": true, "target": "label", "thresholds": []float64{0.5}},
			Contains:    []string{`"benchmark"`, `"features":["f_ret","f_noise"]`},
			NotContains: []string{"NaN"},
			Check: func(t *testing.T, b map[string]any) {
				sr := b["result"].(map[string]any)["overall"].(map[string]any)["sharpe_ann"].(float64)
				t.Logf("imported planted matrix: sharpe_ann %.2f, features %v", sr, b["features"])
				if sr < 2 {
					t.Errorf("planted φ = −0.3 signal: sharpe_ann %.2f, want > 2", sr)
				}
			}},
		{Name: "sweep imported", Method: "POST", URL: "/backtest_sweep",
			Body:        map[string]any{"model_id": model, "splits": 4, "target": "label", "thresholds_variants": [][]float64{{0.5}, {0.55}, {0.6}}},
			Contains:    []string{`"runs"`},
			NotContains: []string{"NaN"}},
	})
}
