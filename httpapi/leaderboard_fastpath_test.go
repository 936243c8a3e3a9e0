package httpapi_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"sigmalab/engine"
	"sigmalab/httpapi/apitest"
)

// plainStore hides the store's append fast path, so the handler falls back to
// LeaderboardJSON and the generic envelope.
type plainStore struct{ engine.BacktestStore }

// TestLeaderboardFastPathSameBytes checks the pooled-buffer leaderboard path
// sends byte for byte what the generic path sends, with a Content-Length, and
// that reused buffers do not leak one page into the next.
func TestLeaderboardFastPathSameBytes(t *testing.T) {
	env := apitest.New(t)
	seedLeaderboardRuns(t, env, 120)
	h := env.App.Handler()
	urls := []string{
		"/leaderboard", "/leaderboard?model_id=model_7", "/leaderboard?order_by=cum_ret&offset=40",
		"/leaderboard?pack_id=zerosigma&tag=sweep&limit=5", "/leaderboard?model_id=model_7&pass_gate=false",
		"/leaderboard?offset=1000", "/leaderboard?model_id=nobody", "/leaderboard?limit=100&order_by=created_at",
		"/leaderboard?order_by=bogus",
	}
	get := func(u string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, apitest.Request(http.MethodGet, u, ""))
		return rec
	}
	fast := map[string][]byte{}
	for range 2 { // the second round runs on pooled buffers
		for _, u := range urls {
			rec := get(u)
			if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
				t.Fatalf("%s: Content-Length %q, body %d bytes", u, cl, rec.Body.Len())
			}
			if prev, ok := fast[u]; ok && !bytes.Equal(prev, rec.Body.Bytes()) {
				t.Fatalf("%s: body changed between identical requests", u)
			}
			fast[u] = bytes.Clone(rec.Body.Bytes())
		}
	}
	if !bytes.Contains(fast["/leaderboard"], []byte(`{"ok":true,"rows":[{`)) {
		t.Fatalf("no rows: %s", fast["/leaderboard"])
	}
	env.App.Lab.Backtests = plainStore{env.App.Lab.Backtests}
	for _, u := range urls {
		rec := get(u)
		if !bytes.Equal(fast[u], rec.Body.Bytes()) {
			t.Errorf("%s:\nfast  %s\nplain %s", u, fast[u], rec.Body.Bytes())
		}
	}
}
