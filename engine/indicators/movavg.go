package indicators

import (
	"math"
	"strconv"
)

func itoa(n int) string { return strconv.Itoa(n) }

func smaInd(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w := c.int("window")
	return one("sma_"+itoa(w), rollMean(p, w, half(w))), nil
}

func emaInd(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w := c.int("window")
	return one("ema_"+itoa(w), ema(p, w, nil)), nil
}

func emaSlope(c *call) ([]Column, error) {
	w, per := c.int("window"), c.int("period")
	e := c.f.Col("ema_" + itoa(w))
	if e == nil || c.str("column") != "close" {
		p, err := c.column("column")
		if err != nil {
			return nil, err
		}
		buf, done := tmp(len(p))
		defer done()
		e = ema(p, w, buf)
	}
	return one("ema"+itoa(w)+"_slope"+itoa(per)+"h", diff(e, per)), nil
}

func distToEMA(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w := c.int("window")
	e, done := tmp(len(p))
	defer done()
	ema(p, w, e)
	byPrice := c.str("normalize") == "price"
	out := make([]float64, len(p))
	for i := range p {
		d := math.Abs(e[i])
		if byPrice {
			d = math.Abs(p[i])
		}
		out[i] = safeDiv(p[i]-e[i], d)
	}
	return one("dist_ema"+itoa(w)+"_norm", out), nil
}

func qstick(c *call) ([]Column, error) {
	n := c.int("period")
	d, done := tmp(c.n())
	defer done()
	for i := range d {
		d[i] = c.f.Close[i] - c.f.Open[i]
	}
	return one("qstick_"+itoa(n), rollMean(d, n, n)), nil
}

func elderRay(c *call) ([]Column, error) {
	e, done := tmp(c.n())
	defer done()
	ema(c.f.Close, c.int("period"), e)
	bull := make([]float64, len(e))
	bear := make([]float64, len(e))
	for i := range e {
		bull[i] = c.f.High[i] - e[i]
		bear[i] = c.f.Low[i] - e[i]
	}
	return []Column{{"bull_power", bull}, {"bear_power", bear}}, nil
}

func kama(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	er, fast, slow := c.int("er_period"), c.int("fast"), c.int("slow")
	fsc, ssc := 2/float64(fast+1), 2/float64(slow+1)
	n := len(p)
	out := make([]float64, n)
	// path = Σ_{er} |ΔP| over the last er changes, kept as a running sum with
	// exact re-summation every er rows.
	var path float64
	k := nan
	for i := 0; i < n; i++ {
		if i >= 1 {
			path += math.Abs(p[i] - p[i-1])
			if i > er {
				path -= math.Abs(p[i-er] - p[i-er-1])
			}
			if i%er == 0 {
				path = 0
				for j := max(1, i-er+1); j <= i; j++ {
					path += math.Abs(p[j] - p[j-1])
				}
			}
		}
		if i < er {
			out[i] = nan
			if i == er-1 {
				k = p[i]
			}
			continue
		}
		if k != k { // a NaN price earlier: restart from the current price
			k = p[i]
			out[i] = k
			continue
		}
		e := 0.0
		if path > 0 {
			e = math.Abs(p[i]-p[i-er]) / path
		}
		sc := e*(fsc-ssc) + ssc
		sc *= sc
		if p[i] == p[i] {
			k += sc * (p[i] - k)
		}
		out[i] = k
	}
	return one("kama_"+itoa(er)+"_"+itoa(fast)+"_"+itoa(slow), out), nil
}
