package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// cli runs the binary and returns its stdout, stderr and exit status.
func cli(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	default:
		t.Fatalf("%v: %v", args, err)
		return "", "", -1
	}
}

// checkReport runs `sigmalab check` on data and decodes its report.
func checkReport(t *testing.T, bin, data string, args ...string) (map[string]any, int) {
	t.Helper()
	out, errs, code := cli(t, bin, append([]string{"check", "--data", data}, args...)...)
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check output (exit %d): %v\n%s\n%s", code, err, out, errs)
	}
	return rep, code
}

// problemKinds counts a check report's unrepaired problems by kind.
func problemKinds(rep map[string]any) map[string]int {
	m := map[string]int{}
	for _, p := range rep["problems"].([]any) {
		pm := p.(map[string]any)
		if pm["repaired"] != true {
			m[pm["kind"].(string)]++
		}
	}
	return m
}

// pick returns the fields of an answer two servers must agree on.
func pick(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// TestBackupRestoreCheck runs the pipeline over HTTP, backs up with the CLI
// while an asynchronous sweep runs (the CLI finds the database held and asks
// the server), restores into a new dir, and expects `check` to pass there and
// the restored server to answer the same leaderboard, card search and matrix
// bytes as the original did at one side of the sweep; then `check` must name
// a deleted matrix, a corrupted artifact and a deleted index.
func TestBackupRestoreCheck(t *testing.T) {
	bin := binary(t)
	root := t.TempDir()
	data := filepath.Join(root, "data")
	// The server and the backup CLI share the built-in admin credential.
	t.Setenv("ADMIN_TOKEN", "e2e-backup-admin-token")
	s := start(t, bin, data, "--demo-range", pipelineDemoRange)
	stopped := false
	defer func() {
		if !stopped {
			s.stop(t)
		}
	}()

	const model = "spy_opt_0dte_hourly_bk"
	getJSON(t, s, "POST", "/models", `{"ticker":"spy","pack_id":"zerosigma","variant":"bk"}`, 200)
	getJSON(t, s, "PATCH", "/models/"+model, `{"config":{"hyperparams":{"n_estimators":40,"max_depth":3}}}`, 200)
	build := getJSON(t, s, "POST", "/build_matrix",
		`{"model_id":"`+model+`","pack_id":"zerosigma","start":"2024-10-01","end":"2024-12-31"}`, 200)
	buildID := build["build_id"].(string)
	train := getJSON(t, s, "POST", "/train", `{"model_id":"`+model+`"}`, 200)
	modelFile, _ := train["model_out_uri"].(string)
	getJSON(t, s, "POST", "/backtest",
		`{"model_id":"`+model+`","pack_id":"zerosigma","splits":3,"thresholds":"0.4,0.45,0.5","save":true,"tag":"bk"}`, 200)

	const lbPath = "/leaderboard?model_id=" + model + "&limit=100"
	const cardsPath = "/model_cards?model_id=" + model + "&limit=100"
	lbBefore := pick(getJSON(t, s, "GET", lbPath, "", 200), "total", "rows")
	cardsBefore := pick(getJSON(t, s, "GET", cardsPath, "", 200), "total", "cards", "rows")
	if n, _ := cardsBefore["total"].(float64); n < 3 {
		t.Fatalf("cards before the sweep: %v", cardsBefore["total"])
	}
	_, matrix := s.call(t, "GET", "/matrices/"+model+"/"+buildID+"?format=parquet", "")
	if !strings.HasPrefix(matrix, "PAR1") {
		t.Fatalf("matrix download: %.100q", matrix)
	}

	// A sweep that trains its own folds (6 splits, bigger trees) runs as a job.
	job := getJSON(t, s, "POST", "/backtest_sweep", `{"model_id":"`+model+`","pack_id":"zerosigma","splits":6,"tag":"bk-sweep",
		"hyperparams":{"n_estimators":300,"max_depth":5},"async":true,
		"thresholds_variants":["0.4","0.45","0.5","0.55"],"allowed_hours_variants":["10,11,12,13",""],"top_pct_variants":[0.1,0.2]}`, 202)
	jobID := job["job_id"].(string)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st := jobState(t, s, jobID)["status"]
		if st == "running" {
			break
		}
		if st != "queued" || time.Now().After(deadline) {
			t.Fatalf("sweep job: %v", st)
		}
	}

	archive := filepath.Join(root, "backup.tar.zst")
	out, errs, code := cli(t, bin, "backup", archive, "--data", data, "--addr", strings.TrimPrefix(s.base, "http://"))
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", code, out, errs)
	}
	var bk map[string]any
	if err := json.Unmarshal([]byte(out), &bk); err != nil || bk["ok"] != true || bk["via"] != "server" {
		t.Fatalf("backup output: %v %s", err, out)
	}
	t.Logf("backup while the sweep was %v: %s", jobState(t, s, jobID)["status"], strings.Join(strings.Fields(out), " "))

	waitJob(t, s, jobID, 3*time.Minute)
	lbAfter := pick(getJSON(t, s, "GET", lbPath, "", 200), "total", "rows")
	cardsAfter := pick(getJSON(t, s, "GET", cardsPath, "", 200), "total", "cards", "rows")
	if reflect.DeepEqual(lbBefore, lbAfter) {
		t.Fatal("the sweep did not add to the leaderboard")
	}
	s.stop(t)
	stopped = true
	if rep, code := checkReport(t, bin, data); code != 0 || rep["ok"] != true {
		t.Fatalf("check of the live dir: exit %d %v", code, rep)
	}

	restored := filepath.Join(root, "restored")
	if out, errs, code := cli(t, bin, "restore", archive, "--data", restored); code != 0 {
		t.Fatalf("restore: exit %d\n%s\n%s", code, out, errs)
	}
	if _, errs, code := cli(t, bin, "restore", archive, "--data", restored); code == 0 || !strings.Contains(errs, "not empty") {
		t.Fatalf("restore into a non-empty dir: exit %d %s", code, errs)
	}
	if rep, code := checkReport(t, bin, restored); code != 0 || rep["ok"] != true || len(rep["problems"].([]any)) != 0 {
		t.Fatalf("check of the restored dir: exit %d %v", code, rep)
	}

	r := start(t, bin, restored)
	lb := pick(getJSON(t, r, "GET", lbPath, "", 200), "total", "rows")
	cards := pick(getJSON(t, r, "GET", cardsPath, "", 200), "total", "cards", "rows")
	_, rmatrix := r.call(t, "GET", "/matrices/"+model+"/"+buildID+"?format=parquet", "")
	r.stop(t)
	switch {
	case reflect.DeepEqual(lb, lbBefore) && reflect.DeepEqual(cards, cardsBefore):
		t.Log("restored state: before the sweep was recorded")
	case reflect.DeepEqual(lb, lbAfter) && reflect.DeepEqual(cards, cardsAfter):
		t.Log("restored state: after the sweep was recorded")
	default:
		t.Fatalf("restored leaderboard/cards match neither side of the sweep:\nrestored %v\nbefore %v\nafter %v",
			lb["total"], lbBefore["total"], lbAfter["total"])
	}
	if rmatrix != matrix {
		t.Fatalf("restored matrix differs: %d bytes vs %d", len(rmatrix), len(matrix))
	}

	// Damage the restored dir: check names each problem and fails.
	if err := os.Remove(filepath.Join(restored, "matrices", model, buildID+".parquet")); err != nil {
		t.Fatal(err)
	}
	mf := filepath.Join(restored, filepath.FromSlash(modelFile))
	b, err := os.ReadFile(mf)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x55
	if err := os.WriteFile(mf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(restored, "index", "cards.bleve")); err != nil {
		t.Fatal(err)
	}
	rep, code := checkReport(t, bin, restored)
	kinds := problemKinds(rep)
	if code != 1 || rep["ok"] != false || kinds["missing"] != 1 || kinds["hash_mismatch"] != 1 || kinds["index_missing"] != 1 {
		t.Fatalf("check of the damaged dir: exit %d kinds %v\n%v", code, kinds, rep)
	}
	// --reindex rebuilds the index; the missing and corrupted files remain.
	rep, code = checkReport(t, bin, restored, "--reindex")
	if kinds := problemKinds(rep); code != 1 || kinds["index_missing"] != 0 || kinds["missing"] != 1 {
		t.Fatalf("check --reindex: exit %d %v", code, kinds)
	}
}
