package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestUserCommand drives `sigmalab user` on a temp data dir: add prints the
// token once, list shows the user, rotate/suspend/revoke change it.
func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	runOK := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append(args, "--data", dir), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	out := runOK("user", "add", "ann", "--role", "researcher")
	if !strings.Contains(out, "token: sl_") {
		t.Fatalf("add: %s", out)
	}
	tok := strings.Fields(out[strings.Index(out, "token: "):])[1]
	if out := runOK("user", "list"); !strings.Contains(out, "ann") || strings.Contains(out, tok) {
		t.Fatalf("list: %s", out)
	}
	if out := runOK("user", "rotate", "ann"); !strings.Contains(out, "token: sl_") || strings.Contains(out, tok) {
		t.Fatalf("rotate: %s", out)
	}
	if out := runOK("user", "suspend", "ann", "--json"); !strings.Contains(out, `"status": "suspended"`) {
		t.Fatalf("suspend: %s", out)
	}
	if out := runOK("user", "revoke", "ann"); !strings.Contains(out, "revoked 1 token") {
		t.Fatalf("revoke: %s", out)
	}
	var errb bytes.Buffer
	if code := run([]string{"user", "add", "Bad Id", "--role", "viewer", "--data", dir}, &bytes.Buffer{}, &errb); code != 2 {
		t.Fatalf("bad id: exit %d", code)
	}
	if code := run([]string{"user", "add", "bob", "--role", "boss", "--data", dir}, &bytes.Buffer{}, &errb); code != 1 ||
		!strings.Contains(errb.String(), "--role") {
		t.Fatalf("bad role: exit %d %s", code, errb.String())
	}
}

// TestServeAuthFlag: --auth takes open|required, a non-loopback listener
// without --auth=required is refused, and the environment sets the admin
// token and the rate limit.
func TestServeAuthFlag(t *testing.T) {
	if _, err := parseServe([]string{"--auth", "maybe"}, &bytes.Buffer{}); err == nil {
		t.Fatal("--auth maybe accepted")
	}
	f, err := parseServe([]string{"--auth", "open", "--addr", "0.0.0.0:0", "--data", t.TempDir()}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if err := serve(t.Context(), f, newLogger(&bytes.Buffer{}, "error")); err == nil || !strings.Contains(err.Error(), "--auth=required") {
		t.Fatalf("non-loopback open listener: %v", err)
	}
	t.Setenv("ADMIN_TOKEN", "abc")
	t.Setenv("RATELIMIT_ENABLED", "true")
	t.Setenv("RATELIMIT_PER_MIN", "7")
	f.auth = "required"
	if o := authOptions(f); !o.Required || o.AdminToken != "abc" || o.RateLimitPerMin != 7 {
		t.Fatalf("auth options: %+v", o)
	}
	t.Setenv("RATELIMIT_ENABLED", "")
	if o := authOptions(f); o.RateLimitPerMin != 0 {
		t.Fatalf("rate limit without RATELIMIT_ENABLED: %+v", o)
	}
}
