package market

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"sigmalab/engine/options"
)

// Demo market defaults: a fixed calendar range so results never depend on today's date.
const (
	DemoStart       = "2023-01-03"
	DemoEnd         = "2024-12-31"
	DemoOptionsFrom = "2024-10-01" // option minute bars and intraday chains from here to DemoEnd
	DemoSeed        = 42
)

// DemoTicker parameterises one synthetic underlying.
type DemoTicker struct {
	Ticker     string
	Price0     float64 // price before the first session
	Drift      float64 // annual log drift
	Vol        float64 // long-run annual volatility
	Beta       float64 // loading on the first (index) ticker's shocks; 0 for the index
	BaseVolume float64 // mean regular-hours shares per minute
	StrikeStep float64 // chain strike spacing
	Daily0DTE  bool    // lists an expiry every session (index ETF) besides Friday weeklies
}

// DemoConfig describes a demo market. The first ticker is the index: its minute shocks
// drive the others through Beta, and it gets the 0DTE option minute bars.
type DemoConfig struct {
	Seed        uint64
	Start, End  string // session dates, inclusive
	OptionsFrom string // first session with option minute bars and intraday chain snapshots
	Tickers     []DemoTicker
	Strikes     int     // strikes each side of the anchor (default 15)
	Rate        float64 // risk-free rate for option pricing (default 0.045)
}

// DefaultDemoConfig is the market `serve` seeds: SPY (index ETF with daily 0DTE options),
// AAPL and MSFT (weekly options), 2023-01-03 … 2024-12-31, options from 2024-10-01.
func DefaultDemoConfig(seed uint64) DemoConfig {
	return DemoConfig{
		Seed: seed, Start: DemoStart, End: DemoEnd, OptionsFrom: DemoOptionsFrom, Strikes: 15, Rate: 0.045,
		Tickers: []DemoTicker{
			{Ticker: "SPY", Price0: 382, Drift: 0.12, Vol: 0.15, BaseVolume: 60_000, StrikeStep: 1, Daily0DTE: true},
			{Ticker: "AAPL", Price0: 125, Drift: 0.15, Vol: 0.26, Beta: 1.1, BaseVolume: 120_000, StrikeStep: 2.5},
			{Ticker: "MSFT", Price0: 240, Drift: 0.15, Vol: 0.25, Beta: 1.0, BaseVolume: 55_000, StrikeStep: 5},
		},
	}
}

// DemoSummary reports what a seeding wrote.
type DemoSummary struct {
	Tickers     []string `json:"tickers"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	OptionsFrom string   `json:"options_from"`
	Rows        int64    `json:"rows"`
	Elapsed     string   `json:"elapsed"`
}

// Demo market model (per underlying):
//   - minutes from 04:00 to 20:00 ET (17:00 on half days); regular-hours minutes are stored
//     as 1m bars, every minute (extended hours included) feeds the 1h bars as Polygon's
//     hourly aggregates do; 1d bars are regular hours, stamped at ET midnight;
//   - daily volatility regime: log-AR(1) around the long-run vol; intraday log-AR(1)
//     stochastic vol on top; U-shaped intraday seasonality of volatility and volume;
//   - overnight gap at 04:00 plus a smaller jump at the 09:30 open;
//   - stocks load on the index's minute shocks with correlation Beta·σ_index/σ_stock.
const (
	extStartMin  = 4 * 60 // minutes after ET midnight of the first extended-hours minute
	rthOffset    = 330    // 09:30 − 04:00
	minutesYear  = 252 * 390
	msPerMinute  = 60_000
	regimePhi    = 0.92
	regimeEta    = 0.22
	intradayPhi  = 0.97
	intradayEta  = 0.05
	extVolFactor = 0.3
)

// demoPath is one underlying's generated history.
type demoPath struct {
	tk       DemoTicker
	min1     *Bars     // regular-hours minutes
	hour     *Bars     // clock hours 04..19 ET
	day      *Bars     // regular-hours daily bars
	dayVol   []float64 // annualised regime vol per session
	rthStart []int     // index into min1 of each session's first minute
	shocks   []float64 // standardised minute shocks (index only; consumed by stocks)
	sessOff  []int     // offset of each session in shocks
}

func tickerStream(seed uint64, parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

func round2(x float64) float64 { return math.Round(x*100)/100 + 0 } // +0 turns -0 into 0
func round4(x float64) float64 { return math.Round(x*1e4)/1e4 + 0 }

// volShape is the intraday volatility multiplier at regular-hours minute u of n.
func volShape(u, n int) float64 {
	return 0.72 + 1.1*math.Exp(-float64(u)/25) + 0.45*math.Exp(-float64(n-1-u)/30)
}

// volumeShape is the intraday volume multiplier (a deeper U than volatility).
func volumeShape(u, n int) float64 {
	return 0.55 + 2.6*math.Exp(-float64(u)/22) + 2.2*math.Exp(-float64(n-1-u)/28)
}

func genPath(cfg DemoConfig, tk DemoTicker, sess []Session, index *demoPath) *demoPath {
	rng := tickerStream(cfg.Seed, "path", tk.Ticker)
	n := len(sess)
	p := &demoPath{tk: tk, min1: NewBars(tk.Ticker, TF1m, SourceDemo, n*390), hour: NewBars(tk.Ticker, TF1h, SourceDemo, n*16),
		day: NewBars(tk.Ticker, TF1d, SourceDemo, n), dayVol: make([]float64, n), rthStart: make([]int, n)}
	if index == nil {
		p.shocks = make([]float64, 0, n*960)
		p.sessOff = make([]int, n)
	}
	rho := 0.0
	if index != nil && tk.Beta != 0 {
		rho = math.Min(0.85, tk.Beta*index.tk.Vol/tk.Vol)
	}
	idio := math.Sqrt(1 - rho*rho)
	price := tk.Price0
	regime := 0.0
	meanAdj := regimeEta * regimeEta / (2 * (1 - regimePhi*regimePhi))
	y := 0.0
	// Drift is applied once per session (with the overnight gap), so extended-hours
	// minutes do not inflate it.
	muDay := (tk.Drift - 0.5*tk.Vol*tk.Vol) / 252
	for si, s := range sess {
		regime = regimePhi*regime + regimeEta*rng.NormFloat64()
		sd := tk.Vol * math.Exp(regime-meanAdj)
		p.dayVol[si] = sd
		rthLen := int((s.Close - s.Open) / msPerMinute)
		nExt := 960
		if s.HalfDay {
			nExt = 780
		}
		t0 := s.Open - rthOffset*msPerMinute
		if index == nil {
			p.sessOff[si] = len(p.shocks)
		}
		p.rthStart[si] = p.min1.Len()
		// Overnight gap lands on the first pre-market minute.
		price *= math.Exp(muDay + 0.3*sd/math.Sqrt(252)*rng.NormFloat64())
		hourIdx := -1
		var dO, dH, dL, dC, dV, dPV float64
		for m := 0; m < nExt; m++ {
			u := m - rthOffset
			rth := u >= 0 && u < rthLen
			shape := extVolFactor
			if rth {
				shape = volShape(u, rthLen)
			}
			y = intradayPhi*y + intradayEta*rng.NormFloat64()
			sig := sd / math.Sqrt(minutesYear) * shape * math.Exp(y)
			z := rng.NormFloat64()
			if index == nil {
				p.shocks = append(p.shocks, z)
			} else {
				zi := index.shocks[index.sessOff[si]+m]
				z = rho*zi + idio*z
			}
			if u == 0 {
				z += 2.5 * rng.NormFloat64() // opening auction jump
			}
			open := price
			price *= math.Exp(sig * z)
			o, c := round2(open), round2(price)
			h := round2(math.Max(open, price) * math.Exp(0.6*sig*math.Abs(rng.NormFloat64())))
			l := round2(math.Min(open, price) * math.Exp(-0.6*sig*math.Abs(rng.NormFloat64())))
			h, l = math.Max(h, math.Max(o, c)), math.Min(l, math.Min(o, c))
			var vol float64
			if rth {
				vol = math.Max(1, math.Round(tk.BaseVolume*volumeShape(u, rthLen)/1.25*math.Pow(sd/tk.Vol, 0.8)*math.Exp(0.35*rng.NormFloat64()-0.06)))
			} else {
				vol = math.Max(1, math.Round(tk.BaseVolume*0.02*math.Exp(0.5*rng.NormFloat64())))
			}
			vwap := round4((h + l + c) / 3)
			ts := t0 + int64(m)*msPerMinute
			if rth {
				p.min1.Append(ts, o, h, l, c, vol, vwap)
				if u == 0 {
					dO, dH, dL = o, h, l
				}
				dH, dL, dC = math.Max(dH, h), math.Min(dL, l), c
				dV += vol
				dPV += vol * vwap
			}
			if hb := m / 60; hb != hourIdx {
				hourIdx = hb
				p.hour.Append(t0+int64(hb)*3_600_000, o, h, l, c, vol, vol*vwap)
			} else {
				k := p.hour.Len() - 1
				p.hour.High[k] = math.Max(p.hour.High[k], h)
				p.hour.Low[k] = math.Min(p.hour.Low[k], l)
				p.hour.Close[k] = c
				p.hour.Volume[k] += vol
				p.hour.VWAP[k] += vol * vwap // price×volume until the session is done
			}
		}
		for k := p.hour.Len() - (nExt+59)/60; k < p.hour.Len(); k++ {
			p.hour.VWAP[k] = round4(p.hour.VWAP[k] / p.hour.Volume[k])
		}
		mid, _ := ETMillis(s.Date, 0, 0)
		p.day.Append(mid, dO, dH, dL, dC, dV, round4(dPV/dV))
	}
	return p
}

// demoIV is the implied vol of a strike: an ATM level carrying a variance premium over
// the day's regime vol that decays toward the long-run vol with maturity, and a skewed
// smile in units of the ATM standard deviation.
func demoIV(tk DemoTicker, dayVol, s, k, t float64) float64 {
	short := dayVol * 1.12
	atm := math.Sqrt(tk.Vol*tk.Vol + (short*short-tk.Vol*tk.Vol)*math.Exp(-t/0.08))
	x := math.Log(k/s) / (atm * math.Sqrt(math.Max(t, 1.0/252)))
	iv := atm * (1 - 0.09*x + 0.035*x*x)
	return math.Min(math.Max(iv, 0.5*atm), 4*atm)
}

// hashUnit maps parts to a deterministic uniform in [0,1).
func hashUnit(seed uint64, parts ...string) float64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return float64(h.Sum64()>>11) / (1 << 53)
}

// weeklyExpiry is the Friday of the week of d (the Thursday, or earlier, when Friday is a holiday).
func weeklyExpiry(d time.Time) string {
	f := d.AddDate(0, 0, (int(time.Friday)-int(d.Weekday())+7)%7)
	for !isTradingDay(f) {
		f = f.AddDate(0, 0, -1)
	}
	return f.Format(DateLayout)
}

// chainExpiries lists the expiries quoted at a snapshot on date: the same day (when the
// session is still open and the ticker lists dailies), the next session (dailies), the
// next two Friday weeklies, and the first monthly at least 30 days out, so term-structure
// analytics (iv_term_slope's days_fwd=30) have a far expiry as real chains do.
func chainExpiries(tk DemoTicker, date string, open bool) []string {
	var out []string
	add := func(e string) {
		for _, x := range out {
			if x == e {
				return
			}
		}
		out = append(out, e)
	}
	if tk.Daily0DTE {
		if open {
			add(date)
		}
		if nx, err := NextSession(date); err == nil {
			add(nx)
		}
	}
	t, _ := ParseDate(date)
	w := weeklyExpiry(t)
	if w == date && !(open && tk.Daily0DTE) {
		w = weeklyExpiry(t.AddDate(0, 0, 1))
	} else if w < date {
		w = weeklyExpiry(t.AddDate(0, 0, 7))
	}
	add(w)
	t2, _ := ParseDate(w)
	add(weeklyExpiry(t2.AddDate(0, 0, 3)))
	add(monthlyExpiry(t.AddDate(0, 0, 30)))
	return out
}

// monthlyExpiry is the first standard monthly expiry (third Friday, or the session
// before it when that Friday is a holiday) on or after d.
func monthlyExpiry(d time.Time) string {
	for m := 0; ; m++ {
		first := time.Date(d.Year(), d.Month()+time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		third := first.AddDate(0, 0, (int(time.Friday)-int(first.Weekday())+7)%7+14)
		if e := weeklyExpiry(third); e >= d.Format(DateLayout) {
			return e
		}
	}
}

// yearsToExpiry measures time in trading minutes (the demo's clock) from ts to the close
// of expiry.
func yearsToExpiry(ts int64, today Session, expiry string) float64 {
	if expiry == today.Date {
		return math.Max(0, float64(today.Close-ts)/msPerMinute) / minutesYear
	}
	mins := math.Max(0, float64(today.Close-ts)/msPerMinute)
	next, _ := NextSession(today.Date)
	ss, _ := Sessions(next, expiry)
	for _, s := range ss {
		mins += float64((s.Close - s.Open) / msPerMinute)
	}
	return mins / minutesYear
}

// chainSnapshot prices the chain of tk at ts for the given expiries.
func chainSnapshot(cfg DemoConfig, tk DemoTicker, c *Chain, ts int64, today Session, s, anchor, dayVol float64, expiries []string) {
	step := tk.StrikeStep
	center := math.Round(s/step) * step
	for _, exp := range expiries {
		t := yearsToExpiry(ts, today, exp)
		if t <= 0 {
			continue
		}
		daysOut := t * 252
		for _, typ := range [...]byte{'C', 'P'} {
			for j := -cfg.Strikes; j <= cfg.Strikes; j++ {
				k := center + float64(j)*step
				if k <= 0 {
					continue
				}
				iv := demoIV(tk, dayVol, s, k, t)
				call := typ == 'C'
				g := options.ComputeGreeks(call, s, k, t, cfg.Rate, 0, iv)
				mid := math.Max(0.01, options.Price(call, s, k, t, cfg.Rate, 0, iv))
				half := math.Max(0.005, 0.02*mid+0.005)
				bid, ask := math.Max(0, round2(mid-half)), round2(mid+half)
				if ask <= bid {
					ask = bid + 0.01
				}
				base := 4000.0
				if tk.Daily0DTE {
					base = 9000
				}
				dist := math.Abs(math.Log(k / anchor))
				oi := math.Round(base * math.Exp(-dist/0.035) * (0.4 + hashUnit(cfg.Seed, tk.Ticker, exp, string(typ), fmt.Sprint(k), today.Date)) * (1 + math.Min(daysOut, 10)/5))
				c.Append(ChainRow{SnapTS: ts, UnderlyingPrice: round2(s), Expiry: exp, Type: typ, Strike: k,
					Bid: bid, Ask: ask, IV: round4(iv), Delta: round4(g.Delta), Gamma: round4(g.Gamma),
					Theta: round4(g.Theta / 252), Vega: round4(g.Vega / 100), OpenInterest: oi})
			}
		}
	}
}

// genChains builds the close snapshot of every session and, from cfg.OptionsFrom, hourly
// intraday snapshots at 10:00…15:00 ET (while the session is open).
func genChains(cfg DemoConfig, p *demoPath, sess []Session) *Chain {
	c := &Chain{Underlying: p.tk.Ticker, Source: SourceDemo}
	for si, s := range sess {
		anchor := p.tk.Price0
		if si > 0 {
			anchor = p.day.Close[si-1]
		}
		if s.Date >= cfg.OptionsFrom {
			exps := chainExpiries(p.tk, s.Date, true)
			for h := 10; h <= 15; h++ {
				ts, _ := ETMillis(s.Date, h, 0)
				if ts >= s.Close {
					break
				}
				// price at ts = close of the minute that ends at ts
				k := p.rthStart[si] + int((ts-s.Open)/msPerMinute) - 1
				chainSnapshot(cfg, p.tk, c, ts, s, p.min1.Close[k], anchor, p.dayVol[si], exps)
			}
		}
		chainSnapshot(cfg, p.tk, c, s.Close, s, p.day.Close[si], anchor, p.dayVol[si], chainExpiries(p.tk, s.Date, false))
	}
	return c
}

// genOptionDay builds the 0DTE option minute bars of one session: strikes at StrikeStep
// spacing around round(previous close), volume concentrated near the money and at the
// open/close, one bar per traded minute (as Polygon reports).
func genOptionDay(cfg DemoConfig, p *demoPath, si int, s Session) *OptionBars {
	rng := tickerStream(cfg.Seed, "options", p.tk.Ticker, s.Date)
	out := &OptionBars{Underlying: p.tk.Ticker, Source: SourceDemo}
	anchor := math.Round(p.day.Close[si-1])
	rthLen := int((s.Close - s.Open) / msPerMinute)
	lo := p.rthStart[si]
	for _, typ := range [...]byte{'C', 'P'} {
		for j := -cfg.Strikes; j <= cfg.Strikes; j++ {
			k := anchor + float64(j)*p.tk.StrikeStep
			ct, err := NewContract(p.tk.Ticker, s.Date, typ, k)
			if err != nil {
				continue
			}
			for u := 0; u < rthLen; u++ {
				i := lo + u
				ts := p.min1.TS[i]
				S := p.min1.Close[i]
				lam := 260 * volumeShape(u, rthLen) / 1.25 * math.Exp(-math.Abs(k-S)/(1.6*p.tk.StrikeStep)) * math.Pow(p.dayVol[si]/p.tk.Vol, 0.7)
				if typ == 'P' && k < S || typ == 'C' && k > S {
					lam *= 1.25 // out-of-the-money wings trade more than in-the-money
				}
				vol := poisson(rng, lam)
				if vol == 0 {
					continue
				}
				tEnd := float64(s.Close-ts-msPerMinute) / msPerMinute / minutesYear
				tStart := tEnd + 1.0/minutesYear
				iv := demoIV(p.tk, p.dayVol[si], S, k, tEnd)
				price := func(spot, t float64) float64 {
					return math.Max(0.01, round2(options.Price(typ == 'C', spot, k, t, cfg.Rate, 0, iv)))
				}
				o := price(p.min1.Open[i], tStart)
				c := price(S, tEnd)
				hi, loP := price(p.min1.High[i], tEnd), price(p.min1.Low[i], tEnd)
				if typ == 'P' {
					hi, loP = loP, hi
				}
				h := math.Max(hi, math.Max(o, c))
				l := math.Min(loP, math.Min(o, c))
				vw := round4(math.Min(h, math.Max(l, (o+h+l+c)/4)))
				out.Append(ct, ts, o, h, l, c, float64(vol), vw)
			}
		}
	}
	return out
}

// poisson draws a Poisson count (Knuth for small means, rounded normal above 30).
func poisson(rng *rand.Rand, lam float64) int {
	if lam <= 0 {
		return 0
	}
	if lam > 30 {
		return max(0, int(math.Round(lam+math.Sqrt(lam)*rng.NormFloat64())))
	}
	l := math.Exp(-lam)
	k, p := 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func (cfg *DemoConfig) normalise() error {
	if cfg.Start == "" {
		cfg.Start = DemoStart
	}
	if cfg.End == "" {
		cfg.End = DemoEnd
	}
	if cfg.OptionsFrom == "" {
		cfg.OptionsFrom = cfg.End
	}
	if cfg.Strikes <= 0 {
		cfg.Strikes = 15
	}
	if cfg.Rate == 0 {
		cfg.Rate = 0.045
	}
	if len(cfg.Tickers) == 0 {
		return errors.New("demo: no tickers")
	}
	for _, t := range cfg.Tickers {
		if !validTicker(t.Ticker) || t.Price0 <= 0 || t.Vol <= 0 || t.StrikeStep <= 0 || t.BaseVolume <= 0 {
			return fmt.Errorf("demo: bad ticker parameters %+v", t)
		}
	}
	return nil
}

// SeedDemo generates the demo market of cfg and writes it into st: for every ticker 1m
// (regular hours), 1h (04–20 ET) and 1d bars over [Start, End] and a chain snapshot at
// every close; from OptionsFrom, hourly intraday chain snapshots and, for the index
// (first) ticker, 0DTE option minute bars every session. Output is a pure function of cfg
// (byte-identical files for a seed); tickers are generated and written in parallel.
func SeedDemo(ctx context.Context, st Store, cfg DemoConfig) (DemoSummary, error) {
	start := time.Now()
	if err := cfg.normalise(); err != nil {
		return DemoSummary{}, err
	}
	sess, err := Sessions(cfg.Start, cfg.End)
	if err != nil {
		return DemoSummary{}, err
	}
	if len(sess) < 2 {
		return DemoSummary{}, errors.New("demo: range holds fewer than two sessions")
	}
	sum := DemoSummary{Start: sess[0].Date, End: sess[len(sess)-1].Date, OptionsFrom: cfg.OptionsFrom}
	index := genPath(cfg, cfg.Tickers[0], sess, nil)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		rows int64
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	count := func(n int) {
		mu.Lock()
		rows += int64(n)
		mu.Unlock()
	}
	// A small pool bounds peak memory (each task holds one ticker's history or a few
	// sessions of option bars) while keeping every core busy. Output does not depend on
	// scheduling: every task has its own random stream and writes its own files.
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	spawn := func(task func()) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			task()
		}()
	}
	for ti := range cfg.Tickers {
		sum.Tickers = append(sum.Tickers, cfg.Tickers[ti].Ticker)
		spawn(func() {
			p := index
			if ti > 0 {
				p = genPath(cfg, cfg.Tickers[ti], sess, index)
			}
			for _, b := range []*Bars{p.min1, p.hour, p.day} {
				ws, err := st.WriteBars(ctx, b)
				if err != nil {
					fail(fmt.Errorf("demo %s %s: %w", b.Ticker, b.Timeframe, err))
					return
				}
				count(ws.Added + ws.Replaced)
			}
			ws, err := st.WriteChain(ctx, genChains(cfg, p, sess))
			if err != nil {
				fail(fmt.Errorf("demo %s chains: %w", p.tk.Ticker, err))
				return
			}
			count(ws.Added + ws.Replaced)
		})
	}
	// 0DTE option minute bars of the index, a few sessions per task.
	var optSess []int
	for si := 1; si < len(sess); si++ {
		if sess[si].Date >= cfg.OptionsFrom {
			optSess = append(optSess, si)
		}
	}
	const chunk = 8
	for c := 0; c < len(optSess); c += chunk {
		part := optSess[c:min(c+chunk, len(optSess))]
		spawn(func() {
			ob := &OptionBars{Underlying: index.tk.Ticker, Source: SourceDemo}
			for _, si := range part {
				day := genOptionDay(cfg, index, si, sess[si])
				for i := range day.TS {
					ob.AppendFrom(day, i)
				}
			}
			ws, err := st.WriteOptionBars(ctx, ob)
			if err != nil {
				fail(fmt.Errorf("demo %s options: %w", index.tk.Ticker, err))
				return
			}
			count(ws.Added + ws.Replaced)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return sum, errors.Join(errs...)
	}
	sum.Rows = rows
	sum.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return sum, nil
}
