package doc

import (
	"encoding/json"
	"math"
	"testing"
)

func TestLenientNumber(t *testing.T) {
	for _, c := range []struct {
		in   any
		want float64
		ok   bool
	}{
		{0.5, 0.5, true}, {3, 3, true}, {int64(-2), -2, true}, {json.Number("1e3"), 1000, true},
		{" 0.25 ", 0.25, true}, {"12", 12, true},
		{"NaN", 0, false}, {"inf", 0, false}, {math.NaN(), 0, false}, {"x", 0, false}, {true, 0, false}, {nil, 0, false},
	} {
		got, ok := LenientNumber(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("LenientNumber(%#v) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestLenientBool(t *testing.T) {
	for _, c := range []struct {
		in       any
		want, ok bool
	}{
		{true, true, true}, {false, false, true}, {"Yes", true, true}, {"off", false, true}, {"1", true, true},
		{1, true, true}, {0.0, false, true}, {2, false, false}, {"maybe", false, false}, {nil, false, false},
	} {
		got, ok := LenientBool(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("LenientBool(%#v) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
