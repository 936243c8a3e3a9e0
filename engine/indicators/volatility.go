package indicators

func atr(c *call) ([]Column, error) {
	n := c.int("period")
	tr, done := c.trueRange()
	defer done()
	return one("atr_"+itoa(n), wilder(tr, n, make([]float64, len(tr)))), nil
}

func bollinger(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w, k := c.int("window"), c.float("num_std")
	n := len(p)
	mid := make([]float64, n)
	up := make([]float64, n)
	lo := make([]float64, n)
	rollMoments(p, w, w, nil, mid, up)
	for i := range mid {
		sd := up[i]
		up[i] = mid[i] + k*sd
		lo[i] = mid[i] - k*sd
	}
	ws := itoa(w)
	return []Column{{"bb_mid_" + ws, mid}, {"bb_upper_" + ws, up}, {"bb_lower_" + ws, lo}}, nil
}

// retStd is STD_{w,w} of one-bar returns of p.
func retStd(p []float64, w int) []float64 {
	r, done := tmp(len(p))
	defer done()
	return rollStd(pctTo(p, 1, r), w, w)
}

func rollingStd(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w := c.int("window")
	return one("roll_std_"+itoa(w), retStd(p, w)), nil
}

func volatility(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w := c.int("window")
	return one("close_vol_"+itoa(w), retStd(p, w)), nil
}

func donchian(c *call) ([]Column, error) {
	w := c.int("window")
	up, lo := rollMaxMin(c.f.High, c.f.Low, w, half(w))
	mid := make([]float64, len(up))
	for i := range mid {
		mid[i] = (up[i] + lo[i]) / 2
	}
	ws := itoa(w)
	return []Column{{"donchian_upper_" + ws, up}, {"donchian_lower_" + ws, lo}, {"donchian_mid_" + ws, mid}}, nil
}

func keltner(c *call) ([]Column, error) {
	w, m := c.int("window"), c.float("multiplier")
	mid := ema(c.f.Close, w, nil)
	tr, done := c.trueRange()
	defer done()
	atr, doneA := tmp(c.n())
	defer doneA()
	return keltnerOut(w, m, mid, rollMeanTo(tr, w, half(w), atr)), nil
}

func keltnerOut(w int, m float64, mid, atr []float64) []Column {
	up := make([]float64, len(mid))
	lo := make([]float64, len(mid))
	for i := range mid {
		up[i] = mid[i] + m*atr[i]
		lo[i] = mid[i] - m*atr[i]
	}
	ws := itoa(w)
	return []Column{{"keltner_mid_" + ws, mid}, {"keltner_upper_" + ws, up}, {"keltner_lower_" + ws, lo}}
}
