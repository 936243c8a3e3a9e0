package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMetricsMiddleware measures the per-request cost of counting a
// request by route pattern and status and observing its latency, around a
// handler that writes nothing (the route is a pattern with a parameter).
func BenchmarkMetricsMiddleware(b *testing.B) {
	s := New(nil, Options{Log: newDiscard()})
	h := s.withMetrics(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	req := httptest.NewRequest(http.MethodGet, "/backtests/run_42", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
