package indicators

import (
	"sort"
	"strings"

	"sigmalab/engine/matrix"
)

// flowTotals returns the puts and calls volume columns of the 0DTE matrix:
// the *_sold_total columns, else the sums of the per-distance columns, else nil.
func flowTotals(f *Frame) (puts, calls []float64) {
	puts, calls = f.Col("puts_sold_total"), f.Col("calls_sold_total")
	if puts != nil && calls != nil {
		return puts, calls
	}
	n := f.Len()
	var p, c []float64
	names := make([]string, 0, len(f.Cols))
	for name := range f.Cols {
		names = append(names, name)
	}
	sort.Strings(names) // fixed summation order keeps results bit-stable
	for _, name := range names {
		v := f.Cols[name]
		var dst *[]float64
		switch {
		case strings.HasPrefix(name, matrix.PutsSoldPrefix):
			dst = &p
		case strings.HasPrefix(name, matrix.CallsSoldPrefix):
			dst = &c
		default:
			continue
		}
		if *dst == nil {
			*dst = make([]float64, n)
		}
		for i, x := range v {
			if x == x {
				(*dst)[i] += x
			}
		}
	}
	if p == nil || c == nil {
		return nil, nil
	}
	return p, c
}

func pcrVolume(c *call) ([]Column, error) {
	p, k := flowTotals(c.f)
	if p == nil {
		return one("pcr_volume", nanCol(c.n())), nil
	}
	out := make([]float64, c.n())
	for i := range out {
		out[i] = (p[i] + 1e-9) / (k[i] + 1e-9)
	}
	return one("pcr_volume", out), nil
}

func pcrEOD(c *call) ([]Column, error) {
	p, k := flowTotals(c.f)
	if p == nil {
		return one("pcr_eod", nanCol(c.n())), nil
	}
	ds := splitDays(c.f.TS, newYork())
	out := make([]float64, c.n())
	var sp, sk float64
	for i := range out {
		if i == 0 || ds.idx[i] != ds.idx[i-1] {
			sp, sk = 0, 0
		}
		if p[i] == p[i] {
			sp += p[i]
		}
		if k[i] == k[i] {
			sk += k[i]
		}
		out[i] = (sp + 1e-9) / (sk + 1e-9)
	}
	return one("pcr_eod", out), nil
}

func soldFlowRatio(c *call) ([]Column, error) {
	w := c.intOr("window", 0)
	name := "sold_flow_ratio"
	if w > 0 {
		name += "_" + itoa(w)
	}
	p, k := c.f.Col("puts_sold_total"), c.f.Col("calls_sold_total")
	if p == nil || k == nil {
		p, k = flowTotals(c.f)
	}
	if p == nil {
		return one(name, nanCol(c.n())), nil
	}
	out := make([]float64, c.n())
	for i := range out {
		out[i] = (p[i] + 1e-6) / (k[i] + 1e-6)
	}
	if w > 1 {
		out = rollMean(out, w, w)
	}
	return one(name, out), nil
}
