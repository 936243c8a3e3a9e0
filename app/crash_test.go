package app_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/httpapi/apitest"
)

// TestRunsLeftRunningBecomeInterrupted: build and training runs that a killed
// process left running are marked interrupted when the app opens again, like
// jobs and sweeps; finished runs are left alone.
func TestRunsLeftRunningBecomeInterrupted(t *testing.T) {
	env := apitest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	br, tr := env.App.DB.BuildRuns(), env.App.DB.TrainingRuns()
	run1, err := br.CreateBuildRun(ctx, engine.BuildRun{ModelID: "m", Status: engine.BuildRunning, StartedAt: &now, CreatedAt: now})
	must(t, err)
	run2, err := br.CreateBuildRun(ctx, engine.BuildRun{ModelID: "m", Status: engine.BuildCompleted, StartedAt: &now, FinishedAt: &now, CreatedAt: now})
	must(t, err)
	tr1, err := tr.CreateTrainingRun(ctx, engine.TrainingRun{ModelID: "m", Status: engine.TrainRunning, StartedAt: &now, CreatedAt: now})
	must(t, err)
	tr2, err := tr.CreateTrainingRun(ctx, engine.TrainingRun{ModelID: "m", Status: engine.TrainFailed, Error: "boom", StartedAt: &now, FinishedAt: &now, CreatedAt: now})
	must(t, err)

	env.Restart() // as after kill -9: nothing marked them finished
	br, tr = env.App.DB.BuildRuns(), env.App.DB.TrainingRuns()
	if r, err := br.GetBuildRun(ctx, run1.ID); err != nil || r.Status != engine.BuildInterrupted || r.FinishedAt == nil || r.Error == "" {
		t.Errorf("running build after restart: %+v %v", r, err)
	}
	if r, _ := br.GetBuildRun(ctx, run2.ID); r.Status != engine.BuildCompleted {
		t.Errorf("completed build changed: %+v", r)
	}
	if r, err := tr.GetTrainingRun(ctx, tr1.ID); err != nil || r.Status != engine.TrainInterrupted || r.FinishedAt == nil {
		t.Errorf("running training after restart: %+v %v", r, err)
	}
	if r, _ := tr.GetTrainingRun(ctx, tr2.ID); r.Status != engine.TrainFailed || r.Error != "boom" {
		t.Errorf("failed training changed: %+v", r)
	}
	code, body := env.Do("GET", "/build_runs/1", nil)
	if code != 200 || !bytes.Contains(body, []byte(`"status":"interrupted"`)) {
		t.Errorf("GET /build_runs/1: %d %.200s", code, body)
	}
}

// TestOrphansRemovedAtOpen: the temp files of atomic writes and uploads that a
// kill left behind are removed when the app opens; real files stay.
func TestOrphansRemovedAtOpen(t *testing.T) {
	env := apitest.New(t)
	d := env.Dir
	orphans := []string{
		"market/bars/ticker=SPY/timeframe=1h/.2024-07.parquet.tmp-123",
		"matrices/m/.b00000001.parquet.tmp-9",
		"artifacts/models/.x.json.zst.tmp-1",
		"artifacts/cards/.c.json.tmp-2",
		"exports/.out.csv.tmp-3",
		".tmp/upload-77.csv",
		"imports/.upload.tmp-5.csv",
		".tmp/probe-1",
	}
	keep := []string{"market/bars/ticker=SPY/timeframe=1h/2024-07.parquet", "exports/out.csv", "matrices/m/b00000001.parquet", "imports/.hidden-note"}
	for _, f := range append(append([]string{}, orphans...), keep...) {
		p := filepath.Join(d, filepath.FromSlash(f))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	env.Restart()
	for _, f := range orphans {
		if _, err := os.Lstat(filepath.Join(d, filepath.FromSlash(f))); err == nil {
			t.Errorf("orphan %s survived the restart", f)
		}
	}
	for _, f := range keep {
		if _, err := os.Lstat(filepath.Join(d, filepath.FromSlash(f))); err != nil {
			t.Errorf("%s was removed: %v", f, err)
		}
	}
}

// TestHealthzReportsUnwritableDataDir: /healthz probes the data dir with a
// write; a dir that cannot take one, or a disk with too little free space,
// makes it not ok with a reason.
func TestHealthzReportsUnwritableDataDir(t *testing.T) {
	env := apitest.New(t)
	code, body := env.Do("GET", "/healthz", nil)
	if code != 200 || !bytes.Contains(body, []byte(`"data_writable":true`)) {
		t.Fatalf("healthz: %d %s", code, body)
	}
	// The probe's folder replaced by a file: writes fail there as on a
	// read-only mount (which the root user of a test machine cannot make).
	tmp := filepath.Join(env.Dir, ".tmp")
	must(t, os.RemoveAll(tmp))
	must(t, os.WriteFile(tmp, []byte("x"), 0o644))
	code, body = env.Do("GET", "/healthz", nil)
	if !bytes.Contains(body, []byte(`"ok":false`)) || !bytes.Contains(body, []byte(`"data_writable":false`)) ||
		!bytes.Contains(body, []byte("not writable")) {
		t.Errorf("healthz on an unwritable dir: %d %s", code, body)
	}
	if os.Geteuid() != 0 { // a real read-only dir, where permissions bind
		must(t, os.Remove(tmp))
		must(t, os.Chmod(env.Dir, 0o555))
		code, body = env.Do("GET", "/healthz", nil)
		must(t, os.Chmod(env.Dir, 0o755))
		if !bytes.Contains(body, []byte(`"data_writable":false`)) {
			t.Errorf("healthz on a read-only dir: %d %s", code, body)
		}
	}
	// A disk with less free space than the floor counts as full.
	full := apitest.NewWith(t, app.Config{MinFreeBytes: 1 << 62})
	code, body = full.Do("GET", "/healthz", nil)
	if !bytes.Contains(body, []byte(`"data_writable":false`)) || !bytes.Contains(body, []byte("full")) {
		t.Errorf("healthz on a full disk: %d %s", code, body)
	}
}

// TestImportPathOnlyFromInbox: POST /data/import {path} reads exports/ and the
// imports/ inbox only; any other path of the data dir (the store's own files
// among them) is a 400 naming the field path.
func TestImportPathOnlyFromInbox(t *testing.T) {
	env := apitest.New(t)
	csv := "timestamp,open,high,low,close,volume\n2024-07-01T14:00:00Z,1,1,1,1,1\n2024-07-01T15:00:00Z,1,1,1,1,1\n"
	must(t, os.MkdirAll(filepath.Join(env.Dir, "exports", "d"), 0o755))
	must(t, os.WriteFile(filepath.Join(env.Dir, "exports", "d", "SPY_1h.csv"), []byte(csv), 0o644))
	must(t, os.WriteFile(filepath.Join(env.Dir, "imports", "QQQ_1h.csv"), []byte(csv), 0o644))
	code, body := env.Do("POST", "/data/import", map[string]any{"path": "exports/d"})
	if code != 200 || !bytes.Contains(body, []byte(`"added":2`)) {
		t.Fatalf("import of exports/d: %d %s", code, body)
	}
	code, body = env.Do("POST", "/data/import", map[string]any{"path": "imports/QQQ_1h.csv"})
	if code != 200 || !bytes.Contains(body, []byte(`"added":2`)) {
		t.Fatalf("import of imports/QQQ_1h.csv: %d %s", code, body)
	}
	// An inside link that leads from exports/ into the store.
	must(t, os.Symlink(filepath.Join(env.Dir, "market"), filepath.Join(env.Dir, "exports", "store")))
	for _, p := range []string{".", "./", "market", "market/bars/ticker=SPY", "matrices", "artifacts", "index", "sigmalab.db",
		".tmp", "exports/../market", "exports/store", "/etc", "../x"} {
		code, body := env.Do("POST", "/data/import", map[string]any{"path": p})
		if code != 400 || !bytes.Contains(body, []byte(`"code":"bad_request"`)) || !strings.Contains(string(body), "path") {
			t.Errorf("path %q: %d %s", p, code, body)
		}
	}
	code, body = env.Do("GET", "/data/coverage", nil)
	if code != 200 || bytes.Count(body, []byte(`"kind":"bars"`)) != 2 {
		t.Errorf("coverage after refused imports: %s", body)
	}
}

// TestImportBodyCaps: a JSON import body takes the API cap (413 past 10 MiB)
// while a file upload streams under its own, larger cap.
func TestImportBodyCaps(t *testing.T) {
	env := apitest.New(t)
	big := `{"path":"exports/x.csv","pad":"` + strings.Repeat("a", 11<<20) + `"}`
	code, body := env.Do("POST", "/data/import", big)
	if code != 413 {
		t.Errorf("11 MiB JSON import body: %d %.200s", code, body)
	}
	// A 12 MiB CSV upload is over the JSON cap and still taken.
	var csv strings.Builder
	csv.WriteString("timestamp,open,high,low,close,volume,note\n")
	pad := strings.Repeat("n", 2000)
	for i := 0; csv.Len() < 12<<20; i++ {
		ts := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		csv.WriteString(ts.Format(time.RFC3339) + ",1,1,1,1,1," + pad + "\n")
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "SPY_1h.csv")
	must(t, err)
	_, _ = fw.Write([]byte(csv.String()))
	must(t, mw.Close())
	req, err := http.NewRequest("POST", env.URL+"/data/import", &buf)
	must(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := env.Server.Client().Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("12 MiB upload: %d", resp.StatusCode)
	}
}
