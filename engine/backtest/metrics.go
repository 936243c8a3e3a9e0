package backtest

import (
	"math"

	"sigmalab/engine/stats"
)

// Metrics summarise one strategy's per-period return series (a fold, or all
// OOF rows). A period runs from one row's close to the next row's close; the
// series holds every period in which the strategy can hold a position (the
// holding windows of the rows it may trade), including the periods in which
// it is flat. Trade statistics (trades, hit rate, average win and loss) are
// per position: its label return times its size, net of costs.
type Metrics struct {
	Rows           int     `json:"rows"`             // periods in the series
	Trades         int     `json:"trades"`           // positions opened
	CumRet         float64 `json:"cum_ret"`          // Σ period returns
	CompRet        float64 `json:"comp_ret"`         // Π(1 + period return) − 1
	SharpeHourly   float64 `json:"sharpe_hourly"`    // mean/population std per period (0 when std is 0); the key keeps its old name
	SharpeAnn      float64 `json:"sharpe_ann"`       // SharpeHourly·√(periods per year)
	PeriodsPerYear float64 `json:"periods_per_year"` // 252 × the series' periods per session
	Sortino        float64 `json:"sortino"`          // mean/√mean(min(r,0)²), annualised like SharpeAnn
	MaxDD          float64 `json:"max_dd"`           // worst peak-to-trough of the compounded equity, ≤ 0
	HitRate        float64 `json:"hit_rate"`         // winning positions / positions
	Turnover       float64 `json:"turnover"`         // Σ|net exposure_t − net exposure_{t−1}| / periods
	Exposure       float64 `json:"exposure"`         // mean gross exposure per period (fraction of capital)
	AvgWin         float64 `json:"avg_win"`          // mean return of winning positions
	AvgLoss        float64 `json:"avg_loss"`         // mean return of losing positions (≤ 0)
	Skew           float64 `json:"skew"`             // of the period returns
	Kurtosis       float64 `json:"kurtosis"`         // non-excess (normal = 3)
	// PSR is the probabilistic Sharpe ratio: the probability that the true
	// per-period Sharpe is above 0 given the series' length, skew and
	// kurtosis (Bailey & López de Prado 2012). 0 when undefined (< 2 periods).
	PSR float64 `json:"psr"`
	// DSR is the deflated Sharpe ratio: PSR against the Sharpe expected of
	// the best of NTrials unskilled trials (Bailey & López de Prado 2014).
	// Set on a result's overall metrics by whoever knows the trials.
	DSR     *float64 `json:"dsr,omitempty"`
	NTrials int      `json:"n_trials,omitempty"`
}

// stat holds the per-row sums the threshold choice reads: for each threshold,
// the label returns of the rows it would have traded.
type stat struct {
	n, trades  int
	sum, sumsq float64
}

// addTrade adds one traded row.
func (s *stat) addTrade(pnl float64) {
	s.trades++
	s.sum += pnl
	s.sumsq += pnl * pnl
}

func (s *stat) merge(o *stat) {
	s.n += o.n
	s.trades += o.trades
	s.sum += o.sum
	s.sumsq += o.sumsq
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

// series accumulates a per-period return series in time order with its
// compounded equity, drawdown and turnover.
type series struct {
	n                          int
	sum, sumsq, sum3, sum4, dn float64
	eq, peak, dd               float64
	prevX, turn, gross         float64
}

func newSeries() series { return series{eq: 1, peak: 1} }

// add appends period return r with net exposure x and gross exposure g.
func (s *series) add(r, x, g float64) {
	s.n++
	r2 := r * r
	s.sum += r
	s.sumsq += r2
	s.sum3 += r2 * r
	s.sum4 += r2 * r2
	lo := min(r, 0)
	s.dn += lo * lo
	s.turn += math.Abs(x - s.prevX)
	s.prevX = x
	s.gross += g
	s.eq *= 1 + r
	s.peak = max(s.peak, s.eq)
	if s.eq < s.peak*(1+s.dd) { // divide only on a new worst drawdown
		s.dd = s.eq/s.peak - 1
	}
}

// seriesPath is the overall series: the folds' additive sums merged in, plus
// the compounded path and turnover that run across folds.
type seriesPath struct {
	series
}

// step moves the overall equity path by one period return.
func (s *seriesPath) step(r float64) {
	s.eq *= 1 + r
	s.peak = max(s.peak, s.eq)
	if s.eq < s.peak*(1+s.dd) {
		s.dd = s.eq/s.peak - 1
	}
}

// merge adds a fold's additive sums (its path fields are the fold's own).
func (s *seriesPath) merge(f *series) {
	s.n += f.n
	s.sum += f.sum
	s.sumsq += f.sumsq
	s.sum3 += f.sum3
	s.sum4 += f.sum4
	s.dn += f.dn
	s.gross += f.gross
	s.turn += f.turn
	if f.n > 0 {
		s.prevX = f.prevX
	}
}

// tradeStats accumulates per-position returns.
type tradeStats struct {
	n, wins     int
	sum, sumWin float64
}

func (t *tradeStats) add(pnl float64) {
	t.n++
	t.sum += pnl
	if pnl > 0 {
		t.wins++
		t.sumWin += pnl
	}
}

func (t *tradeStats) merge(o *tradeStats) {
	t.n += o.n
	t.wins += o.wins
	t.sum += o.sum
	t.sumWin += o.sumWin
}

// metrics turns a series and its positions into Metrics, annualised with
// periodsPerYear.
func (s *series) metrics(t *tradeStats, periodsPerYear float64) Metrics {
	m := Metrics{Rows: s.n, Trades: t.n, CumRet: s.sum, CompRet: s.eq - 1, MaxDD: s.dd,
		PeriodsPerYear: periodsPerYear, Kurtosis: 3}
	if s.n > 0 {
		n := float64(s.n)
		mean := s.sum / n
		v := s.sumsq/n - mean*mean
		if v > 1e-24 {
			sd := math.Sqrt(v)
			m.SharpeHourly = mean / sd
			// Central moments from the raw ones.
			m3 := s.sum3/n - 3*mean*s.sumsq/n + 2*mean*mean*mean
			m4 := s.sum4/n - 4*mean*s.sum3/n + 6*mean*mean*s.sumsq/n - 3*mean*mean*mean*mean
			m.Skew = m3 / (v * sd)
			m.Kurtosis = m4 / (v * v)
		}
		ann := math.Sqrt(periodsPerYear)
		m.SharpeAnn = m.SharpeHourly * ann
		if dd := math.Sqrt(s.dn / n); dd > 1e-12 {
			m.Sortino = mean / dd * ann
		}
		m.Exposure = s.gross / n
		m.Turnover = s.turn / n
	}
	if s.n >= 2 {
		m.PSR = stats.PSR(m.SharpeHourly, 0, s.n, m.Skew, m.Kurtosis)
		if math.IsNaN(m.PSR) {
			m.PSR = 0
		}
	}
	if t.n > 0 {
		m.HitRate = float64(t.wins) / float64(t.n)
	}
	if t.wins > 0 {
		m.AvgWin = t.sumWin / float64(t.wins)
	}
	if l := t.n - t.wins; l > 0 {
		m.AvgLoss = (t.sum - t.sumWin) / float64(l)
	}
	return m
}
