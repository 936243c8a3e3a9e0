package app_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
)

// marker is the content of every file planted outside the data dir: no answer
// may ever carry it.
const marker = "OUTSIDE-SECRET-7f3a"

// snapshot maps every file under root to its content.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// refused checks an answer to a request that must not reach outside: a JSON
// error (4xx or 5xx) that does not carry the outside content.
func refused(t *testing.T, what string, code int, body []byte) {
	t.Helper()
	if code < 400 || !bytes.Contains(body, []byte(`"ok":false`)) {
		t.Errorf("%s: %d %.300s", what, code, body)
	}
	if bytes.Contains(body, []byte(marker)) {
		t.Errorf("%s: the answer carries the outside file's content", what)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// link replaces (or creates) rel in the data dir with a symlink to target,
// moving what was there aside to rel+".aside" so restore can put it back.
func link(t *testing.T, data, rel, target string) (restore func()) {
	t.Helper()
	p := filepath.Join(data, filepath.FromSlash(rel))
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	_, err := os.Lstat(p)
	had := err == nil
	if had {
		must(t, os.Rename(p, p+".aside"))
	}
	must(t, os.Symlink(target, p))
	return func() {
		must(t, os.Remove(p))
		if had {
			must(t, os.Rename(p+".aside", p))
		}
	}
}

// TestRoutesRefuseSymlinksOut plants a symlink leading out of the data dir in
// every folder of it (market/…, matrices/<model>/, artifacts/<kind>/, exports/,
// imports/, index/) and calls every route that reads or writes there: each
// answers a JSON error without the outside content, and nothing outside is
// read into the store, written or removed.
func TestRoutesRefuseSymlinksOut(t *testing.T) {
	demo := market.DefaultDemoConfig(market.DemoSeed)
	demo.Start, demo.End, demo.OptionsFrom = "2024-05-01", "2024-06-28", "2024-06-24"
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &demo})
	data := env.Dir
	const model = "spy_eq_intraday_hourly"
	build := map[string]any{"model_id": model, "start": "2024-05-01", "end": "2024-06-28"}
	code, out := env.JSON("POST", "/build_matrix", build)
	if code != 200 {
		t.Fatalf("build: %d %v", code, out)
	}
	buildID := out["build_id"].(string)
	code, out = env.JSON("POST", "/train", map[string]any{"model_id": model, "hyperparams": map[string]any{"n_estimators": 5}})
	if code != 200 {
		t.Fatalf("train: %d %v", code, out)
	}
	artifactID := out["artifact_id"].(string)
	cardPath, _ := out["card_path"].(string)
	cardID := strings.TrimSuffix(filepath.Base(cardPath), ".json")
	if artifactID == "" || cardID == "" {
		t.Fatalf("train result %v", out)
	}

	outside := t.TempDir()
	secret := []byte("PAR1" + marker + "PAR1")
	for _, f := range []string{"m/b00000009.parquet", "b00000009.parquet", "model.json.zst", "card.json", "card.md",
		"imp/MSFT_1h.csv", "passwd.csv"} {
		must(t, os.MkdirAll(filepath.Join(outside, filepath.Dir(f)), 0o755))
		must(t, os.WriteFile(filepath.Join(outside, f), secret, 0o644))
	}
	csv := "timestamp,open,high,low,close,volume\n2024-06-03T14:00:00Z,1,1,1,1,1\n2024-06-03T15:00:00Z,1,1,1,1,1\n"
	must(t, os.WriteFile(filepath.Join(outside, "imp", "MSFT_1h.csv"), []byte(csv), 0o644))
	for _, d := range []string{"mdir", "art", "exp", "idx"} {
		must(t, os.MkdirAll(filepath.Join(outside, d), 0o755))
	}
	// AAPL's demo bars move outside and are linked back in.
	must(t, os.Rename(filepath.Join(data, "market", "bars", "ticker=AAPL"), filepath.Join(outside, "AAPL")))
	link(t, data, "market/bars/ticker=AAPL", filepath.Join(outside, "AAPL"))
	before := snapshot(t, outside)

	// matrices/<model>/: a linked model folder and a linked build file.
	link(t, data, "matrices/linked", filepath.Join(outside, "m"))
	link(t, data, "matrices/"+model+"/b00000009.parquet", filepath.Join(outside, "b00000009.parquet"))
	for _, u := range []string{"/matrices/linked/b00000009", "/matrices/linked/b00000009?format=csv",
		"/matrices/" + model + "/b00000009", "/matrices/" + model + "/b00000009?format=json"} {
		code, body := env.Do("GET", u, nil)
		refused(t, "GET "+u, code, body)
	}
	code, body := env.Do("GET", "/matrices/"+model+"/"+buildID, nil)
	if code != 200 {
		t.Errorf("a plain matrix is no longer served: %d %.200s", code, body)
	}
	restore := link(t, data, "matrices/"+model, filepath.Join(outside, "mdir"))
	code, body = env.Do("POST", "/build_matrix", build)
	refused(t, "POST /build_matrix into a linked model folder", code, body)
	restore()

	// exports/: a linked folder as out_csv.
	link(t, data, "exports/out", filepath.Join(outside, "exp"))
	code, body = env.Do("POST", "/build_matrix", map[string]any{"model_id": model, "start": "2024-06-03", "end": "2024-06-28", "out_csv": "out/x.csv"})
	refused(t, "POST /build_matrix out_csv through a link", code, body)

	// artifacts/<kind>/: a linked models folder, a linked artifact file, a linked card.
	restore = link(t, data, "artifacts/models", filepath.Join(outside, "art"))
	code, body = env.Do("POST", "/train", map[string]any{"model_id": model, "hyperparams": map[string]any{"n_estimators": 5}})
	refused(t, "POST /train into a linked artifacts folder", code, body)
	restore()
	var artFile string
	ents, _ := os.ReadDir(filepath.Join(data, "artifacts", "models"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), artifactID) {
			artFile = "artifacts/models/" + e.Name()
		}
	}
	if artFile == "" {
		t.Fatalf("no file of artifact %s", artifactID)
	}
	link(t, data, artFile, filepath.Join(outside, "model.json.zst"))
	code, body = env.Do("GET", "/artifacts/"+artifactID, nil)
	refused(t, "GET /artifacts/{id} through a link", code, body)
	link(t, data, "artifacts/cards/"+cardID+".json", filepath.Join(outside, "card.json"))
	link(t, data, "artifacts/cards/"+cardID+".md", filepath.Join(outside, "card.md"))
	code, body = env.Do("GET", "/model_card?id="+cardID, nil)
	refused(t, "GET /model_card through a link", code, body)
	code, body = env.Do("GET", "/model_cards?q=spy", nil)
	if bytes.Contains(body, []byte(marker)) {
		t.Errorf("GET /model_cards carries outside content: %d", code)
	}

	// market/: AAPL's bars folder is a link out.
	code, body = env.Do("GET", "/data/coverage?ticker=AAPL&kind=bars", nil)
	if code != 200 || bytes.Contains(body, []byte(`"ticker":"AAPL"`)) {
		t.Errorf("coverage read AAPL bars through a link: %d %.300s", code, body)
	}
	code, body = env.Do("POST", "/build_stock_matrix", map[string]any{"ticker": "AAPL", "start": "2024-05-01", "end": "2024-06-28"})
	refused(t, "POST /build_stock_matrix over linked bars", code, body)
	must(t, os.WriteFile(filepath.Join(data, "imports", "AAPL_1h.csv"), []byte(csv), 0o644))
	code, body = env.Do("POST", "/data/import", map[string]any{"path": "imports/AAPL_1h.csv"})
	refused(t, "POST /data/import into linked bars", code, body)

	// imports/ and exports/: a linked folder as the path, linked files in a walk.
	link(t, data, "imports/linked", filepath.Join(outside, "imp"))
	code, body = env.Do("POST", "/data/import", map[string]any{"path": "imports/linked"})
	refused(t, "POST /data/import of a linked folder", code, body)
	must(t, os.MkdirAll(filepath.Join(data, "exports", "d"), 0o755))
	link(t, data, "exports/d/passwd.csv", filepath.Join(outside, "passwd.csv"))
	link(t, data, "exports/d/MSFT_1h.csv", filepath.Join(outside, "imp", "MSFT_1h.csv"))
	code, body = env.Do("POST", "/data/import", map[string]any{"path": "exports/d"})
	refused(t, "POST /data/import of a folder of links", code, body)
	if !bytes.Contains(body, []byte("symbolic link")) {
		t.Errorf("links not reported as rejected: %.300s", body)
	}
	code, body = env.Do("GET", "/data/coverage?ticker=MSFT", nil)
	if code != 200 || bytes.Contains(body, []byte(`"source":"file"`)) || !bytes.Contains(body, []byte(`"source":"demo"`)) {
		t.Errorf("MSFT was imported from outside: %d %.300s", code, body)
	}

	// index/: the cards index is a link out when the app opens.
	link(t, data, "index/cards.bleve", filepath.Join(outside, "idx"))
	env.Restart()
	code, body = env.Do("GET", "/healthz", nil)
	if code != 200 || !bytes.Contains(body, []byte(`"cards_index":true`)) {
		t.Errorf("healthz after the index link: %d %.300s", code, body)
	}

	after := snapshot(t, outside)
	if len(after) != len(before) {
		t.Errorf("outside files: %d before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("outside file %s changed", k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("a file was written outside: %s", k)
		}
	}
}
