package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkAccessLog measures the per-request cost of the request id and
// access log middleware with a real text log (to io.Discard), around a
// handler that writes nothing.
func BenchmarkAccessLog(b *testing.B) {
	s := New(nil, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := s.withRequestID(s.withAccessLog(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	req := httptest.NewRequest(http.MethodGet, "/leaderboard?limit=50", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
