package matrix

import (
	"math"
	"strconv"
	"testing"
)

// TestCSVFloatFormat pins the float notation of the CSV export to pandas'
// (shortest round-trip digits, positional for 1e-4 <= |v| < 1e16) minus the
// ".0" on integral values, and checks every value parses back to its bits.
func TestCSVFloatFormat(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{
		{1195688, "1195688"}, {13333177.25, "13333177.25"}, {1234, "1234"}, {0.3052, "0.3052"},
		{0.0029763445312904, "0.0029763445312904"}, {0.0001, "0.0001"}, {0.00001, "1e-05"},
		{-1.2e-7, "-1.2e-07"}, {1e16, "1e+16"}, {9999999999999998, "9999999999999998"},
		{math.Copysign(0, -1), "-0"}, {0, "0"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
	}
	for _, c := range cases {
		got := string(appendCSVFloat(nil, c.v))
		if got != c.want {
			t.Errorf("%v: got %q, want %q", c.v, got, c.want)
		}
		back, err := strconv.ParseFloat(got, 64)
		if err != nil || math.Float64bits(back) != math.Float64bits(c.v) {
			t.Errorf("%q parses to %v (%v), want %v", got, back, err, c.v)
		}
	}
}
