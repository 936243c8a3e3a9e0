package matrix

import (
	"math"
	"testing"
)

// FuzzApplyLabel: arbitrary closes and label settings never panic, and every
// labelled row has a finite forward return and a label end after its start.
func FuzzApplyLabel(f *testing.F) {
	f.Add("next_hour", 0.3, 100.0, 1.0, -2.0, 0.5, 3.0, "10:30")
	f.Add("fwd_ret_1d", 0.0, 50.0, math.NaN(), 1.0, 0.0, -1.0, "")
	f.Add("headfake", 1.0, 10.0, 0.1, 0.2, -0.3, 0.4, "25:00")
	f.Fuzz(func(t *testing.T, kind string, k, c0, d1, d2, d3, d4 float64, clock string) {
		closes := []float64{c0}
		for _, d := range []float64{d1, d2, d3, d4, -d1, -d2, d3, d4, d1 - d2, d3 + d4, d1, d2, d3} {
			closes = append(closes, closes[len(closes)-1]+d)
		}
		m, in := hourlyRows([]string{"2024-07-01", "2024-07-02"}, closes)
		cfg := LabelConfig{Kind: kind, KSigma: k, WindowEnd: clock, DriftStartTime: clock}
		if err := ApplyLabel(m, cfg, in); err != nil {
			return
		}
		y, r := m.TextCol(LabelCol), m.Col(RetFwdCol)
		if y == nil { // kind none
			return
		}
		for i := range y {
			if y[i] != "" && (math.IsNaN(r[i]) || m.T1[i] <= m.TS[i]) {
				t.Fatalf("row %d labelled %q with ret %v t1 %v ts %v", i, y[i], r[i], m.T1[i], m.TS[i])
			}
		}
	})
}
