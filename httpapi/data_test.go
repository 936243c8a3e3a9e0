package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
)

func shortDemo() *market.DemoConfig {
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-06-24", "2024-07-12", "2024-07-08"
	return &cfg
}

// upload posts files as multipart/form-data with extra form fields.
func upload(t *testing.T, env *apitest.Env, fields map[string]string, files map[string][]byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for name, data := range files {
		w, _ := mw.CreateFormFile("file", name)
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	status, body := env.DoHeaders(http.MethodPost, "/data/import", buf.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()})
	return status, string(body)
}

func TestDataRoutes(t *testing.T) {
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: shortDemo()})
	csv := "timestamp,open,high,low,close,volume\n" +
		"2024-07-01 09:30:00-04:00,100,101,99.5,100.5,1000\n" +
		"2024-07-01 09:31:00-04:00,100.5,101.2,100.1,101,1200\n"
	if err := os.MkdirAll(filepath.Join(env.Dir, "imports"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(env.Dir, "imports", "AAPL_1m.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := "date,open,high,low,close,volume\n2024-07-01,10,9,8,9.5,100\n2024-07-02,10,11,9,10.5,-5\n2024-07-03,x,11,9,10,5\n"
	env.Run(t, []apitest.Scenario{
		{Name: "coverage shows the seeded demo market", URL: "/data/coverage",
			Contains: []string{`"demo":true`, `"tickers":["AAPL","MSFT","SPY"]`, `"ticker":"SPY","kind":"options"`, `"source":"demo"`}},
		{Name: "coverage filtered by ticker and kind", URL: "/data/coverage?ticker=msft&kind=bars",
			Contains: []string{`"count":3`, `"tickers":["MSFT"]`}, NotContains: []string{`"kind":"chains"`}},
		{Name: "coverage bad kind", URL: "/data/coverage?kind=trades", Status: 422},
		// Without start, the window opens on the last date of the stored option data.
		{Name: "expirations from stored data", URL: "/options/expirations?ticker=spy",
			Contains: []string{`"ticker":"SPY"`, `"start":"2024-07-12"`, `"start_from":"last_data_date"`,
				`"date":"2024-07-12","has_chain":true,"has_bars":true`}, NotContains: []string{`"date":"2024-07-11"`}},
		{Name: "expirations window", URL: "/options/expirations?ticker=SPY&start=2024-07-10&weeks=1",
			Contains: []string{`"start":"2024-07-10"`, `"date":"2024-07-10"`}, NotContains: []string{`"date":"2024-07-09"`, `"date":"2024-07-17"`}},
		{Name: "expirations needs a ticker", URL: "/options/expirations", Status: 422, Contains: []string{`"loc":["query","ticker"]`}},
		{Name: "expirations bad start", URL: "/options/expirations?ticker=SPY&start=2024-13-01", Status: 422},
		{Name: "import path escaping the data dir", Method: "POST", URL: "/data/import", Body: map[string]any{"path": "../etc/passwd"}, Status: 400},
		{Name: "import from the market store itself", Method: "POST", URL: "/data/import", Body: map[string]any{"path": "./market/bars"}, Status: 400,
			Contains: []string{"imports read only from exports/ or the imports/ inbox"}},
		{Name: "import absolute path", Method: "POST", URL: "/data/import", Body: map[string]any{"path": "/etc/passwd"}, Status: 400},
		{Name: "import missing path", Method: "POST", URL: "/data/import", Body: map[string]any{}, Status: 422, Contains: []string{`"loc":["body","path"]`}},
		{Name: "import unknown timeframe", Method: "POST", URL: "/data/import", Body: map[string]any{"path": "imports", "timeframe": "2h"}, Status: 422},
		{Name: "import a server-side file replaces the ticker's demo data", Method: "POST", URL: "/data/import",
			Body: map[string]any{"path": "imports/AAPL_1m.csv"}, Contains: []string{`"added":2`, `"replaced":0`, `"rejected":[]`, `"timeframe":"1m"`}},
		{Name: "AAPL is real now", URL: "/data/coverage",
			Contains: []string{`"ticker":"AAPL","kind":"bars","timeframe":"1m","source":"file","rows":2`}, NotContains: []string{`"ticker":"AAPL","kind":"chains"`}},
		{Name: "re-import is idempotent", Method: "POST", URL: "/data/import",
			Body: map[string]any{"path": "imports"}, Contains: []string{`"added":0`, `"replaced":2`}},
		{Name: "async import queues a job", Method: "POST", URL: "/data/import",
			Body: map[string]any{"path": "imports", "async": true}, Status: 202, Contains: []string{`"job_id":`}},
	})
	job, err := env.App.Lab.Jobs.Wait(context.Background(), 1)
	if err != nil || job.Status != "completed" || !strings.Contains(string(job.Result), `"replaced":2`) {
		t.Fatalf("import job: %+v %v", job, err)
	}

	status, body := upload(t, env, map[string]string{"ticker": "MSFT"}, map[string][]byte{"daily.csv": []byte(bad)})
	if status != 422 || !strings.Contains(body, `"loc":["body","daily.csv","line 2"]`) || !strings.Contains(body, "inconsistent OHLC") ||
		!strings.Contains(body, `"line 3"]`) || !strings.Contains(body, "volume must be") || !strings.Contains(body, `"line 4"]`) {
		t.Fatalf("bad upload: %d %s", status, body)
	}
	_, cov := env.Do(http.MethodGet, "/data/coverage", nil)
	if !strings.Contains(string(cov), `"ticker":"MSFT","kind":"bars","timeframe":"1m","source":"demo"`) {
		t.Fatalf("a refused file must change nothing: %s", cov)
	}
	status, body = upload(t, env, nil, map[string][]byte{"evil.exe": []byte("x")})
	if status != 422 {
		t.Fatalf("unsupported upload: %d %s", status, body)
	}

	data, rows := polygonHourlySample(t)
	status, body = upload(t, env, nil, map[string][]byte{"SPY_hour_2024-07-01_2024-07-03.json": data})
	if status != 200 || !strings.Contains(body, fmt.Sprintf(`"added":%d`, rows)) || !strings.Contains(body, `"demo_removed":`) {
		t.Fatalf("upload of the Polygon cache file: %d %s", status, body)
	}
	_, cov = env.Do(http.MethodGet, "/data/coverage", nil)
	if strings.Contains(string(cov), `"ticker":"SPY","kind":"options"`) ||
		!strings.Contains(string(cov), fmt.Sprintf(`"ticker":"SPY","kind":"bars","timeframe":"1h","source":"file","rows":%d`, rows)) {
		t.Fatalf("SPY demo data must be gone after a real import: %s", cov)
	}
}

// polygonHourlySample is a Polygon cache file of SPY hours: the real sample
// beside the repository (43 bars) when present, else one the test writes in
// the same format (two sessions of extended hours, 08:00–23:00 UTC).
func polygonHourlySample(t *testing.T) (data []byte, rows int) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	sample := filepath.Join(filepath.Dir(file), "..", "..", "shared", "data", "polygon-cache", "SPY_hour_2024-07-01_2024-07-03.json")
	if data, err := os.ReadFile(sample); err == nil {
		return data, 43
	}
	var b strings.Builder
	b.WriteString("[")
	px := 544.0
	for _, day := range []string{"2024-07-01", "2024-07-02"} {
		for h := 8; h <= 23; h++ {
			if rows > 0 {
				b.WriteString(", ")
			}
			o, c := px, px+0.25*float64(h%3-1)
			fmt.Fprintf(&b, `{"date": "%s %02d:00:00+00:00", "open": %.2f, "high": %.2f, "low": %.2f, "close": %.2f, "volume": %d.0, "vwap": %.4f}`,
				day, h, o, max(o, c)+0.1, min(o, c)-0.1, c, 20000+1000*h, (o+c)/2)
			px = c
			rows++
		}
	}
	b.WriteString("]")
	return []byte(b.String()), rows
}

// FuzzDataImportBody: arbitrary JSON bodies and query strings never give a 5xx.
func FuzzDataImportBody(f *testing.F) {
	env := apitest.New(f)
	f.Add(`{"path":"imports"}`, "ticker=SPY&start=2024-01-01&weeks=2")
	f.Add(`{"path":"../../etc","timeframe":"1h","timezone":"Mars/Olympus"}`, "ticker=")
	f.Add(`{"path":"x.csv","ticker":"$$$","partial":"yes"}`, "kind=bars&ticker=a.b")
	f.Add(`[1,2`, "weeks=-5&start=x")
	client := env.Server.Client()
	do := func(t *testing.T, method, url, body string) (int, string) {
		req, err := http.NewRequest(method, env.URL+url, strings.NewReader(body))
		if err != nil {
			return 400, "" // not a request a client could send
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	f.Fuzz(func(t *testing.T, body, query string) {
		if status, resp := do(t, http.MethodPost, "/data/import", body); status >= 500 {
			t.Fatalf("POST /data/import %q: %d %s", body, status, resp)
		}
		for _, u := range []string{"/data/coverage?", "/options/expirations?"} {
			if status, resp := do(t, http.MethodGet, u+query, ""); status >= 500 {
				t.Fatalf("GET %s%s: %d %s", u, query, status, resp)
			}
		}
	})
}

// TestDataImportErrorsHideServerPaths: import errors name the client's
// relative path, never the server's data dir (sync, async job, uploads).
func TestDataImportErrorsHideServerPaths(t *testing.T) {
	env := apitest.New(t)
	dir := env.Dir
	real, _ := filepath.EvalSymlinks(dir)
	tmp := os.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "imports", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A dangling symlink and an unreadable Parquet file inside the data dir.
	if err := os.Symlink(filepath.Join(dir, "imports", "gone.csv"), filepath.Join(dir, "imports", "sub", "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "imports", "junk.parquet"), []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	hidden := []string{dir, real, `"/`}
	env.Run(t, []apitest.Scenario{
		{Name: "missing file", Method: "POST", URL: "/data/import", Body: map[string]any{"path": "exports/none.csv"}, Status: 404,
			Contains: []string{"exports/none.csv"}, NotContains: hidden},
		{Name: "missing dir", Method: "POST", URL: "/data/import", Body: map[string]any{"path": "imports/nowhere/deep"}, Status: 404,
			Contains: []string{"imports/nowhere/deep"}, NotContains: hidden},
		{Name: "dangling symlink", Method: "POST", URL: "/data/import", Body: map[string]any{"path": "imports/sub/link.csv"},
			Status: 400, Contains: []string{"imports/sub/link.csv"}, NotContains: hidden, Check: func(t *testing.T, b map[string]any) {
				if b["ok"] == true {
					t.Fatalf("a dangling link imported: %v", b)
				}
			}},
		{Name: "unreadable parquet", Method: "POST", URL: "/data/import", Body: map[string]any{"path": "imports/junk.parquet", "ticker": "SPY"},
			Status: 422, Contains: []string{"imports/junk.parquet"}, NotContains: append(hidden, tmp+"/"), Check: func(t *testing.T, b map[string]any) {
				if b["ok"] == true {
					t.Fatalf("junk imported: %v", b)
				}
			}},
		{Name: "async missing file", Method: "POST", URL: "/data/import", Body: map[string]any{"path": "exports/none.csv", "async": true}, Status: 202},
	})
	var id int64
	_, jl := env.JSON("GET", "/jobs", nil)
	for _, r := range jl["rows"].([]any) {
		id = int64(r.(map[string]any)["id"].(float64))
	}
	job, err := env.App.Lab.Jobs.Wait(context.Background(), id)
	if err != nil || job.Status != "failed" {
		t.Fatalf("job: %+v %v", job, err)
	}
	if strings.Contains(job.Error, dir) || strings.Contains(job.Error, real) || !strings.Contains(job.Error, "exports/none.csv") {
		t.Fatalf("job error leaks the data dir or lacks the path: %q", job.Error)
	}
	// An upload that fails to parse names the uploaded file, not its temp copy.
	status, body := upload(t, env, map[string]string{"ticker": "SPY"}, map[string][]byte{"bars.parquet": []byte("junk")})
	if status < 400 || strings.Contains(body, tmp+"/") || strings.Contains(body, "sigmalab-import-") {
		t.Fatalf("upload error: %d %s", status, body)
	}
}
