package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/httpapi/apitest"
)

// cardIDs lists the ids of a GET /model_cards answer.
func cardIDs(body map[string]any) string {
	rows, _ := body["rows"].([]any)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i], _ = r.(map[string]any)["id"].(string)
	}
	return strings.Join(out, ",")
}

func wantCards(want string, total int) func(t *testing.T, body map[string]any) {
	return func(t *testing.T, body map[string]any) {
		t.Helper()
		if got := cardIDs(body); got != want || body["total"] != float64(total) {
			t.Fatalf("cards %q total %v, want %q total %d", got, body["total"], want, total)
		}
	}
}

// TestModelCardsAPI: cards written by trainings (and one written through the
// Lab's card store) are listed newest first, filtered, searched and paged;
// one card reads back with its markdown; bad ids are refused; the index
// survives a deleted or corrupt index directory and a card file it never saw.
func TestModelCardsAPI(t *testing.T) {
	env := apitest.New(t)
	env.Run(t, []apitest.Scenario{
		{Name: "empty", URL: "/model_cards", Contains: []string{`"ok":true`, `"rows":[]`, `"count":0`, `"limit":20`, `"offset":0`, `"next_offset":null`, `"total":0`}},
		{Name: "empty model filter (predecessor test)", URL: "/model_cards?pack_id=zerosigma&model_id=nonexistent_model&limit=3&offset=0",
			Contains: []string{`"rows":[]`, `"limit":3`, `"offset":0`}},
		{Name: "no card yet", URL: "/model_card?model_id=" + trainModel, Status: 404},
	})

	storeTrainMatrix(t, env, "b1", 700)
	var trainCards []string
	for _, feats := range []string{"", "calls_sold_d0,puts_sold_d0"} {
		body := map[string]any{"model_id": trainModel, "hyperparams": map[string]any{"n_estimators": 15}}
		if feats != "" {
			body["features"] = feats
		}
		code, out := env.JSON("POST", "/train", body)
		if code != 200 {
			t.Fatalf("train: %d %v", code, out)
		}
		trainCards = append(trainCards, out["artifact_id"].(string)+"-card")
	}
	// A card from another pack, with a note, through the production card store.
	note := engine.ModelCard{ID: "qqq_swing-backtest-7", SchemaVersion: engine.ModelCardSchemaVersion, PackID: "swingsigma",
		ModelID: "qqq_swing", CreatedAt: apitest.FixedNow.Add(time.Hour), Event: "backtest", RunID: 7,
		Metrics: map[string]any{"best_sharpe_hourly": 1.25, "trades": 40}, Features: []string{"vix_close"},
		Notes: "regime switch experiment"}
	if _, err := env.App.Lab.Cards.PutCard(context.Background(), note, engine.RenderCardMarkdown(note)); err != nil {
		t.Fatal(err)
	}
	t1, t2 := trainCards[0], trainCards[1]
	all := note.ID + "," + t2 + "," + t1 // same clock for the trainings: newer id first

	listScenarios := []apitest.Scenario{
		{Name: "all newest first", URL: "/model_cards", Check: wantCards(all, 3)},
		{Name: "row shape", URL: "/model_cards?limit=1", Contains: []string{`"id":"` + note.ID + `"`, `"file":"` + note.ID + `.json"`,
			`"path":"artifacts/cards/` + note.ID + `.json"`, `"pack_id":"swingsigma"`, `"event":"backtest"`, `"run_id":7`,
			`"metrics":{"best_sharpe_hourly":1.25,"trades":40}`, `"created_at":"2026-01-02T16:04:05Z"`, `"count":1`, `"next_offset":1`}},
		{Name: "model filter", URL: "/model_cards?model_id=" + trainModel, Check: wantCards(t2+","+t1, 2)},
		{Name: "pack filter", URL: "/model_cards?pack_id=swingsigma", Check: wantCards(note.ID, 1)},
		{Name: "pack and model disagree", URL: "/model_cards?pack_id=swingsigma&model_id=" + trainModel, Check: wantCards("", 0)},
		{Name: "q by feature", URL: "/model_cards?q=vix_close", Check: wantCards(note.ID, 1)},
		{Name: "q by note", URL: "/model_cards?q=regime", Check: wantCards(note.ID, 1)},
		{Name: "q by train feature", URL: "/model_cards?q=puts_sold_d1", Check: wantCards(t1, 1)},
		{Name: "q and filter", URL: "/model_cards?q=calls_sold_d0&model_id=" + trainModel, Check: wantCards(t2+","+t1, 2)},
		{Name: "q numeric range", URL: "/model_cards?q=metrics.best_sharpe_hourly:>1", Check: wantCards(note.ID, 1)},
		{Name: "q event", URL: "/model_cards?q=event:train", Check: wantCards(t2+","+t1, 2)},
		{Name: "q no match", URL: "/model_cards?q=zzzunknownword", Check: wantCards("", 0)},
		{Name: "page 2", URL: "/model_cards?limit=1&offset=1", Check: wantCards(t2, 3), Contains: []string{`"next_offset":2`}},
		{Name: "last page", URL: "/model_cards?limit=2&offset=2", Check: wantCards(t1, 3), Contains: []string{`"next_offset":null`}},
		{Name: "past the end", URL: "/model_cards?offset=10", Check: wantCards("", 3), Contains: []string{`"next_offset":null`}},
		{Name: "limit clamped low", URL: "/model_cards?limit=0", Contains: []string{`"limit":1`, `"count":1`}},
		{Name: "limit clamped high", URL: "/model_cards?limit=9999", Contains: []string{`"limit":500`}},
		{Name: "bad limit", URL: "/model_cards?limit=abc", Status: 422},
		{Name: "negative offset", URL: "/model_cards?offset=-1", Status: 422},
		{Name: "bad model id", URL: "/model_cards?model_id=Bad/ID", Status: 422, Contains: []string{`"loc":["query","model_id"]`}},
		{Name: "bad query syntax", URL: "/model_cards?q=%22unbalanced", Status: 422, Contains: []string{`"loc":["query","q"]`}},
		{Name: "query too long", URL: "/model_cards?q=" + strings.Repeat("a", 501), Status: 422},
		{Name: "huge offset", URL: "/model_cards?offset=2147483647&limit=500", Check: wantCards("", 3)},
		{Name: "wildcard and fuzzy syntax", URL: "/model_cards?q=vix*%20regime~1", Check: wantCards(note.ID, 1)},
	}
	env.Run(t, listScenarios)
	env.Run(t, []apitest.Scenario{
		{Name: "one card", URL: "/model_card?id=" + t1, Contains: []string{`"id":"` + t1 + `"`, `"event":"train"`,
			`"schema_version":"1.0"`, `"markdown":"# Model card`, `"json_path":"artifacts/cards/` + t1 + `.json"`,
			`"md_path":"artifacts/cards/` + t1 + `.md"`, `calls_sold_d0`}},
		{Name: "predecessor file param", URL: "/model_card?file=" + note.ID + ".json", Contains: []string{`"notes":"regime switch experiment"`}},
		{Name: "newest of a model", URL: "/model_card?model_id=" + trainModel, Contains: []string{`"id":"` + t2 + `"`}},
		{Name: "unknown id", URL: "/model_card?id=nope-card", Status: 404},
		{Name: "dot-dot", URL: "/model_card?id=..", Status: 422, Contains: []string{`"loc":["query","id"]`}},
		{Name: "path escape", URL: "/model_card?id=../../sigmalab", Status: 422},
		{Name: "encoded path escape", URL: "/model_card?id=%2e%2e%2fsigmalab", Status: 422},
		{Name: "separator", URL: "/model_card?id=cards/" + t1, Status: 422},
		{Name: "absolute", URL: "/model_card?id=/etc/passwd", Status: 422},
		{Name: "file escape", URL: "/model_card?file=../x.json", Status: 422},
		{Name: "bad model filter", URL: "/model_card?model_id=A.B", Status: 422},
		{Name: "health reports the index", URL: "/healthz", Contains: []string{`"cards_index":true`}},
	})

	// Rebuild: the index directory is deleted while the server is down.
	index := filepath.Join(env.Dir, "index", "cards.bleve")
	if err := env.App.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(index); err != nil {
		t.Fatal(err)
	}
	env.Restart()
	env.Run(t, listScenarios[:12])

	// A crash can leave a card file the index never saw, and torn index
	// metadata: both are repaired on the next start.
	late := note
	late.ID, late.RunID, late.Notes, late.CreatedAt = "qqq_swing-backtest-8", 8, "written just before a crash", note.CreatedAt.Add(time.Hour)
	if err := env.App.Close(); err != nil {
		t.Fatal(err)
	}
	b := fmt.Sprintf(`{"id":%q,"schema_version":"1.0","pack_id":"swingsigma","model_id":"qqq_swing","created_at":%q,"event":"backtest","notes":%q,"run_id":8}`,
		late.ID, late.CreatedAt.Format(time.RFC3339), late.Notes)
	if err := os.WriteFile(filepath.Join(env.Dir, "artifacts", "cards", late.ID+".json"), []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Restart()
	env.Run(t, []apitest.Scenario{
		{Name: "unindexed file picked up", URL: "/model_cards?q=crash", Check: wantCards(late.ID, 1)},
		{Name: "newest first with it", URL: "/model_cards?pack_id=swingsigma", Check: wantCards(late.ID+","+note.ID, 2)},
		{Name: "markdown rendered when missing", URL: "/model_card?id=" + late.ID, Contains: []string{`"markdown":"# Model card`}},
	})
	if err := env.App.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(index, "index_meta.json"), []byte("{torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Restart()
	env.Run(t, []apitest.Scenario{
		{Name: "corrupt index rebuilt", URL: "/model_cards", Check: wantCards(late.ID+","+all, 4)},
		{Name: "search after rebuild", URL: "/model_cards?q=vix_close", Check: wantCards(note.ID, 1)},
		{Name: "healthy after rebuild", URL: "/healthz", Contains: []string{`"cards_index":true`}},
	})
}

// TestModelCardsAfterBuild: a matrix build on a short demo market writes a
// build card that is searchable at once (by event and by a feature column).
func TestModelCardsAfterBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("demo market")
	}
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: shortDemo()})
	model := "spy_eq_intraday_hourly"
	code, out := env.JSON("POST", "/build_matrix", map[string]any{"model_id": model, "start": "2024-07-01", "end": "2024-07-12"})
	if code != 200 {
		t.Fatalf("build: %d %v", code, out)
	}
	_, page := env.JSON("GET", "/model_cards?q=event:build&model_id="+model, nil)
	rows, _ := page["rows"].([]any)
	if len(rows) != 1 || page["total"] != float64(1) {
		t.Fatalf("build card not listed: %v", page)
	}
	row := rows[0].(map[string]any)
	id := row["id"].(string)
	if !strings.HasPrefix(id, model+"-build-") || row["metrics"].(map[string]any)["rows"] != out["rows"] {
		t.Fatalf("row %v (build rows %v)", row, out["rows"])
	}
	cols, _ := out["columns"].([]any)
	if len(cols) == 0 {
		t.Fatalf("build lists no columns: %v", out)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "by feature column", URL: fmt.Sprintf("/model_cards?q=%s&model_id=%s", cols[len(cols)-1], model), Check: wantCards(id, 1)},
		{Name: "read back", URL: "/model_card?id=" + id, Contains: []string{`"event":"build"`, `"markdown":"# Model card`}},
	})
}
