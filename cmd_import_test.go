package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCmdImport(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "QQQ_5m.csv")
	data := "Date,Time,Open,High,Low,Close,Volume\n" +
		"2024-07-01,09:30,480,481,479.5,480.5,1000\n" +
		"2024-07-01,09:35,480.5,481.2,480.1,481,1200\n" +
		"2024-07-01,09:40,481,482,480.8,481.5,900\n"
	if err := os.WriteFile(csv, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	rc := run([]string{"import", "--data", filepath.Join(dir, "d"), "--timezone", "ET", "--progress", "never", csv}, &out, &errb)
	if rc != 0 || !strings.Contains(out.String(), `"added": 3`) || !strings.Contains(out.String(), `"timeframe": "5m"`) {
		t.Fatalf("rc %d out %s err %s", rc, out.String(), errb.String())
	}
	bad := filepath.Join(dir, "QQQ_bad.csv")
	_ = os.WriteFile(bad, []byte("ts,open,high,low,close,volume\nnot-a-time,1,1,1,1,1\n"), 0o644)
	out.Reset()
	rc = run([]string{"import", "--data", filepath.Join(dir, "d"), "--progress", "never", bad}, &out, &errb)
	if rc != 1 || !strings.Contains(out.String(), `"line": 2`) || !strings.Contains(out.String(), "unparseable timestamp") {
		t.Fatalf("bad file: rc %d out %s", rc, out.String())
	}
	if rc := run([]string{"import"}, &out, &errb); rc != 2 {
		t.Fatalf("no paths: rc %d", rc)
	}
}

func TestCmdImportPolygon(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/v2/aggs/ticker/SPY/range/1/hour/") {
			fmt.Fprint(w, `{"status":"OK","results":[{"t":1719820800000,"o":544.85,"h":545.48,"l":544.45,"c":544.63,"v":42429}]}`)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"status":"NOT_FOUND","message":"no such thing"}`)
	}))
	defer srv.Close()
	t.Setenv("POLYGON_API_KEY", "k")
	t.Setenv("POLYGON_BASE_URL", srv.URL)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	rc := run([]string{"import", "--data", dir, "--polygon", "--from", "2024-07-01", "--to", "2024-07-01", "--progress", "never", "spy", "O:SPY240701C00545000"}, &out, &errb)
	if rc != 1 || !strings.Contains(out.String(), `"symbol": "SPY"`) || !strings.Contains(out.String(), `"added": 1`) || !strings.Contains(out.String(), "no such thing") {
		t.Fatalf("rc %d out %s err %s", rc, out.String(), errb.String())
	}
	t.Setenv("POLYGON_API_KEY", "")
	if rc := run([]string{"import", "--data", dir, "--polygon", "--from", "2024-07-01", "--to", "2024-07-01", "SPY"}, &out, &errb); rc != 2 {
		t.Fatalf("no key: rc %d", rc)
	}
}

// TestParseImportInterleavedFlags: flags are accepted after and between
// paths; "--" ends the flags.
func TestParseImportInterleavedFlags(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		paths  []string
		ticker string
		tf     string
	}{
		{[]string{"file.csv", "--ticker", "QQQ"}, []string{"file.csv"}, "QQQ", ""},
		{[]string{"a.csv", "--ticker=QQQ", "b.csv", "-timeframe", "1h"}, []string{"a.csv", "b.csv"}, "QQQ", "1h"},
		{[]string{"--ticker", "SPY", "a.csv"}, []string{"a.csv"}, "SPY", ""},
		{[]string{"a.csv", "--", "--ticker", "-b.csv"}, []string{"a.csv", "--ticker", "-b.csv"}, "", ""},
		{[]string{"--timeframe", "1d", "--", "x.csv"}, []string{"x.csv"}, "", "1d"},
	} {
		f, err := parseImport(tc.args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if strings.Join(f.paths, "|") != strings.Join(tc.paths, "|") || f.opts.Ticker != tc.ticker || f.opts.Timeframe != tc.tf {
			t.Fatalf("%v: paths %q ticker %q timeframe %q", tc.args, f.paths, f.opts.Ticker, f.opts.Timeframe)
		}
	}
	if _, err := parseImport([]string{"a.csv", "--nope"}, io.Discard); err == nil {
		t.Fatal("unknown flag after a path accepted")
	}
	if _, err := parseImport([]string{"--ticker", "QQQ"}, io.Discard); err == nil {
		t.Fatal("no path accepted")
	}
}
