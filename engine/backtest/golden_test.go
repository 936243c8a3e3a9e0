package backtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// calendarOOF is a fixed-seed OOF of 7 hourly rows a session with a
// random-walk close; horizon 1 gives next-hour labels (t1 = the next row's
// end), horizon 35 five-session labels (t1 = the close five sessions on).
func calendarOOF(t *testing.T, horizon int) *OOF {
	rng := rand.New(rand.NewPCG(42, uint64(horizon)))
	const n = 700
	o := &OOF{Classes: []string{"DOWN", "UP"}, Probs: [][]float64{make([]float64, n), make([]float64, n)}}
	px := 100.0
	for i := 0; i < n; i++ {
		day, h := i/7, i%7
		o.TS = append(o.TS, int64(day)*86_400_000+int64(14+h)*3_600_000) // 14:00 UTC = 9:00/10:00 ET
		o.Hour = append(o.Hour, int32(9+h))
		o.Close = append(o.Close, px)
		px *= 1 + 0.003*rng.NormFloat64()
		p := 0.35 + 0.3*rng.Float64()
		o.Probs[1][i], o.Probs[0][i] = p, 1-p
	}
	for i := 0; i < n; i++ {
		j := i + horizon
		if j >= n {
			o.Ret = append(o.Ret, math.NaN())
			o.T1 = append(o.T1, o.TS[i]+3_600_000)
			continue
		}
		o.Ret = append(o.Ret, o.Close[j]/o.Close[i]-1)
		o.T1 = append(o.T1, o.TS[j]+3_600_000)
	}
	for f := 0; f <= 4; f++ {
		o.FoldStart = append(o.FoldStart, f*n/4)
	}
	oo, err := NewOOF(o)
	if err != nil {
		t.Fatal(err)
	}
	return oo
}

// TestCalendarGolden pins the metrics of a next-hour and a multi-session
// label on the calendar (overlap and flat holding), reviewed by hand when
// they change (go test -update).
func TestCalendarGolden(t *testing.T) {
	out := map[string]Metrics{}
	for _, c := range []struct {
		name    string
		horizon int
		p       TradeParams
	}{
		{"next_hour", 1, TradeParams{Thresholds: []float64{0.55, 0.6}, SlippageBps: 1}},
		{"next_hour_2_hours", 1, TradeParams{Thresholds: []float64{0.55}, AllowedHours: []int{10, 14}, SlippageBps: 1}},
		{"five_sessions_overlap", 35, TradeParams{Thresholds: []float64{0.55, 0.6}, SlippageBps: 1}},
		{"five_sessions_flat", 35, TradeParams{Thresholds: []float64{0.55, 0.6}, SlippageBps: 1, Holding: HoldFlat}},
	} {
		res, err := Evaluate(calendarOOF(t, c.horizon), c.p)
		if err != nil {
			t.Fatal(err)
		}
		out[c.name] = res.Overall
	}
	got, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "calendar.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("metrics changed:\n%s\nwant\n%s", got, want)
	}
}

// TestNextHourKeepsPerRowNumbers: with one-period labels the calendar is the
// per-row bookkeeping it replaced: each eligible row is a period earning
// pos·ret − slip·|pos|, and every figure but the annualisation is unchanged.
func TestNextHourKeepsPerRowNumbers(t *testing.T) {
	o := calendarOOF(t, 1)
	for _, p := range []TradeParams{{Thresholds: []float64{0.55, 0.6}, SlippageBps: 2, KeepSeries: true},
		{Thresholds: []float64{0.5}, AllowedHours: []int{9, 12, 15}, SizeByConf: true, KeepSeries: true}} {
		res, err := Evaluate(o, p)
		if err != nil {
			t.Fatal(err)
		}
		pn, _ := p.Normalize()
		mask := pn.hourMask()
		var xs []float64
		var cum, eq, peak, dd, turn, prev, expo float64 = 0, 1, 1, 0, 0, 0, 0
		trades := 0
		for i := range res.Pos {
			if math.IsNaN(o.Ret[i]) || !mask[o.Hour[i]] || i == o.Len()-1 {
				continue
			}
			q := res.Pos[i]
			x := q*o.Ret[i] - pn.SlippageBps/1e4*math.Abs(q)
			xs = append(xs, x)
			cum += x
			eq *= 1 + x
			peak = math.Max(peak, eq)
			dd = math.Min(dd, eq/peak-1)
			turn += math.Abs(q - prev)
			prev = q
			expo += math.Abs(q)
			if q != 0 {
				trades++
			}
		}
		m := res.Overall
		near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*(1+math.Abs(a)) }
		if m.Rows != len(xs) || m.Trades != trades || !near(m.CumRet, cum) || !near(m.CompRet, eq-1) || !near(m.MaxDD, dd) ||
			!near(m.Turnover, turn/float64(len(xs))) || !near(m.Exposure, expo/float64(len(xs))) {
			t.Fatalf("%+v\nper-row: rows %d trades %d cum %v comp %v dd %v", m, len(xs), trades, cum, eq-1, dd)
		}
		if res.Holding.MaxConcurrent != 1 || res.Holding.CapitalPerSignal != 1 {
			t.Fatalf("holding %+v", res.Holding)
		}
	}
}
