package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/julienschmidt/httprouter"

	"sigmalab/app"
	"sigmalab/engine/jobs"
	"sigmalab/httpapi"
	"sigmalab/httpapi/apitest"
)

// holdAll takes every free slot of class and returns their release.
func holdAll(t *testing.T, r *jobs.Runner, class jobs.Class) func() {
	t.Helper()
	var rels []func()
	for {
		rel, err := r.Acquire(context.Background(), class, 0)
		if err != nil {
			var be *jobs.BusyError
			if !errors.As(err, &be) {
				t.Fatal(err)
			}
			break
		}
		rels = append(rels, rel)
	}
	if len(rels) == 0 {
		t.Fatal("no slot to hold")
	}
	return func() {
		for _, rel := range rels {
			rel()
		}
	}
}

// TestSyncHeavyWorkBounded: synchronous heavy requests take a slot of the
// same pool as jobs; with the pool full they wait at most the configured
// bound and then answer 503 with Retry-After. Async submissions beyond the job
// queue bound answer 429 and leave no job behind.
func TestSyncHeavyWorkBounded(t *testing.T) {
	env := apitest.NewWith(t, app.Config{MaxQueued: 2, HTTP: httpapi.Options{Limits: httpapi.Limits{HeavyWait: 100 * time.Millisecond}}})
	run := env.App.Lab.Jobs
	release := holdAll(t, run, jobs.Heavy)
	busy := func(method, url string, body any, headers map[string]string) {
		t.Helper()
		start := time.Now()
		resp, b := env.DoResponse(method, url, body, headers)
		if resp.StatusCode != 503 || !bytes.Contains(b, []byte(`"code":"busy"`)) {
			t.Errorf("%s with the pool full: %d %s", url, resp.StatusCode, b)
		}
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("%s: Retry-After %q", url, resp.Header.Get("Retry-After"))
		}
		if d := time.Since(start); d < 90*time.Millisecond || d > 5*time.Second {
			t.Errorf("%s: answered after %s, want about the 100ms bound", url, d)
		}
	}
	model := `{"model_id":"spy_eq_long_daily","start":"2024-01-02","end":"2024-02-01"}`
	for _, u := range []string{"/build_matrix", "/build_stock_matrix", "/preview_matrix", "/train", "/backtest",
		"/backtest_sweep", "/calibrate_thresholds", "/calibrate_brackets"} {
		busy("POST", u, model, nil)
	}

	// Async submissions only queue: two fit, the third is refused.
	async := `{"model_id":"spy_eq_long_daily","start":"2024-01-02","end":"2024-02-01","async":true}`
	for i := 0; i < 2; i++ {
		if st, b := env.Do("POST", "/build_matrix", async); st != 202 {
			t.Fatalf("async submit %d: %d %s", i, st, b)
		}
	}
	resp, b := env.DoResponse("POST", "/build_matrix", async, nil)
	if resp.StatusCode != 429 || !bytes.Contains(b, []byte(`"code":"queue_full"`)) || resp.Header.Get("Retry-After") == "" {
		t.Errorf("async beyond the queue bound: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	if _, m := env.JSON("GET", "/jobs", nil); m["total"] != 2.0 {
		t.Errorf("refused submit left a job: total %v", m["total"])
	}

	// Imports share the light pool the same way.
	releaseLight := holdAll(t, run, jobs.Light)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "AAPL_1m.csv")
	_, _ = fw.Write([]byte("timestamp,open,high,low,close,volume\n2024-07-01 09:30:00-04:00,100,101,99.5,100.5,1000\n"))
	_ = mw.Close()
	busy("POST", "/data/import", form.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()})
	busy("POST", "/data/import", `{"path":"exports/x.csv"}`, nil)
	if st, b := env.Do("POST", "/data/import", `{"path":"exports/x.csv","async":true}`); st == 503 {
		t.Errorf("async import waited for a slot: %d %s", st, b)
	}
	releaseLight()

	// Reads never wait for heavy slots.
	if st, _ := env.Do("GET", "/models", nil); st != 200 {
		t.Errorf("GET /models with the pool full: %d", st)
	}
	release()
	// With slots free the same request runs (and fails on its own terms).
	if st, b := env.Do("POST", "/build_matrix", `{"model_id":"nope_x"}`); st == 503 || st == 429 {
		t.Errorf("after release: %d %s", st, b)
	}
}

// serveTCP runs env's API on a real loopback listener with the production
// server settings (timeouts, connection cap, JSON for net/http's own errors).
func serveTCP(t *testing.T, env *apitest.Env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := env.App.API.HTTPServer()
	go func() { _ = srv.Serve(env.App.API.Listener(ln)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// closedWithin reads c until EOF or an error and fails if that takes longer
// than d; it returns what was read.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %s (read %d bytes)", d, len(b))
	}
	return b
}

// TestServerTimeouts: a slow header or body is cut, an idle keep-alive is
// closed, a client that never reads its answer loses the connection, and long
// work still answers.
func TestServerTimeouts(t *testing.T) {
	lim := httpapi.Limits{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 400 * time.Millisecond,
		WriteTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}
	env := apitest.NewWith(t, app.Config{HTTP: httpapi.Options{Limits: lim}})
	const big = 64 << 20
	env.App.API.GET("/test/big", "", func(*http.Request, httprouter.Params) (any, error) {
		return httpapi.Raw{ContentType: "application/octet-stream", Body: make([]byte, big)}, nil
	})
	env.App.API.GET("/test/slow", "", func(*http.Request, httprouter.Params) (any, error) {
		time.Sleep(700 * time.Millisecond)
		return map[string]string{"done": "yes"}, nil
	})
	addr := serveTCP(t, env)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("slow header", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "GET /health HTTP/1.1\r\nHost: %s\r\n", addr)
		closedWithin(t, c, 3*time.Second)
	})
	t.Run("slow body", func(t *testing.T) {
		c := dial()
		start := time.Now()
		fmt.Fprintf(c, "POST /models HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ticker\":", addr)
		b := closedWithin(t, c, 3*time.Second)
		if time.Since(start) > 2*time.Second {
			t.Fatalf("slow body held the connection %s", time.Since(start))
		}
		if len(b) > 0 && !bytes.Contains(b, []byte(`"ok":false`)) {
			t.Errorf("slow body answer: %q", b)
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "GET /health HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatal(resp, err)
		}
		closedWithin(t, c, 3*time.Second)
	})
	t.Run("client that never reads", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "GET /test/big HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		time.Sleep(time.Second) // write deadline passes while the client reads nothing
		b := closedWithin(t, c, 10*time.Second)
		if len(b) >= big {
			t.Fatalf("the whole %d-byte answer went through", len(b))
		}
	})
	t.Run("long work still answers", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/test/slow")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"done":"yes"`) {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
}

// TestServerDefaults: the production server has API-sized timeouts.
func TestServerDefaults(t *testing.T) {
	env := apitest.New(t)
	srv := env.App.API.HTTPServer()
	if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > 10*time.Second ||
		srv.ReadTimeout <= 0 || srv.ReadTimeout > time.Minute ||
		srv.IdleTimeout <= 0 || srv.IdleTimeout > 2*time.Minute || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("server settings %+v", srv)
	}
	if l := httpapi.DefaultLimits(); l.MaxConns <= 0 || l.HeavyWait <= 0 || l.WriteTimeout <= 0 || l.WriteTimeout > 5*time.Minute {
		t.Fatalf("default limits %+v", l)
	}
}

// TestConnectionCap: beyond MaxConns open connections a new one is not
// served until another closes.
func TestConnectionCap(t *testing.T) {
	env := apitest.NewWith(t, app.Config{HTTP: httpapi.Options{Limits: httpapi.Limits{MaxConns: 2}}})
	addr := serveTCP(t, env)
	get := func(c net.Conn) (*http.Response, error) {
		_ = c.SetDeadline(time.Now().Add(400 * time.Millisecond))
		fmt.Fprintf(c, "GET /health HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		return http.ReadResponse(bufio.NewReader(c), nil)
	}
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i := 0; i < 2; i++ {
		if resp, err := get(conns[i]); err != nil || resp.StatusCode != 200 {
			t.Fatalf("conn %d: %v %v", i, resp, err)
		}
	}
	if _, err := get(conns[2]); err == nil {
		t.Fatal("a third connection was served while two were open")
	}
	// Closing one lets the waiting connection in; its request is answered.
	conns[0].Close()
	_ = conns[2].SetDeadline(time.Now().Add(3 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(conns[2]), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after a close: %v %v", resp, err)
	}
}

// TestNetHTTPErrorsAnswerJSON: requests net/http refuses before any handler
// (a bad escape in the path, headers over the cap) get the JSON envelope.
func TestNetHTTPErrorsAnswerJSON(t *testing.T) {
	env := apitest.New(t)
	addr := serveTCP(t, env)
	for _, c := range []struct {
		name, req string
		status    int
	}{
		{"bad escape", "GET /models/%zz HTTP/1.1\r\nHost: " + addr + "\r\n\r\n", 400},
		{"bad escape in query", "GET /models?x=%zz%%% HTTP/1.1\r\nHost: " + addr + "\r\n\r\n", 400},
		{"header too large", "GET /health HTTP/1.1\r\nHost: " + addr + "\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n", 431},
		{"bad header", "GET /health HTTP/1.1\r\nHost: " + addr + "\r\nBad Header: x\r\n\r\n", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			go func() { _, _ = io.WriteString(conn, c.req) }()
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/json" ||
				!bytes.HasPrefix(b, []byte(`{"ok":false,"error":`)) || !bytes.Contains(b, []byte(`"code":"`)) {
				t.Fatalf("%d %v %q", resp.StatusCode, resp.Header, b)
			}
		})
	}
}
