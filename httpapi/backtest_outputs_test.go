package httpapi_test

import (
	"bytes"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"sigmalab/engine"
	"sigmalab/httpapi/apitest"
)

// TestBacktestOutputs saves a backtest and downloads its OOF predictions,
// trades and equity curve by the URLs the answer and the stored run carry:
// each is zstd Parquet whose own schema lists the columns in order, with
// nulls (not NaN) where a value is absent, and rows that add up to the run.
func TestBacktestOutputs(t *testing.T) {
	env := apitest.New(t)
	storeTrainMatrix(t, env, "b1", 700)
	code, out := env.JSON("POST", "/backtest", map[string]any{"model_id": trainModel, "splits": 3, "thresholds": "0.4,0.5",
		"hyperparams": map[string]any{"n_estimators": 20, "max_depth": 3}})
	if code != 200 {
		t.Fatalf("backtest: %d %v", code, out)
	}
	runID := int64(out["run_id"].(float64))
	run, _, err := env.App.Lab.Backtests.GetBacktest(t.Context(), runID)
	if err != nil {
		t.Fatal(err)
	}
	trades := int(out["result"].(map[string]any)["overall"].(map[string]any)["trades"].(float64))
	for _, tc := range []struct {
		key, stored string
		cols        []string
		rows        int // -1: any
		nullable    string
	}{
		{"oof_url", run.OOFURL, []string{"ts", "fold", "p_up", "p_down", "y", "ret_fwd"}, -1, "y"},
		{"trades_url", run.TradesURL, []string{"entry", "exit", "side", "size", "pnl", "fold"}, trades, ""},
		{"equity_url", run.EquityURL, []string{"ts", "fold", "period_ret", "cum_ret"}, -1, ""},
	} {
		url, _ := out[tc.key].(string)
		if url == "" || url != tc.stored || !strings.HasPrefix(url, "/artifacts/") {
			t.Fatalf("%s: answer %q, stored run %q", tc.key, url, tc.stored)
		}
		resp, b := env.DoResponse("GET", url, nil, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.apache.parquet" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), ".parquet") {
			t.Fatalf("%s: %d %v", url, resp.StatusCode, resp.Header)
		}
		f, err := pq.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
		var names []string
		for _, fl := range f.Schema().Fields() {
			names = append(names, fl.Name())
			if fl.Optional() != (fl.Name() == tc.nullable || fl.Name() == "ret_fwd") {
				t.Errorf("%s: column %s optional=%v", tc.key, fl.Name(), fl.Optional())
			}
		}
		if strings.Join(names, ",") != strings.Join(tc.cols, ",") {
			t.Fatalf("%s: columns %v, want %v", tc.key, names, tc.cols)
		}
		if tc.rows >= 0 && f.NumRows() != int64(tc.rows) {
			t.Fatalf("%s: %d rows, want %d", tc.key, f.NumRows(), tc.rows)
		}
		if f.NumRows() == 0 {
			t.Fatalf("%s: no rows", tc.key)
		}
		for _, rg := range f.Metadata().RowGroups {
			for _, c := range rg.Columns {
				if s := c.MetaData.Statistics; s.NullCount > 0 && c.MetaData.PathInSchema[0] != tc.nullable &&
					c.MetaData.PathInSchema[0] != "ret_fwd" {
					t.Errorf("%s: %d nulls in required column %v", tc.key, s.NullCount, c.MetaData.PathInSchema)
				}
			}
		}
	}
	// The OOF rows read back as the engine's rows, probabilities in [0,1].
	_, b := env.Do("GET", run.OOFURL, nil)
	rows, err := pq.Read[engine.OOFPredictionRow](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.PUp < 0 || r.PUp > 1 || r.PDown < 0 || r.PDown > 1 || r.Y == nil || r.RetFwd == nil || r.TS.IsZero() {
			t.Fatalf("row %d: %+v", i, r)
		}
	}
}
