package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigmalab/app"
	"sigmalab/engine/market"
	"sigmalab/engine/options"
	"sigmalab/httpapi/apitest"
)

// TestSignalsPipeline: demo data → build → train → generate → overlay
// (single and vertical; the chosen contract is the brute-force nearest delta
// in the chain snapshot it names) → option signals → execution import →
// summary, leaderboard, performance; full-text search by model, ticker and
// tag, surviving a restart and a deleted index; bad input answers 4xx naming
// the field.
func TestSignalsPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("demo market and training")
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-10-31", "2024-10-28"
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg})
	const model = "spy_eq_intraday_hourly"
	mustOK := func(method, url string, body any) map[string]any {
		t.Helper()
		code, out := env.JSON(method, url, body)
		if code != 200 {
			t.Fatalf("%s %s: %d %v", method, url, code, out)
		}
		return out
	}
	mustOK("POST", "/build_matrix", map[string]any{"model_id": model, "start": "2024-07-01", "end": "2024-10-31"})
	mustOK("POST", "/train", map[string]any{"model_id": model, "hyperparams": map[string]any{"n_estimators": 20, "max_depth": 3}})

	gen := mustOK("POST", "/signals/generate", map[string]any{"model_id": model, "mode": "top_n", "top_n": 3, "tag": "pipeline-tag"})
	sigs := gen["signals"].([]any)
	if gen["date"] != "2024-10-31" || len(sigs) != 3 || gen["count"] != 3.0 {
		t.Fatalf("generate: %v", gen)
	}
	first := sigs[0].(map[string]any)
	lin := first["lineage"].(map[string]any)
	for _, k := range []string{"artifact_id", "build_id", "matrix_sha", "model_config_sha", "policy_sha"} {
		if s, _ := lin[k].(string); s == "" {
			t.Fatalf("lineage lacks %s: %v", k, lin)
		}
	}
	if first["rank"] != 1.0 || first["stop_px"] == nil || first["rr"] == nil {
		t.Fatalf("first signal: %v", first)
	}
	// Upsert: generating again keeps three rows.
	mustOK("POST", "/signals/generate", map[string]any{"model_id": model, "mode": "top_n", "top_n": 3, "tag": "pipeline-tag"})
	if l := mustOK("GET", "/signals?model_id="+model, nil); l["total"] != 3.0 {
		t.Fatalf("after regenerate: %v", l["total"])
	}

	for _, mode := range []string{"single", "vertical"} {
		ov := mustOK("POST", "/options_overlay", map[string]any{"model_id": model, "option_mode": mode, "spread_width": 2})
		ovs := ov["overlays"].([]any)
		if len(ovs) == 0 || ov["count"] != float64(len(ovs)) {
			t.Fatalf("%s overlay: %v", mode, ov)
		}
		for _, o := range ovs {
			checkNearestDelta(t, env, o.(map[string]any), 0.35)
			om := o.(map[string]any)
			if !strings.HasPrefix(om["occ_symbol"].(string), "O:SPY241") || om["stop_premium_est"] == nil {
				t.Fatalf("%s overlay row: %v", mode, om)
			}
			if mode == "vertical" && (len(om["legs"].([]any)) != 2 || om["net_debit_credit"] == nil) {
				t.Fatalf("vertical legs: %v", om)
			}
		}
	}
	os1 := mustOK("GET", "/option_signals?model_id="+model+"&tickers=SPY", nil)
	if os1["total"] != 3.0 || os1["rows"].([]any)[0].(map[string]any)["signal"] == nil {
		t.Fatalf("option_signals: %v", os1)
	}

	// An execution log for two of the signals (same ET hour) and one new row.
	sig := func(i int) map[string]any { return sigs[i].(map[string]any) }
	at := func(i int) string {
		ts, _ := time.Parse(time.RFC3339, sig(i)["ts"].(string))
		return ts.Add(5 * time.Minute).Format(time.RFC3339)
	}
	csv := "ts,model_id,risk_profile,ticker,side,entry_ref_px,fill_px,slippage,status,rr,pnl,tag\n" +
		fmt.Sprintf("%s,%s,balanced,SPY,%s,100,100.02,0.02,filled,2,12.5,exec-tag\n", at(0), model, sig(0)["side"]) +
		fmt.Sprintf("%s,%s,balanced,SPY,%s,100,100.00,0.0,filled,2,-3.2,exec-tag\n", at(1), model, sig(1)["side"]) +
		fmt.Sprintf("2024-10-30T15:30:00Z,%s,balanced,SPY,buy,100,,,canceled,2,,exec-tag\n", model)
	hdr := map[string]string{"Content-Type": "text/csv"}
	env.Run(t, []apitest.Scenario{
		{Name: "import", Method: "POST", URL: "/signals/import", Body: csv, Headers: hdr, Contains: []string{`"inserted":1`, `"updated":2`}},
		{Name: "re-import is idempotent", Method: "POST", URL: "/signals/import", Body: csv, Headers: hdr, Contains: []string{`"unchanged":3`, `"inserted":0`}},
		{Name: "import with errors stores nothing", Method: "POST", URL: "/signals/import", Headers: hdr,
			Body:   "ts,model_id,ticker,side,status,pnl\n2024-10-29T15:00:00Z,m1,SPY,buy,filled,1\nnope,m1,SPY,buy,filled,1\n",
			Status: 422, Contains: []string{`"loc":["body","line 3","ts"]`}},
		{Name: "nothing stored", URL: "/signals?model_id=m1", Contains: []string{`"total":0`}},
		{Name: "partial import", Method: "POST", URL: "/signals/import?partial=true", Headers: hdr,
			Body:     "ts,model_id,ticker,side,status,pnl\n2024-10-29T15:00:00Z,m1,SPY,buy,filled,1\nnope,m1,SPY,buy,filled,1\n",
			Contains: []string{`"inserted":1`, `"line":3`}},
		{Name: "import file outside exports", Method: "POST", URL: "/signals/import", Body: map[string]any{"file": "../../etc/passwd"}, Status: 422,
			Contains: []string{`"file"`}},
		{Name: "summary", URL: "/signals/summary?model_id=" + model + "&start=2024-10-30&end=2024-10-31",
			Contains: []string{`"perf_source":"pnl"`, `"trades":2`, `"cum_return":9.3`, `"fill_rate":0.6666666666666666`, `"win_rate":0.5`},
			Check: func(t *testing.T, b map[string]any) {
				m := b["metrics"].(map[string]any)
				if math.Abs(m["sharpe"].(float64)-0.83772) > 1e-5 || m["sortino"] != nil || math.Abs(m["max_dd"].(float64)+3.2) > 1e-9 {
					t.Fatalf("metrics %v", m)
				}
			}},
		{Name: "summary needs model_id", URL: "/signals/summary", Status: 422, Contains: []string{`"loc":["query","model_id"]`}},
		{Name: "summary empty window", URL: "/signals/summary?model_id=" + model + "&start=2020-01-01&end=2020-01-02",
			Contains: []string{`"trades":0`, `"sharpe":null`}},
		{Name: "leaderboard", URL: "/signals/leaderboard", Contains: []string{`"model_id":"` + model + `"`, `"model_id":"m1"`}},
		{Name: "performance", URL: "/models/" + model + "/performance", Contains: []string{`"live":`, `"backtest":null`}},
		{Name: "performance unknown model", URL: "/models/nope/performance", Status: 404},
		{Name: "search by model", URL: "/signals?q=" + model, Contains: []string{`"total":4`}},
		{Name: "search by tag", URL: "/signals?q=tag:exec-tag", Contains: []string{`"total":3`}},
		{Name: "search by ticker", URL: "/signals?q=spy&model_id=m1", Contains: []string{`"total":1`}},
		{Name: "bad dates", URL: "/signals?start=2024-10-31&end=2024-10-01", Status: 422, Contains: []string{`"end"`}},
		{Name: "generate bad body", Method: "POST", URL: "/signals/generate", Body: map[string]any{"model_id": "X!", "mode": "all", "threshold": 2},
			Status: 422, Contains: []string{`"model_id"`, `"mode"`, `"threshold"`}},
		{Name: "generate untrained", Method: "POST", URL: "/signals/generate", Body: map[string]any{"model_id": "spy_opt_0dte_hourly"}, Status: 404},
		{Name: "overlay bad body", Method: "POST", URL: "/options_overlay", Body: map[string]any{"model_id": model, "target_delta": 1.5, "option_mode": "strangle"},
			Status: 422, Contains: []string{`"target_delta"`, `"option_mode"`}},
		{Name: "overlay no signals", Method: "POST", URL: "/options_overlay", Body: map[string]any{"model_id": model, "date": "2024-07-01"}, Status: 404},
		{Name: "scan", Method: "POST", URL: "/scan", Body: map[string]any{"tickers": "SPY,AAPL,MSFT", "start": "2024-07-01", "end": "2024-10-31", "gates_only": false},
			Contains: []string{`"count":3`, `"rank":1`}},
		{Name: "scan without tickers", Method: "POST", URL: "/scan", Body: map[string]any{"start": "2024-07-01", "end": "2024-10-31"}, Status: 422,
			Contains: []string{`"tickers"`}},
	})
	if strings.Contains(fmt.Sprint(os1), "NaN") {
		t.Fatal("NaN in JSON")
	}

	// The index survives a restart, and is rebuilt when deleted.
	env.Restart()
	env.Run(t, []apitest.Scenario{{Name: "after restart", URL: "/signals?q=tag:exec-tag", Contains: []string{`"total":3`}}})
	if err := env.App.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(env.Dir, "index", "signals.bleve")); err != nil {
		t.Fatal(err)
	}
	env.Restart()
	env.Run(t, []apitest.Scenario{{Name: "after delete", URL: "/signals?q=" + model, Contains: []string{`"total":4`}}})
}

// checkNearestDelta brute-forces the chain snapshot an overlay names: among
// the contracts of its expiry and type, none is nearer the target |delta|.
func checkNearestDelta(t *testing.T, env *apitest.Env, ov map[string]any, target float64) {
	t.Helper()
	asOf, err := time.Parse(time.RFC3339, ov["chain_as_of"].(string))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := env.App.Lab.Market.ReadChains(context.Background(), "SPY", asOf.UnixMilli(), asOf.UnixMilli()+1)
	if err != nil || ch.Len() == 0 {
		t.Fatalf("chain at %s: %v", asOf, err)
	}
	typ := byte('C')
	if ov["type"] == "put" {
		typ = 'P'
	}
	best, bestK := math.Inf(1), math.NaN()
	for i := 0; i < ch.Len(); i++ {
		if ch.Expiry[i] != ov["expiry"] || ch.Type[i] != typ {
			continue
		}
		d := ch.Delta[i]
		if math.IsNaN(d) || d == 0 {
			m := options.Market{Spot: ch.UnderlyingPrice[i], T: options.YearFrac(asOf.UnixMilli(), ch.Expiry[i]), R: 0.04}
			d = options.ContractDelta(options.Contract{Strike: ch.Strike[i], Call: typ == 'C', Bid: ch.Bid[i], Ask: ch.Ask[i],
				IV: ch.IV[i], Delta: math.NaN()}, m)
		}
		if e := math.Abs(math.Abs(d) - target); e < best-1e-12 {
			best, bestK = e, ch.Strike[i]
		}
	}
	if got := ov["strike"].(float64); math.Abs(math.Abs(ov["delta"].(float64))-target) > best+1e-12 {
		b, _ := json.Marshal(ov)
		t.Fatalf("overlay strike %v (delta %v) is not the nearest to %v: brute force %v (err %v)\n%s", got, ov["delta"], target, bestK, best, b)
	}
}

// TestSignalsNeverFromUnobservableRows: with the clock inside the last
// session, rows whose bar has not closed are skipped and every signal's time
// is at or before now.
func TestSignalsNeverFromUnobservableRows(t *testing.T) {
	if testing.Short() {
		t.Skip("demo market and training")
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-10-31", "2024-10-28"
	now := time.Date(2024, 10, 31, 15, 30, 0, 0, time.UTC) // 11:30 ET
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg, Now: func() time.Time { return now }})
	const model = "spy_eq_intraday_hourly"
	for _, c := range []struct {
		url  string
		body map[string]any
	}{
		{"/build_matrix", map[string]any{"model_id": model, "start": "2024-07-01", "end": "2024-10-31"}},
		{"/train", map[string]any{"model_id": model, "hyperparams": map[string]any{"n_estimators": 10, "max_depth": 2}}},
	} {
		if code, out := env.JSON("POST", c.url, c.body); code != 200 {
			t.Fatalf("%s: %d %v", c.url, code, out)
		}
	}
	code, out := env.JSON("POST", "/signals/generate", map[string]any{"model_id": model, "mode": "top_n", "top_n": 50})
	if code != 200 || out["skipped_unobservable"].(float64) == 0 || out["date"] != "2024-10-31" {
		t.Fatalf("generate: %d skipped %v date %v", code, out["skipped_unobservable"], out["date"])
	}
	for _, s := range out["signals"].([]any) {
		ts, _ := time.Parse(time.RFC3339, s.(map[string]any)["ts"].(string))
		if ts.After(now) {
			t.Fatalf("signal at %s from a bar that closes after now %s", ts, now)
		}
	}
}
