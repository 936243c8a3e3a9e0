package indicators

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestKernelsAgainstNaive checks the rolling kernels on random series with
// leading and scattered NaN against direct window scans.
func TestKernelsAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 40; trial++ {
		size := 1 + r.IntN(300)
		if trial%5 == 0 {
			size = 3000 + r.IntN(3000) // crosses several re-summation chunks
		}
		x := make([]float64, size)
		y := make([]float64, size)
		lead := r.IntN(5)
		gaps := trial%2 == 1
		for i := range x {
			x[i] = 100 + r.NormFloat64()*3
			if trial%4 == 2 { // mixed signs and zeros: the float path of the extremes
				x[i] = math.Round(r.NormFloat64() * 2)
			}
			y[i] = x[i] - r.Float64()
			if i < lead || (gaps && r.IntN(9) == 0) {
				x[i], y[i] = math.NaN(), math.NaN()
			}
		}
		n := 1 + r.IntN(40)
		minP := 1 + r.IntN(n)
		expectCol(t, "max", rollMax(x, n, minP), nExt(x, n, minP, true), 0)
		expectCol(t, "min", rollMin(x, n, minP), nExt(x, n, minP, false), 0)
		mx, mn := rollMaxMin(x, y, n, minP)
		expectCol(t, "maxmin/max", mx, nExt(x, n, minP, true), 0)
		expectCol(t, "maxmin/min", mn, nExt(y, n, minP, false), 0)
		expectCol(t, "mean", rollMean(x, n, minP), nSMA(x, n, minP), 1e-12)
		expectCol(t, "sum", rollSum(x, n, minP), nSum(x, n, minP), 1e-12)
		expectCol(t, "std", rollStd(x, n, minP), nSTD(x, n, minP), 1e-9)
		if t.Failed() {
			t.Fatalf("trial %d size %d n %d minP %d lead %d gaps %v", trial, size, n, minP, lead, gaps)
		}
	}
}

// TestFusedCascadesMatchSeparatePasses checks that the one-pass EWM cascades
// give bit for bit the values of the separate ewm passes they replace, on
// dense series with leading NaN, a series crossing zero (PPO's slow EMA hits
// values near 0) and windows of 1.
func TestFusedCascadesMatchSeparatePasses(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	same := func(name string, got, want []float64) {
		t.Helper()
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("%s row %d: %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	for trial := 0; trial < 60; trial++ {
		size := r.IntN(400)
		x := make([]float64, size)
		lead := r.IntN(6)
		for i := range x {
			switch {
			case i < lead:
				x[i] = math.NaN()
			case trial%11 == 0 && i < size/2:
				x[i] = 0 // PPO's slow EMA is 0: an undefined line, then defined again
			case trial%3 == 0:
				x[i] = math.Sin(float64(i)/7) + 0.01*r.NormFloat64() // crosses 0
			default:
				x[i] = 100 + r.NormFloat64()*3
			}
		}
		a, b, c := 1+r.IntN(30), 1+r.IntN(30), 1+r.IntN(12)
		if trial%7 == 0 {
			a, b, c = 1, 1, 1
		}
		got := make([]float64, size)
		if !ema3Fused(x, a, got) {
			t.Fatal("ema3Fused refused dense input")
		}
		same("ema3", got, ema(ema(ema(x, a, nil), a, nil), a, nil))

		if !tsiFused(x, a, b, got) {
			t.Fatal("tsiFused refused dense input")
		}
		d := diff(x, 1)
		ad := make([]float64, size)
		for i := range d {
			ad[i] = math.Abs(d[i])
		}
		num, den := ema(ema(d, a, nil), b, nil), ema(ema(ad, a, nil), b, nil)
		for i := range num {
			num[i] = 100 * safeDiv(num[i], den[i])
		}
		same("tsi", got, num)

		for _, pct := range []bool{false, true} {
			l, s, h := make([]float64, size), make([]float64, size), make([]float64, size)
			if !macdFused(x, a, b, c, pct, l, s, h) {
				t.Fatal("macdFused refused dense input")
			}
			ef, es := ema(x, a, nil), ema(x, b, nil)
			wl := make([]float64, size)
			for i := range wl {
				if pct {
					wl[i] = 100 * safeDiv(ef[i]-es[i], es[i])
				} else {
					wl[i] = ef[i] - es[i]
				}
			}
			ws := ema(wl, c, nil)
			wh := make([]float64, size)
			for i := range wh {
				wh[i] = wl[i] - ws[i]
			}
			same("macd line", l, wl)
			same("macd signal", s, ws)
			same("macd hist", h, wh)
		}
	}
	if ema3Fused([]float64{1, math.NaN(), 2}, 2, make([]float64, 3)) {
		t.Fatal("ema3Fused accepted a gap")
	}
}

// TestDayFlagsAgainstTimePackage checks the integer calendar flags against
// the same rules evaluated with time.Time arithmetic for every day of
// 1990–2110 (leap years and the non-leap 2100 included).
func TestDayFlagsAgainstTimePackage(t *testing.T) {
	for day := time.Date(1990, 1, 1, 12, 0, 0, 0, time.UTC); day.Year() < 2111; day = day.AddDate(0, 0, 1) {
		last := true
		for k := 1; k <= 3; k++ {
			n := day.AddDate(0, 0, k)
			if n.Month() != day.Month() {
				break
			}
			if n.Weekday() != time.Saturday && n.Weekday() != time.Sunday {
				last = false
				break
			}
		}
		wk := day.Weekday() != time.Saturday && day.Weekday() != time.Sunday
		first := time.Date(day.Year(), day.Month(), 1, 12, 0, 0, 0, time.UTC)
		firstFri := 1 + (int(time.Friday)-int(first.Weekday())+7)%7
		nx := day.AddDate(0, 0, 1)
		want := [4]float64{b2f(last && wk), b2f(last && wk && day.Month()%3 == 0), b2f(day.Day() == firstFri+14),
			b2f((nx.Month() == time.January && nx.Day() == 1) || (nx.Month() == time.July && nx.Day() == 4) || (nx.Month() == time.December && nx.Day() == 25))}
		f := dayFlags(etDay{Y: day.Year(), M: int(day.Month()), D: day.Day(), Weekday: day.Weekday()})
		if got := [4]float64{f.eom, f.eoq, f.opex, f.eve}; got != want {
			t.Fatalf("%s: flags %v, want %v", day.Format("2006-01-02"), got, want)
		}
	}
}

// TestMaxTRMatchesBuiltin checks the integer max of the true range against
// the builtin float max on signed zeros, negative ranges, Inf and NaN.
func TestMaxTRMatchesBuiltin(t *testing.T) {
	negZero := math.Copysign(0, -1)
	trs := []float64{0, negZero, -1, 0.5, 3, math.Inf(1), math.Inf(-1), 1e-310}
	abs := []float64{0, 0.25, 3, 7, math.Inf(1), math.NaN(), 1e-310}
	for _, tr := range trs {
		for _, a := range abs {
			for _, b := range abs {
				want, got := max(tr, a, b), maxTR(tr, a, b)
				if math.Float64bits(want) != math.Float64bits(got) && !(want != want && got != got) {
					t.Fatalf("maxTR(%v, %v, %v) = %v, want %v", tr, a, b, got, want)
				}
			}
		}
	}
}

// TestSplitChangeMatchesBuiltin checks the sign-bit split of a price change
// against max(d, 0), max(−d, 0) on signed zeros, subnormals and infinities.
func TestSplitChangeMatchesBuiltin(t *testing.T) {
	for _, d := range []float64{0, math.Copysign(0, -1), 1, -1, 5e-324, -5e-324, 1e300, -1e300, math.Inf(1), math.Inf(-1)} {
		g, l := splitChange(d)
		wg, wl := max(d, 0), max(-d, 0)
		if math.Float64bits(g) != math.Float64bits(wg) || math.Float64bits(l) != math.Float64bits(wl) {
			t.Fatalf("splitChange(%v) = %v, %v; want %v, %v", d, g, l, wg, wl)
		}
	}
}
