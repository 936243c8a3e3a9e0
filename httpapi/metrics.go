package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/julienschmidt/httprouter"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"sigmalab/engine/jobs"
)

// routeUnmatched labels requests no route matched (404, 405, OPTIONS) so that
// arbitrary client paths never become label values.
const routeUnmatched = "unmatched"

// latencyBuckets span the fast reads (leaderboard pages in well under a
// millisecond) to synchronous heavy work bounded by the heavy wait and
// timeouts (tens of seconds).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

// jobDurationBuckets cover jobs from sub-second imports to hour-long sweeps.
var jobDurationBuckets = []float64{.1, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200}

// metrics holds the server's own Prometheus registry (never the global one, so
// two servers in one process, as in tests, do not collide).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sigmalab_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sigmalab_http_request_duration_seconds",
			Help:    "Time from the request reaching the API to its handler returning, by method and route pattern.",
			Buckets: latencyBuckets,
		}, []string{"method", "route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sigmalab_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.inflight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&labCollector{s: s},
	)
	return m
}

// routesMetrics registers GET /metrics.
func (s *Server) routesMetrics() {
	s.metrics = newMetrics(s)
	s.GET("/metrics", "Prometheus metrics in text format: HTTP requests by route pattern and status, latency histograms, "+
		"jobs by kind and status, job durations, job pool queue depth, database size, Go runtime and process", s.getMetrics)
}

func (s *Server) getMetrics(_ *http.Request, _ httprouter.Params) (any, error) {
	mfs, err := s.metrics.reg.Gather()
	if err != nil && len(mfs) == 0 {
		return nil, err
	}
	// A collector that failed (e.g. the job store) leaves the others readable;
	// Gather already logged nothing, so the error goes to our log.
	if err != nil {
		s.log.Warn("metrics gather", "err", err)
	}
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return nil, err
		}
	}
	return Raw{ContentType: string(format), Body: buf.Bytes()}, nil
}

// capturePattern records, at registration, which pattern serves method+path:
// the metrics middleware asks this router (a copy of the real one holding only
// patterns) before the request runs, so refusals ahead of routing (429 heavy
// slot, 413 body) are counted under their route too.
func (s *Server) capturePattern(method, path string) {
	if s.patterns == nil {
		s.patterns = httprouter.New()
	}
	s.patterns.Handle(method, path, func(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
		if mw, ok := w.(*metricsWriter); ok {
			mw.route = path
		}
	})
}

// routePattern is the registered route pattern that serves method and path
// ("" when none): the label of metrics and the route of audit rows.
func (s *Server) routePattern(method, path string) string {
	if s.patterns == nil {
		return ""
	}
	h, _, _ := s.patterns.Lookup(method, path)
	if h == nil {
		return ""
	}
	var mw metricsWriter
	h(&mw, nil, nil)
	return mw.route
}

// metricsWriter records the status written.
type metricsWriter struct {
	http.ResponseWriter
	status int
	route  string
}

func (w *metricsWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *metricsWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *metricsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// knownMethods bounds the method label: anything else is "OTHER".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// withMetrics counts every request by method, route pattern and status and
// observes its latency. Durations use the monotonic wall clock, not the
// injected one: they measure the process, not business time.
func (s *Server) withMetrics(next http.Handler) http.Handler {
	if s.metrics == nil {
		return next
	}
	m := s.metrics
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		mw := &metricsWriter{ResponseWriter: w}
		if mw.route = s.routePattern(r.Method, r.URL.Path); mw.route == "" {
			mw.route = routeUnmatched
		}
		method := r.Method
		if !knownMethods[method] {
			method = "OTHER"
		}
		m.inflight.Inc()
		defer func() {
			m.inflight.Dec()
			status := mw.status
			if status == 0 {
				status = http.StatusOK
				if rec := recover(); rec != nil {
					// Counted as the 500 the recovery middleware will write.
					m.requests.WithLabelValues(method, mw.route, "500").Inc()
					m.latency.WithLabelValues(method, mw.route).Observe(time.Since(start).Seconds())
					panic(rec)
				}
			}
			m.requests.WithLabelValues(method, mw.route, strconv.Itoa(status)).Inc()
			m.latency.WithLabelValues(method, mw.route).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(mw, r)
	})
}

// labCollector reads the job store, the job pools and the database file at
// scrape time, so the figures are those of the data dir (they survive
// restarts) rather than of this process's lifetime.
type labCollector struct{ s *Server }

var (
	descJobs = prometheus.NewDesc("sigmalab_jobs",
		"Stored jobs by kind and status.", []string{"kind", "status"}, nil)
	descJobDuration = prometheus.NewDesc("sigmalab_job_duration_seconds",
		"Run time (started to finished) of stored jobs that ran to an end, by kind and final status.", []string{"kind", "status"}, nil)
	descPoolDepth = prometheus.NewDesc("sigmalab_pool_queue_depth",
		"Work waiting for a slot of a job pool: queued jobs plus synchronous requests waiting (heavy: builds, training, backtests, sweeps).",
		[]string{"pool"}, nil)
	descPoolBusy = prometheus.NewDesc("sigmalab_pool_busy",
		"Slots of a job pool in use.", []string{"pool"}, nil)
	descPoolLimit = prometheus.NewDesc("sigmalab_pool_limit",
		"Slots of a job pool.", []string{"pool"}, nil)
	descDBSize = prometheus.NewDesc("sigmalab_db_size_bytes",
		"Size of the database file.", nil, nil)
	descBuild = prometheus.NewDesc("sigmalab_build_info",
		"Build version of the binary (always 1).", []string{"version"}, nil)
)

// Describe implements prometheus.Collector.
func (c *labCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descJobs, descJobDuration, descPoolDepth, descPoolBusy, descPoolLimit, descDBSize, descBuild} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *labCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	version := ""
	if s.Lab != nil {
		version = s.Lab.Version
	}
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, version)
	if s.opts.DBPath != "" {
		if fi, err := os.Stat(s.opts.DBPath); err == nil {
			ch <- prometheus.MustNewConstMetric(descDBSize, prometheus.GaugeValue, float64(fi.Size()))
		} else {
			ch <- prometheus.NewInvalidMetric(descDBSize, err)
		}
	}
	if s.Lab == nil || s.Lab.Jobs == nil {
		return
	}
	heavy, light := s.Lab.Jobs.Pools()
	for _, p := range []struct {
		name string
		st   jobs.PoolStats
	}{{"heavy", heavy}, {"light", light}} {
		ch <- prometheus.MustNewConstMetric(descPoolDepth, prometheus.GaugeValue, float64(p.st.Depth()), p.name)
		ch <- prometheus.MustNewConstMetric(descPoolBusy, prometheus.GaugeValue, float64(p.st.Busy), p.name)
		ch <- prometheus.MustNewConstMetric(descPoolLimit, prometheus.GaugeValue, float64(p.st.Limit), p.name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, _, err := s.Lab.Jobs.List(ctx, jobs.Filter{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descJobs, err)
		return
	}
	for _, m := range jobMetrics(list) {
		ch <- m
	}
}

type kindStatus struct{ kind, status string }

// jobMetrics counts jobs by kind and status and builds one duration histogram
// per kind and final status.
func jobMetrics(list []jobs.Job) []prometheus.Metric {
	counts := map[kindStatus]int{}
	type hist struct {
		n       uint64
		sum     float64
		buckets map[float64]uint64
	}
	hists := map[kindStatus]*hist{}
	for i := range list {
		j := &list[i]
		k := kindStatus{j.Kind, string(j.Status)}
		counts[k]++
		if !j.Status.Terminal() || j.StartedAt == nil || j.FinishedAt == nil {
			continue
		}
		d := j.FinishedAt.Sub(*j.StartedAt).Seconds()
		if d < 0 {
			continue
		}
		h := hists[k]
		if h == nil {
			h = &hist{buckets: make(map[float64]uint64, len(jobDurationBuckets))}
			hists[k] = h
		}
		h.n++
		h.sum += d
		for _, b := range jobDurationBuckets {
			if d <= b {
				h.buckets[b]++
			}
		}
	}
	keys := make([]kindStatus, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].kind != keys[b].kind {
			return keys[a].kind < keys[b].kind
		}
		return keys[a].status < keys[b].status
	})
	out := make([]prometheus.Metric, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(counts[k]), k.kind, k.status))
		if h := hists[k]; h != nil {
			out = append(out, prometheus.MustNewConstHistogram(descJobDuration, h.n, h.sum, h.buckets, k.kind, k.status))
		}
	}
	return out
}
