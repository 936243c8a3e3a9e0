package httpapi_test

import (
	"bytes"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/httpapi"
	"sigmalab/httpapi/apitest"
)

// TestAdminBackup: POST /admin/backup streams a verifiable archive of the
// served data dir; other methods are a JSON 405; the route is in the index.
func TestAdminBackup(t *testing.T) {
	env := apitest.NewWith(t, app.Config{HTTP: httpapi.Options{Auth: httpapi.AuthOptions{AdminToken: testAdminToken}}})
	if st, b := env.Do("POST", "/models", map[string]any{"ticker": "qqq"}); st != 200 {
		t.Fatalf("create model: %d %s", st, b)
	}
	if resp, _ := env.DoResponse("POST", "/admin/backup", nil, nil); resp.StatusCode != 401 {
		t.Fatalf("backup without a token: %d", resp.StatusCode)
	}
	resp, body := env.DoResponse("POST", "/admin/backup", nil, map[string]string{"Authorization": "Bearer " + testAdminToken})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zstd" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), ".tar.zst") {
		t.Fatalf("backup: %d %v %.200s", resp.StatusCode, resp.Header, body)
	}
	m, err := app.VerifyArchive(bytes.NewReader(body))
	if err != nil || len(m.Files) == 0 || m.Files[0].Path != "sigmalab.db" {
		t.Fatalf("archive: %v %+v", err, m)
	}
	st, b := env.DoHeaders("GET", "/admin/backup", nil, map[string]string{"Authorization": "Bearer " + testAdminToken})
	if st != 405 || !strings.Contains(string(b), `"ok":false`) {
		t.Fatalf("GET /admin/backup: %d %s", st, b)
	}
	_, idx := env.JSON("GET", "/", nil)
	found := false
	for _, r := range idx["routes"].([]any) {
		if rr := r.(map[string]any); rr["path"] == "/admin/backup" && rr["method"] == "POST" {
			found = true
		}
	}
	if !found {
		t.Fatal("POST /admin/backup is not in the route index")
	}
}
