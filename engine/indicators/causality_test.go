package indicators

import (
	"context"
	"math"
	"testing"
)

func sameNaN(a, b float64) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a))
}

// TestCausalityWholeRegistry computes every indicator on a frame and on its
// prefixes: appending future rows must never change a past output.
func TestCausalityWholeRegistry(t *testing.T) {
	full := synthFrame(420, 1)
	src := &fakeSource{vol: func(exp string, K float64) float64 { return 0.15 + 0.0004*math.Abs(K-500) }}
	cuts := []int{40, 131, 250}
	if testing.Short() {
		cuts = []int{131}
	}
	for _, m := range List() {
		params := map[string]any{}
		// small windows so warm-ups end inside the prefixes
		for _, p := range m.Params {
			switch p.Name {
			case "window_days":
				params[p.Name] = 15
			case "window":
				if p.Default != nil {
					params[p.Name] = 5
				}
			}
		}
		want, err := Compute(context.Background(), m.Name, params, full, src)
		if err != nil {
			t.Errorf("%s: %v", m.Name, err)
			continue
		}
		finite := 0
		for _, c := range want {
			if len(c.Values) != full.Len() {
				t.Errorf("%s/%s: %d rows", m.Name, c.Name, len(c.Values))
			}
			for _, v := range c.Values {
				if !math.IsNaN(v) {
					finite++
				}
				if math.IsInf(v, 0) {
					t.Errorf("%s/%s: Inf", m.Name, c.Name)
					break
				}
			}
		}
		if finite == 0 {
			t.Errorf("%s: all outputs NaN", m.Name)
		}
		for _, cut := range cuts {
			got, err := Compute(context.Background(), m.Name, params, truncate(full, cut), src)
			if err != nil {
				t.Fatalf("%s cut %d: %v", m.Name, cut, err)
			}
			for k := range got {
				for i := 0; i < cut; i++ {
					if !sameNaN(got[k].Values[i], want[k].Values[i]) {
						t.Errorf("%s/%s: row %d changes when rows after %d are added: %v → %v", m.Name, got[k].Name, i, cut, got[k].Values[i], want[k].Values[i])
						break
					}
				}
			}
		}
	}
}

// TestTinyAndGappyFrames runs the whole registry on empty, one-row and
// two-row frames and on a frame with NaN gaps: no panic, right lengths.
func TestTinyAndGappyFrames(t *testing.T) {
	src := &fakeSource{vol: flatVol(0.2)}
	full := synthFrame(120, 11)
	gappy := truncate(full, 120)
	for _, col := range []*[]float64{&gappy.Open, &gappy.High, &gappy.Low, &gappy.Close, &gappy.Volume} {
		c := append([]float64(nil), (*col)...)
		for i := 30; i < 120; i += 17 {
			c[i] = math.NaN()
		}
		*col = c
	}
	frames := map[string]*Frame{"empty": truncate(full, 0), "one": truncate(full, 1), "two": truncate(full, 2), "gappy": gappy}
	for name, f := range frames {
		for _, m := range List() {
			cols, err := Compute(context.Background(), m.Name, nil, f, src)
			if err != nil {
				t.Errorf("%s on %s: %v", m.Name, name, err)
				continue
			}
			for _, c := range cols {
				if len(c.Values) != f.Len() {
					t.Errorf("%s/%s on %s: %d rows", m.Name, c.Name, name, len(c.Values))
				}
			}
		}
	}
}
