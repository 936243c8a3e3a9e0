package indicators

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchFrame is n hourly-ish bars of a fixed-seed random walk.
func benchFrame(n int) *Frame {
	r := rand.New(rand.NewPCG(42, 42))
	f := &Frame{Ticker: "SPY", BarMs: 3600000, TS: make([]int64, n), Open: make([]float64, n), High: make([]float64, n),
		Low: make([]float64, n), Close: make([]float64, n), Volume: make([]float64, n), VWAP: make([]float64, n)}
	p := 100.0
	t0 := time.Date(2000, 1, 3, 9, 0, 0, 0, time.UTC).UnixMilli()
	for i := 0; i < n; i++ {
		o := p
		p *= math.Exp(0.002 * r.NormFloat64())
		f.TS[i] = t0 + int64(i)*3600000
		f.Open[i] = o
		f.Close[i] = p
		f.High[i] = math.Max(o, p) * (1 + 0.001*r.Float64())
		f.Low[i] = math.Min(o, p) * (1 - 0.001*r.Float64())
		f.Volume[i] = math.Round(1000 + 9000*r.Float64())
		f.VWAP[i] = (f.High[i] + f.Low[i] + p) / 3
	}
	return f
}

// frameOnly lists the indicators computed from the frame alone (the SPEC's
// "OHLCV indicators"): needs = [ohlcv], plus close_vs_vwap and
// momentum_score_total, which run frame-only in their default configuration.
func frameOnly() []string {
	var out []string
	for _, m := range List() {
		if len(m.Needs) == 1 && m.Needs[0] == NeedOHLCV || m.Name == "close_vs_vwap" || m.Name == "momentum_score_total" {
			out = append(out, m.Name)
		}
	}
	return out
}

// common12 are the indicators the pandas reference computes.
var common12 = []struct {
	name   string
	params map[string]any
}{
	{"rsi", nil}, {"macd", nil}, {"atr", nil}, {"bollinger_bands", nil}, {"obv", nil}, {"sma", nil},
	{"ema", nil}, {"stochastic", nil}, {"williams_r", nil}, {"volatility", nil}, {"sma", map[string]any{"window": 50}}, {"ema", map[string]any{"window": 50}},
}

// BenchmarkAllOHLCV1M computes every frame-only indicator over 1M bars.
// Run single core: go test -run '^$' -bench AllOHLCV -cpu 1 -benchtime 3x ./engine/indicators/
func BenchmarkAllOHLCV1M(b *testing.B) {
	f := benchFrame(1_000_000)
	names := frameOnly()
	ctx := context.Background()
	specs := make([]Spec, len(names))
	for i, n := range names {
		s, err := Resolve(n, nil)
		if err != nil {
			b.Fatal(err)
		}
		specs[i] = s
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for it := 0; it < b.N; it++ {
		for _, s := range specs {
			if _, err := s.Compute(ctx, f, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	// CPU seconds next to wall seconds: on a shared machine the wall clock
	// also counts time spent waiting for a core.
	b.ReportMetric(float64(len(names)), "indicators")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall_s/all")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu_s/all")
}

// BenchmarkAllOHLCVBatch1M computes the same indicators as one batch
// (ComputeAll, the path of Set.Compute in a matrix build), where the ET day
// split and the true range are computed once and shared.
func BenchmarkAllOHLCVBatch1M(b *testing.B) {
	f := benchFrame(1_000_000)
	names := frameOnly()
	specs := make([]Spec, len(names))
	for i, n := range names {
		s, err := Resolve(n, nil)
		if err != nil {
			b.Fatal(err)
		}
		specs[i] = s
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for it := 0; it < b.N; it++ {
		if _, err := ComputeAll(context.Background(), specs, f, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(names)), "indicators")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall_s/all")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu_s/all")
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCommon12 is the 12 indicators of the pandas comparison; when
// python3 with pandas is installed it also times pandas on the same series
// in the same run and reports the ratio.
func BenchmarkCommon12(b *testing.B) {
	f := benchFrame(1_000_000)
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cpuTime()
	for it := 0; it < b.N; it++ {
		for _, c := range common12 {
			if _, err := Compute(ctx, c.name, c.params, f, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	oursCPU := (cpuTime() - cpu0).Seconds() / float64(b.N)
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall_s/12")
	b.ReportMetric(oursCPU, "cpu_s/12")
	if pdWall, pdCPU, ok := pandasSeconds(b, f); ok {
		b.ReportMetric(pdWall, "pandas_wall_s/12")
		b.ReportMetric(pdCPU, "pandas_cpu_s/12")
		b.ReportMetric(pdCPU/oursCPU, "cpu_speedup")
	}
}

const pandasScript = `
import sys, time, numpy as np, pandas as pd
d = np.fromfile(sys.argv[1], dtype='<f8').reshape(5, -1)
df = pd.DataFrame({'open': d[0], 'high': d[1], 'low': d[2], 'close': d[3], 'volume': d[4]})
def run(df):
    c, h, l, v = df.close, df.high, df.low, df.volume
    out = {}
    dl = c.diff(); g = dl.clip(lower=0); ls = -dl.clip(upper=0)
    out['rsi'] = 100 - 100/(1 + g.ewm(alpha=1/14, adjust=False).mean()/(ls.ewm(alpha=1/14, adjust=False).mean()+1e-12))
    m = c.ewm(span=12, adjust=False).mean() - c.ewm(span=26, adjust=False).mean()
    out['macd'] = m; out['sig'] = m.ewm(span=9, adjust=False).mean()
    tr = pd.concat([h-l, (h-c.shift()).abs(), (l-c.shift()).abs()], axis=1).max(axis=1)
    out['atr'] = tr.ewm(alpha=1/14, adjust=False).mean()
    mid = c.rolling(20).mean(); sd = c.rolling(20).std(); out['bu'] = mid+2*sd; out['bl'] = mid-2*sd
    out['obv'] = (np.sign(c.diff()).fillna(0)*v).cumsum()
    out['sma'] = c.rolling(20, min_periods=10).mean(); out['ema'] = c.ewm(span=10, adjust=False).mean()
    hh = h.rolling(14).max(); ll = l.rolling(14).min()
    k = 100*(c-ll)/(hh-ll+1e-12); out['k'] = k; out['d'] = k.rolling(3).mean()
    out['wr'] = -100*(hh-c)/(hh-ll+1e-12)
    out['vol'] = c.pct_change().rolling(3).std()
    out['sma50'] = c.rolling(50, min_periods=25).mean(); out['ema50'] = c.ewm(span=50, adjust=False).mean()
    return out
run(df.iloc[:1000])
best, bestc = 1e9, 1e9
for _ in range(3):
    t, c = time.perf_counter(), time.process_time(); run(df)
    best, bestc = min(best, time.perf_counter()-t), min(bestc, time.process_time()-c)
print(best, bestc)
`

// pandasSeconds times the pandas equivalent (best of 3) on the same bars and
// returns its wall and CPU seconds.
func pandasSeconds(b *testing.B, f *Frame) (wall, cpu float64, ok bool) {
	py := ""
	for _, cand := range []string{"python3", "/usr/bin/python3"} { // a version manager's python may lack pandas
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import pandas").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		return 0, 0, false
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "bars.f64")
	buf := make([]byte, 0, 5*8*f.Len())
	for _, col := range [][]float64{f.Open, f.High, f.Low, f.Close, f.Volume} {
		for _, v := range col {
			u := math.Float64bits(v)
			buf = append(buf, byte(u), byte(u>>8), byte(u>>16), byte(u>>24), byte(u>>32), byte(u>>40), byte(u>>48), byte(u>>56))
		}
	}
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		return 0, 0, false
	}
	cmd := exec.Command(py, "-c", pandasScript, path)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1")
	out, err := cmd.Output()
	if err != nil {
		b.Logf("pandas run failed: %v", err)
		return 0, 0, false
	}
	fs := strings.Fields(string(out))
	if len(fs) != 2 {
		return 0, 0, false
	}
	w, err1 := strconv.ParseFloat(fs[0], 64)
	c, err2 := strconv.ParseFloat(fs[1], 64)
	return w, c, err1 == nil && err2 == nil
}

// BenchmarkEachOHLCV times every frame-only indicator alone over 1M bars
// (sub-benchmark per indicator) to show where the total goes.
func BenchmarkEachOHLCV(b *testing.B) {
	f := benchFrame(1_000_000)
	ctx := context.Background()
	for _, name := range frameOnly() {
		b.Run(name, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				if _, err := Compute(ctx, name, nil, f, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
