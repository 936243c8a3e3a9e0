package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"sigmalab/engine/jobs"
	"sigmalab/httpapi/apitest"
)

// scrape reads GET /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, env *apitest.Env) map[string]*dto.MetricFamily {
	t.Helper()
	resp, body := env.DoResponse("GET", "/metrics", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("content type %q", ct)
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "sigmalab_") {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	return mfs
}

// find returns the metric of family name whose labels include want.
func find(mfs map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// TestMetrics checks that requests show up by route pattern (never the raw
// path) and status, with latency, and that jobs, pools, the database and the
// runtime are reported.
func TestMetrics(t *testing.T) {
	env := apitest.New(t)
	jobs.Register(env.App.Lab.Jobs, "echo", jobs.Light, func(_ context.Context, _ *jobs.Task, _ struct{}) (any, error) {
		time.Sleep(5 * time.Millisecond)
		return map[string]int{"n": 1}, nil
	})
	j, err := env.App.Lab.Jobs.Submit(context.Background(), "echo", "tester", struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Lab.Jobs.Wait(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}

	for _, rq := range []struct {
		method, url string
		status      int
	}{
		{"GET", "/models", 200},
		{"GET", "/models", 200},
		{"GET", "/models/no_such_model", 404},
		{"GET", "/no/such/route", 404},
		{"DELETE", "/models", 405},
		{"POST", "/build_matrix", 422}, // no model_id
	} {
		if code, body := env.Do(rq.method, rq.url, nil); code != rq.status {
			t.Fatalf("%s %s: %d %s", rq.method, rq.url, code, body)
		}
	}

	mfs := scrape(t, env)
	for _, c := range []struct {
		labels map[string]string
		count  float64
	}{
		{map[string]string{"method": "GET", "route": "/models", "status": "200"}, 2},
		{map[string]string{"method": "GET", "route": "/models/:model_id", "status": "404"}, 1},
		{map[string]string{"method": "GET", "route": "unmatched", "status": "404"}, 1},
		{map[string]string{"method": "DELETE", "route": "unmatched", "status": "405"}, 1},
		{map[string]string{"method": "POST", "route": "/build_matrix", "status": "422"}, 1},
	} {
		m := find(mfs, "sigmalab_http_requests_total", c.labels)
		if m == nil {
			t.Errorf("no sigmalab_http_requests_total%v", c.labels)
			continue
		}
		if got := m.GetCounter().GetValue(); got != c.count {
			t.Errorf("sigmalab_http_requests_total%v = %v, want %v", c.labels, got, c.count)
		}
	}
	if find(mfs, "sigmalab_http_requests_total", map[string]string{"route": "/models/no_such_model"}) != nil {
		t.Error("a raw path became a route label")
	}
	h := find(mfs, "sigmalab_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/models"})
	if h == nil || h.GetHistogram().GetSampleCount() != 2 {
		t.Errorf("latency histogram of GET /models: %v", h)
	}
	if m := find(mfs, "sigmalab_jobs", map[string]string{"kind": "echo", "status": "completed"}); m == nil || m.GetGauge().GetValue() != 1 {
		t.Errorf("sigmalab_jobs{echo,completed}: %v", m)
	}
	if m := find(mfs, "sigmalab_job_duration_seconds", map[string]string{"kind": "echo", "status": "completed"}); m == nil || m.GetHistogram().GetSampleCount() != 1 {
		t.Errorf("sigmalab_job_duration_seconds{echo,completed}: %v", m)
	}
	if m := find(mfs, "sigmalab_pool_queue_depth", map[string]string{"pool": "heavy"}); m == nil || m.GetGauge().GetValue() != 0 {
		t.Errorf("sigmalab_pool_queue_depth{heavy}: %v", m)
	}
	if m := find(mfs, "sigmalab_db_size_bytes", nil); m == nil || m.GetGauge().GetValue() <= 0 {
		t.Errorf("sigmalab_db_size_bytes: %v", m)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "sigmalab_build_info"} {
		if mfs[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}
