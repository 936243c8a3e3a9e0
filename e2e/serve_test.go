package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type server struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
	base string
}

func start(t *testing.T, bin, data string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{logs: &bytes.Buffer{}, base: "http://" + addr}
	s.cmd = exec.Command(bin, append([]string{"serve", "--data", data, "--addr", addr}, args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.base + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = s.cmd.Process.Kill()
	t.Fatalf("server did not come up\n%s", s.logs)
	return nil
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.logs)
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Fatalf("no exit after SIGTERM\n%s", s.logs)
	}
}

func (s *server) call(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json") // JSON routes refuse other bodies
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func expect(t *testing.T, status int, body string, wantStatus int, frags ...string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status %d want %d: %.300s", status, wantStatus, body)
	}
	for _, f := range frags {
		if !strings.Contains(body, f) {
			t.Errorf("missing %s in %.300s", f, body)
		}
	}
}

func TestServeRestartVersion(t *testing.T) {
	bin := binary(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "sigmalab e2e-test" {
		t.Fatalf("version: %q %v", out, err)
	}
	data := filepath.Join(t.TempDir(), "data")
	// A month of demo market is enough here and seeds quickly.
	s := start(t, bin, data, "--demo-range", "2024-12-02:2024-12-31")
	st, b := s.call(t, "GET", "/healthz", "")
	expect(t, st, b, 200, `"ok":true`, `"db":true`)
	st, b = s.call(t, "POST", "/models", `{"ticker":"iwm"}`)
	expect(t, st, b, 200, `"model_id":"iwm_opt_0dte_hourly"`)
	st, b = s.call(t, "GET", "/nope", "")
	expect(t, st, b, 404, `"ok":false`)
	s.stop(t)

	if _, err := os.Stat(filepath.Join(data, "sigmalab.db")); err != nil {
		t.Fatal(err)
	}
	s = start(t, bin, data)
	st, b = s.call(t, "GET", "/models/iwm_opt_0dte_hourly", "")
	expect(t, st, b, 200, `"model_id":"iwm_opt_0dte_hourly"`)
	st, b = s.call(t, "GET", "/", "")
	expect(t, st, b, 200, fmt.Sprintf(`"version":"%s"`, "e2e-test"))
	s.stop(t)
}
