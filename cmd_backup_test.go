package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/httpapi"
)

// TestBackupRestoreCheckCommands drives the three commands on a stopped data
// dir (the backup opens the database read-only), then beside an open app
// whose server is not listening: the backup says so instead of hanging.
func TestBackupRestoreCheckCommands(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	a, err := app.Open(app.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "b.tar.zst")
	var out, errb bytes.Buffer
	if rc := run([]string{"backup", file, "--data", data}, &out, &errb); rc != 0 {
		t.Fatalf("backup: rc %d %s", rc, errb.String())
	}
	var res backupOut
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || !res.OK || res.Via != "data_dir" || res.Files < 1 || res.ArchiveBytes <= 0 {
		t.Fatalf("backup output: %v %s", err, out.String())
	}
	restored := filepath.Join(root, "restored")
	out.Reset()
	if rc := run([]string{"restore", file, "--data", restored}, &out, &errb); rc != 0 || !strings.Contains(out.String(), `"ok": true`) {
		t.Fatalf("restore: rc %d %s %s", rc, out.String(), errb.String())
	}
	errb.Reset()
	if rc := run([]string{"restore", file, "--data", restored}, &out, &errb); rc != 1 || !strings.Contains(errb.String(), "not empty") {
		t.Fatalf("restore into a non-empty dir: rc %d %s", rc, errb.String())
	}
	out.Reset()
	if rc := run([]string{"check", "--data", restored}, &out, &errb); rc != 0 || !strings.Contains(out.String(), `"ok": true`) {
		t.Fatalf("check: rc %d %s", rc, out.String())
	}
	if err := os.RemoveAll(filepath.Join(restored, "index")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if rc := run([]string{"check", "--data", restored}, &out, &errb); rc != 1 || !strings.Contains(out.String(), `"index_missing"`) {
		t.Fatalf("check of a dir without its index: rc %d %s", rc, out.String())
	}
	out.Reset()
	if rc := run([]string{"check", "--data", restored, "--repair"}, &out, &errb); rc != 0 {
		t.Fatalf("check --repair: rc %d %s", rc, out.String())
	}

	// Held by an open app with no server at --addr: a clear error, no file.
	// The server asks for the admin credential; the CLI sends ADMIN_TOKEN.
	const adminToken = "backup-test-admin-token"
	t.Setenv("ADMIN_TOKEN", adminToken)
	held, err := app.Open(app.Config{DataDir: data, HTTP: httpapi.Options{Auth: httpapi.AuthOptions{AdminToken: adminToken}}})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	errb.Reset()
	file2 := filepath.Join(root, "b2.tar.zst")
	if rc := run([]string{"backup", file2, "--data", data, "--addr", addr, "--lock-timeout", "100ms"}, &out, &errb); rc != 1 ||
		!strings.Contains(errb.String(), "does not answer") {
		t.Fatalf("backup of a held dir, no server: rc %d %s", rc, errb.String())
	}
	if _, err := os.Stat(file2); !os.IsNotExist(err) {
		t.Fatalf("a failed backup left %s: %v", file2, err)
	}
	errb.Reset()
	if rc := run([]string{"check", "--data", data}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "in use") {
		t.Fatalf("check of a held dir: rc %d %s", rc, errb.String())
	}

	// Held, with the server answering: the CLI streams the server's archive.
	srv := &http.Server{Handler: held.Handler()}
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	out.Reset()
	if rc := run([]string{"backup", file2, "--data", data, "--addr", ln.Addr().String(), "--lock-timeout", "100ms"}, &out, &errb); rc != 0 ||
		!strings.Contains(out.String(), `"via": "server"`) {
		t.Fatalf("backup through the server: rc %d %s %s", rc, out.String(), errb.String())
	}
}
