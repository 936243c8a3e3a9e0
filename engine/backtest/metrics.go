package backtest

import "math"

// Metrics summarise one PnL series (a fold, or all OOF rows). The series has one
// entry per eligible row (hour allowed, forward return known); rows without a
// position contribute 0, as in the predecessor's per-bar Sharpe.
type Metrics struct {
	Rows         int     `json:"rows"`          // bars in the series
	Trades       int     `json:"trades"`        // bars with a non-zero position
	CumRet       float64 `json:"cum_ret"`       // Σ pnl
	CompRet      float64 `json:"comp_ret"`      // Π(1 + pnl) − 1
	SharpeHourly float64 `json:"sharpe_hourly"` // mean/population std of pnl per bar (0 when std is 0)
	SharpeAnn    float64 `json:"sharpe_ann"`    // SharpeHourly·√(bars per year)
	Sortino      float64 `json:"sortino"`       // mean/√mean(min(pnl,0)²), annualised like SharpeAnn
	MaxDD        float64 `json:"max_dd"`        // worst peak-to-trough of the compounded equity, ≤ 0
	HitRate      float64 `json:"hit_rate"`      // winning trades / trades
	Turnover     float64 `json:"turnover"`      // Σ|pos_t − pos_{t−1}| / rows
	Exposure     float64 `json:"exposure"`      // Σ|pos| / rows
	AvgWin       float64 `json:"avg_win"`       // mean pnl of winning trades
	AvgLoss      float64 `json:"avg_loss"`      // mean pnl of losing trades (≤ 0)
}

// stat holds the additive parts of Metrics; threshold selection and the
// per-threshold table are computed from sums of these.
type stat struct {
	n, trades, wins   int
	sum, sumsq, down2 float64
	sumWin, sumLoss   float64
	absPos            float64
}

// addTrade adds one traded bar. Written without data-dependent branches: the
// sign of a PnL is a coin flip, and mispredictions dominated the sweep cost.
func (s *stat) addTrade(pos, pnl float64) {
	s.trades++
	s.sum += pnl
	s.sumsq += pnl * pnl
	lo := min(pnl, 0)
	s.down2 += lo * lo
	w := 0
	if pnl > 0 {
		w = 1
	}
	s.wins += w
	s.sumWin += max(pnl, 0)
	s.absPos += math.Abs(pos)
}

func (s *stat) merge(o *stat) {
	s.n += o.n
	s.trades += o.trades
	s.wins += o.wins
	s.sum += o.sum
	s.sumsq += o.sumsq
	s.down2 += o.down2
	s.sumWin += o.sumWin
	s.absPos += o.absPos
}

func (s *stat) sharpe() float64 {
	if s.n == 0 {
		return 0
	}
	n := float64(s.n)
	mean := s.sum / n
	v := s.sumsq/n - mean*mean
	if !(v > 1e-24) {
		return 0
	}
	return mean / math.Sqrt(v)
}

// score is the selection criterion value of s.
func (s *stat) score(by string) float64 {
	switch by {
	case SelectCumRet:
		return s.sum
	case SelectTrades:
		return float64(s.trades)
	}
	return s.sharpe()
}

// metrics fills the additive fields of Metrics; path fields stay zero.
func (s *stat) metrics(barsPerYear float64) Metrics {
	m := Metrics{Rows: s.n, Trades: s.trades, CumRet: s.sum, SharpeHourly: s.sharpe()}
	ann := math.Sqrt(barsPerYear)
	m.SharpeAnn = m.SharpeHourly * ann
	if s.n > 0 {
		n := float64(s.n)
		if dd := math.Sqrt(s.down2 / n); dd > 1e-12 {
			m.Sortino = s.sum / n / dd * ann
		}
		m.Exposure = s.absPos / n
	}
	if s.trades > 0 {
		m.HitRate = float64(s.wins) / float64(s.trades)
	}
	if s.wins > 0 {
		m.AvgWin = s.sumWin / float64(s.wins)
	}
	if l := s.trades - s.wins; l > 0 {
		m.AvgLoss = (s.sum - s.sumWin) / float64(l)
	}
	return m
}

// path accumulates a series in order: the additive stat plus the
// path-dependent compounded equity, drawdown and turnover.
type path struct {
	stat
	eq, peak, maxDD, prevPos, turn float64
}

func newPath() path { return path{eq: 1, peak: 1} }

func (p *path) add(pos, pnl float64) {
	p.n++
	if pos != 0 {
		p.addTrade(pos, pnl)
	}
	p.turn += math.Abs(pos - p.prevPos)
	p.prevPos = pos
	p.eq *= 1 + pnl
	p.peak = max(p.peak, p.eq)
	if p.eq < p.peak*(1+p.maxDD) { // divide only on a new worst drawdown
		p.maxDD = p.eq/p.peak - 1
	}
}

func (p *path) metrics(barsPerYear float64) Metrics {
	m := p.stat.metrics(barsPerYear)
	m.CompRet = p.eq - 1
	m.MaxDD = p.maxDD
	if p.n > 0 {
		m.Turnover = p.turn / float64(p.n)
	}
	return m
}
