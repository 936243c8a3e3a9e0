package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestServeLogFormat(t *testing.T) {
	var buf bytes.Buffer
	log, err := newServeLogger(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("serving", "addr", "127.0.0.1:8001")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "serving" || line["addr"] != "127.0.0.1:8001" {
		t.Fatalf("json log line %q: %v", buf.String(), err)
	}
	buf.Reset()
	if log, err = newServeLogger(&buf, "info", "text"); err != nil {
		t.Fatal(err)
	}
	log.Info("serving")
	if !strings.Contains(buf.String(), "msg=serving") {
		t.Fatalf("text log line %q", buf.String())
	}
	if _, err := newServeLogger(&buf, "info", "xml"); err == nil || !strings.Contains(err.Error(), "text or json") {
		t.Fatalf("xml accepted: %v", err)
	}
	if _, err := parseServe([]string{"-log-format", "json"}, &buf); err != nil {
		t.Fatal(err)
	}
}
