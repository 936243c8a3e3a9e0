package backtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"sigmalab/engine/market"
	"sigmalab/engine/stats"
)

// randomOOF makes an OOF of n rows in f folds with hours 9..15 and classes in
// the given order.
func randomOOF(t testing.TB, seed uint64, n, folds int, classes []string) *OOF {
	rng := rand.New(rand.NewPCG(seed, 99))
	o := &OOF{Classes: classes, Probs: make([][]float64, len(classes))}
	for c := range o.Probs {
		o.Probs[c] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		o.TS = append(o.TS, int64(i)*3600_000)
		o.Hour = append(o.Hour, int32(9+i%7))
		r := rng.NormFloat64() * 0.002
		if rng.IntN(50) == 0 {
			r = math.NaN()
		}
		o.Ret = append(o.Ret, r)
		sum := 0.0
		for c := range classes {
			// Quantised probabilities create ties in confidence and between classes.
			v := float64(1+rng.IntN(20)) / 20
			o.Probs[c][i] = v
			sum += v
		}
		for c := range classes {
			o.Probs[c][i] /= sum
		}
	}
	o.Aux = map[string][]float64{"mom": make([]float64, n)}
	for i := range o.Aux["mom"] {
		o.Aux["mom"][i] = rng.NormFloat64()
		if rng.IntN(10) == 0 {
			o.Aux["mom"][i] = math.NaN()
		}
	}
	for f := 0; f <= folds; f++ {
		o.FoldStart = append(o.FoldStart, f*n/folds)
	}
	oo, err := NewOOF(o)
	if err != nil {
		t.Fatal(err)
	}
	return oo
}

// naive is a direct, slow transcription of the trading rules and the
// calendar used to check the bucketed Evaluator.
func naive(o *OOF, p TradeParams) (folds []Metrics, thr []float64, overall Metrics) {
	p, _ = p.Normalize()
	mask := p.hourMask()
	up, down := o.PUp, o.PDown
	slip := p.SlippageBps / 1e4
	n := o.Len()
	conf := func(i int) float64 { return math.Max(up[i], down[i]) }
	eligible := func(i int) bool {
		return !math.IsNaN(o.Ret[i]) && mask[o.Hour[i]] && (o.T1 == nil || o.T1[i] == 0 || o.T1[i] > o.TS[i]) && naiveExit(o, i) < n
	}
	posAt := func(i int, th float64) float64 {
		var d float64
		switch {
		case up[i] >= th && up[i] > down[i]:
			d = 1
		case down[i] >= th && down[i] > up[i]:
			d = -1
		}
		if p.MomentumGate {
			if m, ok := o.Aux[p.MomentumColumn]; ok {
				v := m[i]
				if math.IsNaN(v) {
					v = 0
				}
				if v < p.MomentumMin {
					d = 0
				}
			}
		}
		if p.SizeByConf {
			return d * math.Min(math.Max(0, 2*conf(i)-1), p.ConfCap)
		}
		return d
	}
	pnlOf := func(i int, pos float64) float64 { return pos*o.Ret[i] - slip*math.Abs(pos) }
	score := func(rows []int, th float64) float64 {
		var xs []float64
		tr := 0
		for _, i := range rows {
			pos := posAt(i, th)
			if pos != 0 {
				tr++
			}
			xs = append(xs, pnlOf(i, pos))
		}
		switch p.SelectBy {
		case SelectTrades:
			return float64(tr)
		case SelectCumRet:
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s
		}
		mean, v := 0.0, 0.0
		for _, x := range xs {
			mean += x / float64(len(xs))
		}
		for _, x := range xs {
			v += (x - mean) * (x - mean) / float64(len(xs))
		}
		if v > 1e-24 {
			return mean / math.Sqrt(v)
		}
		return 0
	}
	pick := func(rows []int) int {
		bi, bv := 0, math.Inf(-1)
		for t, th := range p.Thresholds {
			if v := score(rows, th); v > bv+1e-12 {
				bi, bv = t, v
			}
		}
		return bi
	}
	pos := make([]float64, n)
	for f := 0; f < o.Folds(); f++ {
		lo, hi := o.FoldStart[f], o.FoldStart[f+1]
		// Earlier rows whose label ended by this fold's first row.
		var earlier []int
		for i := 0; i < lo; i++ {
			if eligible(i) && (o.T1 == nil || o.T1[i] <= o.TS[lo]) {
				earlier = append(earlier, i)
			}
		}
		g := (len(p.Thresholds) - 1) / 2
		if p.TopPct > 0 {
			thr = append(thr, math.NaN())
		} else {
			if f > 0 && len(earlier) > 0 {
				g = pick(earlier)
			}
			thr = append(thr, p.Thresholds[g])
		}
		for i := lo; i < hi; i++ {
			if !eligible(i) {
				continue
			}
			if p.TopPct > 0 {
				m, above := 0, 0
				for k := 0; k < i; k++ {
					if eligible(k) {
						m++
						if conf(k) > conf(i) {
							above++
						}
					}
				}
				if m >= TopPctMinHistory(p.TopPct) && float64(above) < p.TopPct*float64(m+1)-1e-9 {
					pos[i] = posAt(i, 0)
				}
				continue
			}
			t := g
			if p.PerHourThresholds && f > 0 {
				var hr []int
				for _, j := range earlier {
					if o.Hour[j] == o.Hour[i] {
						hr = append(hr, j)
					}
				}
				if len(hr) > 0 {
					t = pick(hr)
				}
			}
			pos[i] = posAt(i, p.Thresholds[t])
		}
	}
	folds, overall = naiveBook(o, p, pos, eligible)
	return folds, thr, overall
}

// naiveEntry and naiveExit are a row's holding window [entry, exit) in periods.
func naiveEntry(o *OOF, i int) int {
	s := i
	if o.Entry != nil && o.Entry[i] > o.TS[i] {
		for k := i; k < o.Len() && o.TS[k] <= o.Entry[i]; k++ {
			s = k
		}
	}
	return s
}

func naiveExit(o *OOF, i int) int {
	s := naiveEntry(o, i)
	e := s + 1
	if o.T1 != nil && o.T1[i] > 0 {
		for k := 0; k < o.Len(); k++ {
			if o.TS[k] < o.T1[i] && k > e {
				e = k
			}
		}
	}
	return e
}

// naiveBook books positions period by period with every sum written out.
func naiveBook(o *OOF, p TradeParams, pos []float64, eligible func(int) bool) ([]Metrics, Metrics) {
	n := o.Len()
	slip := p.SlippageBps / 1e4
	mark := make([]float64, n)
	for j := 0; j+1 < n && o.Close != nil; j++ {
		if o.Close[j] > 0 && o.Close[j+1] > 0 {
			mark[j] = o.Close[j+1]/o.Close[j] - 1
		}
	}
	cover := make([]int, n)
	for i := 0; i < n; i++ {
		if eligible(i) {
			for j := naiveEntry(o, i); j < naiveExit(o, i); j++ {
				cover[j]++
			}
		}
	}
	maxOpen, periods := 0, 0
	days := map[string]bool{}
	for j := 0; j < n; j++ {
		maxOpen = max(maxOpen, cover[j])
		if cover[j] > 0 {
			periods++
			days[market.SessionDate(o.TS[j])] = true
		}
	}
	ppy := 252.0
	if len(days) > 0 {
		ppy = 252 * float64(periods) / float64(len(days))
	}
	w := 1.0
	if p.Holding != HoldFlat && maxOpen > 1 {
		w = 1 / float64(maxOpen)
	}
	// Flat mode: drop signals taken while a position is open.
	busy := 0
	for i := 0; i < n; i++ {
		if pos[i] != 0 && p.Holding == HoldFlat {
			if naiveEntry(o, i) < busy {
				pos[i] = 0
			} else {
				busy = naiveExit(o, i)
			}
		}
	}
	foldOf := func(j int) int {
		for f := 0; f < o.Folds(); f++ {
			if j < o.FoldStart[f+1] {
				return f
			}
		}
		return o.Folds() - 1
	}
	type acc struct {
		r, x, g []float64
		trades  []float64
	}
	per := make([]acc, o.Folds())
	var all acc
	for j := 0; j < n; j++ {
		if cover[j] == 0 {
			continue
		}
		var r, x, g float64
		for i := 0; i < n; i++ {
			if pos[i] == 0 {
				continue
			}
			s, e := naiveEntry(o, i), naiveExit(o, i)
			if j < s || j >= e {
				continue
			}
			if j < e-1 {
				r += w * pos[i] * mark[j]
			} else {
				gr := 1.0
				for k := s; k < e-1; k++ {
					gr *= 1 + mark[k]
				}
				r += w * pos[i] * ((1+o.Ret[i])/gr - 1)
			}
			if j == s {
				r -= w * slip * math.Abs(pos[i])
			}
			x += w * pos[i]
			g += w * math.Abs(pos[i])
		}
		f := foldOf(j)
		per[f].r, per[f].x, per[f].g = append(per[f].r, r), append(per[f].x, x), append(per[f].g, g)
		all.r, all.x, all.g = append(all.r, r), append(all.x, x), append(all.g, g)
	}
	for i := 0; i < n; i++ {
		if pos[i] != 0 {
			tr := pos[i]*o.Ret[i] - slip*math.Abs(pos[i])
			per[foldOf(i)].trades = append(per[foldOf(i)].trades, tr)
			all.trades = append(all.trades, tr)
		}
	}
	folds := make([]Metrics, o.Folds())
	for f := range folds {
		folds[f] = seriesMetrics(per[f].r, per[f].x, per[f].g, per[f].trades, ppy)
	}
	return folds, seriesMetrics(all.r, all.x, all.g, all.trades, ppy)
}

// seriesMetrics computes Metrics with two-pass formulas.
func seriesMetrics(pnl, net, gross, trades []float64, ppy float64) Metrics {
	m := Metrics{Rows: len(pnl), Trades: len(trades), PeriodsPerYear: ppy, Kurtosis: 3}
	var wins int
	var sw, sl float64
	for _, x := range trades {
		if x > 0 {
			wins++
			sw += x
		} else {
			sl += x
		}
	}
	if m.Trades > 0 {
		m.HitRate = float64(wins) / float64(m.Trades)
	}
	if wins > 0 {
		m.AvgWin = sw / float64(wins)
	}
	if m.Trades-wins > 0 {
		m.AvgLoss = sl / float64(m.Trades-wins)
	}
	if len(pnl) == 0 {
		return m
	}
	n := float64(len(pnl))
	eq, peak, prev := 1.0, 1.0, 0.0
	var down2, abs, turn float64
	for i, x := range pnl {
		m.CumRet += x
		if x < 0 {
			down2 += x * x
		}
		eq *= 1 + x
		peak = math.Max(peak, eq)
		m.MaxDD = math.Min(m.MaxDD, eq/peak-1)
		abs += gross[i]
		turn += math.Abs(net[i] - prev)
		prev = net[i]
	}
	mean := m.CumRet / n
	var v, m3, m4 float64
	for _, x := range pnl {
		d := x - mean
		v += d * d / n
		m3 += d * d * d / n
		m4 += d * d * d * d / n
	}
	if v > 1e-24 {
		sd := math.Sqrt(v)
		m.SharpeHourly = mean / sd
		m.Skew = m3 / (v * sd)
		m.Kurtosis = m4 / (v * v)
	}
	m.SharpeAnn = m.SharpeHourly * math.Sqrt(ppy)
	if dd := math.Sqrt(down2 / n); dd > 1e-12 {
		m.Sortino = mean / dd * math.Sqrt(ppy)
	}
	m.CompRet = eq - 1
	m.Exposure = abs / n
	m.Turnover = turn / n
	if len(pnl) >= 2 {
		m.PSR = stats.PSR(m.SharpeHourly, 0, len(pnl), m.Skew, m.Kurtosis)
	}
	return m
}

func closeM(a, b Metrics) bool {
	c := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*(1+math.Abs(x)+math.Abs(y)) }
	c6 := func(x, y float64) bool { return math.Abs(x-y) <= 1e-6*(1+math.Abs(x)+math.Abs(y)) }
	return a.Rows == b.Rows && a.Trades == b.Trades && c(a.CumRet, b.CumRet) && c(a.CompRet, b.CompRet) &&
		c(a.SharpeHourly, b.SharpeHourly) && c(a.SharpeAnn, b.SharpeAnn) && c(a.Sortino, b.Sortino) &&
		c(a.MaxDD, b.MaxDD) && c(a.HitRate, b.HitRate) && c(a.Turnover, b.Turnover) &&
		c(a.Exposure, b.Exposure) && c(a.AvgWin, b.AvgWin) && c(a.AvgLoss, b.AvgLoss) &&
		c(a.PeriodsPerYear, b.PeriodsPerYear) && c6(a.Skew, b.Skew) && c6(a.Kurtosis, b.Kurtosis) && c6(a.PSR, b.PSR)
}

// TestEvaluateMatchesNaive checks the fast evaluator against the direct
// transcription on random OOFs and random parameters.
func TestEvaluateMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 300; trial++ {
		classes := [][]string{{"DOWN", "FLAT", "UP"}, {"UP", "DOWN"}, {"FLAT", "UP", "DOWN"}}[trial%3]
		o := randomOOF(t, uint64(trial), 40+rng.IntN(300), 2+rng.IntN(4), classes)
		if trial%2 == 1 {
			// Multi-bar labels: some outcomes reach into later folds.
			// (own generator: the parameter draws stay those of every trial)
			lr := rand.New(rand.NewPCG(uint64(trial), 7))
			t1 := make([]int64, o.Len())
			for i := range t1 {
				t1[i] = o.TS[i] + int64(1+lr.IntN(60))*3600_000
			}
			var err error
			var cl []float64
			var entry []int64
			if trial%4 == 1 { // marked to market on a random-walk close
				px := 100.0
				for range t1 {
					cl = append(cl, px)
					px *= 1 + lr.NormFloat64()*0.003
				}
			}
			if trial%6 == 1 { // close_to_open-like: entries a few rows later
				for i := range t1 {
					entry = append(entry, o.TS[min(i+lr.IntN(4), len(t1)-1)])
				}
			}
			o, err = NewOOF(&OOF{Classes: o.Classes, Probs: o.Probs, Rows: o.Rows, TS: o.TS, T1: t1, Hour: o.Hour,
				Ret: o.Ret, FoldStart: o.FoldStart, Aux: o.Aux, Close: cl, Entry: entry})
			if err != nil {
				t.Fatal(err)
			}
		}
		p := TradeParams{SlippageBps: float64(rng.IntN(3)), SizeByConf: rng.IntN(2) == 0, ConfCap: 0.3 + 0.7*rng.Float64(),
			PerHourThresholds: rng.IntN(2) == 0, SelectBy: []string{"sharpe", "cum_ret", "trades"}[rng.IntN(3)]}
		for k := rng.IntN(5); k > 0; k-- {
			p.Thresholds = append(p.Thresholds, 0.3+0.05*float64(rng.IntN(8)))
		}
		if rng.IntN(3) == 0 {
			p.TopPct = []float64{0.05, 0.1, 0.25, 1}[rng.IntN(4)]
		}
		if trial%5 == 2 {
			p.Holding = HoldFlat
		}
		if rng.IntN(2) == 0 {
			p.AllowedHours = []int{9 + rng.IntN(7), 9 + rng.IntN(7), 13}
		}
		if rng.IntN(3) == 0 {
			p.MomentumGate, p.MomentumColumn, p.MomentumMin = true, "mom", rng.NormFloat64()*0.5
		}
		res, err := Evaluate(o, p)
		if err != nil {
			t.Fatal(err)
		}
		folds, thr, overall := naive(o, p)
		for f := range folds {
			got := res.ThresholdResults[f]
			if !closeM(got.Metrics, folds[f]) {
				t.Fatalf("trial %d fold %d params %+v:\n got %+v thr %v\nwant %+v thr %v", trial, f, p, got.Metrics, *got.Thr, folds[f], thr[f])
			}
			if p.TopPct == 0 && !p.PerHourThresholds && (got.Thr == nil || *got.Thr != thr[f]) {
				t.Fatalf("trial %d fold %d: thr %v want %v", trial, f, got.Thr, thr[f])
			}
			if p.TopPct > 0 && got.Thr != nil {
				t.Fatalf("top-pct fold reports a threshold")
			}
		}
		if !closeM(res.Overall, overall) {
			t.Fatalf("trial %d overall:\n got %+v\nwant %+v", trial, res.Overall, overall)
		}
	}
}

// TestClassesByName: the same probabilities under different class orders give
// identical trades — the predecessor's class-index bug (no trades ever) cannot recur.
func TestClassesByName(t *testing.T) {
	a := randomOOF(t, 1, 200, 4, []string{"DOWN", "FLAT", "UP"})
	// Same data with the class columns permuted.
	b := &OOF{Classes: []string{"UP", "DOWN", "FLAT"}, Probs: [][]float64{a.Probs[2], a.Probs[0], a.Probs[1]},
		TS: a.TS, Hour: a.Hour, Ret: a.Ret, FoldStart: a.FoldStart}
	b, err := NewOOF(b)
	if err != nil {
		t.Fatal(err)
	}
	p := TradeParams{Thresholds: []float64{0.3, 0.4}}
	ra, _ := Evaluate(a, p)
	rb, _ := Evaluate(b, p)
	if ra.Overall.Trades == 0 {
		t.Fatal("no trades: probabilities not read by class name")
	}
	if !closeM(ra.Overall, rb.Overall) {
		t.Fatalf("class order changed the result: %+v vs %+v", ra.Overall, rb.Overall)
	}
	if _, err := NewOOF(&OOF{Classes: []string{"0", "1"}, Probs: [][]float64{{}, {}}, FoldStart: []int{0, 0}}); err == nil {
		t.Fatal("classes without UP/DOWN must be rejected")
	}
}

func TestHandCase(t *testing.T) {
	// Two folds of four rows. Fold 0 uses the middle threshold 0.6.
	o := &OOF{
		Classes:   []string{"UP", "DOWN"},
		Probs:     [][]float64{{0.7, 0.3, 0.55, 0.62, 0.9, 0.2, 0.65, 0.5}, {0.3, 0.7, 0.45, 0.38, 0.1, 0.8, 0.35, 0.5}},
		TS:        []int64{1, 2, 3, 4, 5, 6, 7, 8},
		Hour:      []int32{10, 10, 11, 11, 10, 10, 11, 11},
		Ret:       []float64{0.01, -0.02, 0.005, -0.01, 0.02, 0.01, -0.01, 0.03},
		FoldStart: []int{0, 4, 8},
	}
	o, err := NewOOF(o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(o, TradeParams{Thresholds: []float64{0.5, 0.6, 0.7}, SlippageBps: 10})
	if err != nil {
		t.Fatal(err)
	}
	f0 := res.ThresholdResults[0]
	// thr 0.6: rows 0 (+1, +0.01), 1 (−1, +0.02), 3 (+1, −0.01) trade; row 2 (0.55) does not.
	if *f0.Thr != 0.6 || f0.Trades != 3 || math.Abs(f0.CumRet-(0.01+0.02-0.01-3*0.001)) > 1e-15 {
		t.Fatalf("fold 0 = %+v thr %v", f0, *f0.Thr)
	}
	if f0.HitRate != 2.0/3 {
		t.Fatalf("hit rate %v", f0.HitRate)
	}
	// Top-pct needs TopPctMinHistory earlier rows: with 8 rows nothing trades.
	tp, _ := Evaluate(o, TradeParams{TopPct: 0.25, SlippageBps: 1})
	if tp.Overall.Trades != 0 {
		t.Fatalf("top-pct traded without history: %+v", tp.Overall)
	}
}

// TestTopPctCausal: a row trades in top-pct mode when its confidence is in
// the top top_pct of the confidences before it (itself included), and the
// decision for a row never changes when every later row is deleted.
func TestTopPctCausal(t *testing.T) {
	o := randomOOF(t, 21, 600, 4, []string{"DOWN", "FLAT", "UP"})
	p := TradeParams{TopPct: 0.1, AllowedHours: []int{10, 11, 13, 14}, KeepSeries: true}
	full, err := Evaluate(o, p)
	if err != nil {
		t.Fatal(err)
	}
	if full.Overall.Trades < 20 {
		t.Fatalf("only %d trades", full.Overall.Trades)
	}
	// Hand check of one traded row: fewer than 10% of earlier candidates above it.
	mask := p.hourMask()
	for i, q := range full.Pos {
		if q == 0 {
			continue
		}
		m, above := 0, 0
		ci := math.Max(o.PUp[i], o.PDown[i])
		for k := 0; k < i; k++ {
			if !math.IsNaN(o.Ret[k]) && mask[o.Hour[k]] {
				m++
				if math.Max(o.PUp[k], o.PDown[k]) > ci {
					above++
				}
			}
		}
		if float64(above) >= 0.1*float64(m+1) || m < TopPctMinHistory(0.1) {
			t.Fatalf("row %d traded with %d of %d earlier rows above it", i, above, m)
		}
	}
	// Truncation: cut the OOF after row k (the rest of its fold and every
	// later fold deleted); positions up to k are unchanged.
	for _, k := range []int{150, 299, 451, 598} {
		cut := &OOF{Classes: o.Classes, TS: o.TS[:k+1], Hour: o.Hour[:k+1], Ret: o.Ret[:k+1],
			Probs: make([][]float64, len(o.Classes))}
		for c := range o.Probs {
			cut.Probs[c] = o.Probs[c][:k+1]
		}
		for _, s := range o.FoldStart {
			if s <= k {
				cut.FoldStart = append(cut.FoldStart, s)
			}
		}
		cut.FoldStart = append(cut.FoldStart, k+1)
		co, err := NewOOF(cut)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Evaluate(co, p)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i <= k; i++ {
			if r.Pos[i] != full.Pos[i] {
				t.Fatalf("cut at %d: row %d position %v, with the later rows %v", k, i, r.Pos[i], full.Pos[i])
			}
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	bad := []TradeParams{
		{Thresholds: []float64{1.5}}, {TopPct: -0.1}, {AllowedHours: []int{25}}, {SlippageBps: math.NaN()},
		{SelectBy: "sortino"}, {ConfCap: 2},
	}
	for _, p := range bad {
		if _, err := p.Normalize(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

func TestEvaluatorReuseAllocs(t *testing.T) {
	o := randomOOF(t, 5, 5000, 5, []string{"DOWN", "FLAT", "UP"})
	ev := NewEvaluator(o)
	p := TradeParams{Thresholds: []float64{0.34, 0.36, 0.38}, AllowedHours: []int{13, 14}}
	first, _ := ev.Evaluate(p)
	allocs := testing.AllocsPerRun(20, func() { _, _ = ev.Evaluate(p) })
	if allocs > 20 {
		t.Errorf("%.0f allocations per evaluation, want a handful independent of rows", allocs)
	}
	again, _ := ev.Evaluate(p)
	if !closeM(first.Overall, again.Overall) {
		t.Fatal("reusing the evaluator changed the result")
	}
}

// TestMomentumValues: an explicit gate column equals the same column in Aux,
// and a missing column leaves the gate off with a warning.
func TestMomentumValues(t *testing.T) {
	o := randomOOF(t, 12, 400, 4, []string{"DOWN", "FLAT", "UP"})
	p := TradeParams{Thresholds: []float64{0.35}, MomentumGate: true, MomentumColumn: "mom", MomentumMin: 0.2}
	viaAux, _ := Evaluate(o, p)
	p.MomentumColumn, p.MomentumValues = "other", o.Aux["mom"]
	viaValues, _ := Evaluate(o, p)
	if !closeM(viaAux.Overall, viaValues.Overall) || viaAux.Overall.Trades == 0 {
		t.Fatalf("%+v vs %+v", viaAux.Overall, viaValues.Overall)
	}
	p.MomentumValues = nil
	off, _ := Evaluate(o, p)
	ungated, _ := Evaluate(o, TradeParams{Thresholds: []float64{0.35}})
	if len(off.Warnings) != 1 || !closeM(off.Overall, ungated.Overall) {
		t.Fatalf("missing column: %v %+v", off.Warnings, off.Overall)
	}
}

// TestPBOBlocksMatchSeries: the block sums an evaluation accumulates equal
// the blocks of its per-period PnL.
func TestPBOBlocksMatchSeries(t *testing.T) {
	o := randomOOF(t, 8, 997, 4, []string{"DOWN", "FLAT", "UP"})
	for _, p := range []TradeParams{{Thresholds: []float64{0.35}}, {TopPct: 0.2, AllowedHours: []int{10, 12}}} {
		p.KeepSeries, p.PBOBlocks = true, 16
		res, err := Evaluate(o, p)
		if err != nil {
			t.Fatal(err)
		}
		want := stats.NewBlockSums(res.PnL, 16)
		for k := range want.Sum {
			if math.Abs(res.Blocks.Sum[k]-want.Sum[k]) > 1e-12 || math.Abs(res.Blocks.Sq[k]-want.Sq[k]) > 1e-12 ||
				res.Blocks.Count[k] != want.Count[k] {
				t.Fatalf("block %d: %v/%v vs %v/%v", k, res.Blocks.Sum[k], res.Blocks.Sq[k], want.Sum[k], want.Sq[k])
			}
		}
	}
}
