package indicators

import (
	"context"
	"math"
	"testing"
)

// TestComputeAllMatchesOneByOne runs every frame-only indicator (with
// default parameters, plus calendar flags in another zone) as one batch
// and one by one, on a regular and a gappy frame: the shared intermediates
// must not change a single bit of any output.
func TestComputeAllMatchesOneByOne(t *testing.T) {
	src := &fakeSource{vol: flatVol(0.2)}
	full := synthFrame(300, 3)
	gappy := truncate(full, 300)
	for _, col := range []*[]float64{&gappy.High, &gappy.Low, &gappy.Close} {
		c := append([]float64(nil), (*col)...)
		for i := 20; i < len(c); i += 31 {
			c[i] = math.NaN()
		}
		*col = c
	}
	var specs []Spec
	for _, name := range frameOnly() { // the users of the shared intermediates
		s, err := Resolve(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	london, err := Resolve("calendar_flags", map[string]any{"tz": "Europe/London"})
	if err != nil {
		t.Fatal(err)
	}
	specs = append(specs, london)
	ctx := context.Background()
	for name, f := range map[string]*Frame{"regular": full, "gappy": gappy} {
		batch, err := ComputeAll(ctx, specs, f, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k, s := range specs {
			one, err := s.Compute(ctx, f, src)
			if err != nil {
				t.Fatalf("%s %s: %v", name, s.Name, err)
			}
			if len(one) != len(batch[k]) {
				t.Fatalf("%s %s: %d columns in the batch, %d alone", name, s.Name, len(batch[k]), len(one))
			}
			for j := range one {
				for i, v := range one[j].Values {
					w := batch[k][j].Values[i]
					if math.Float64bits(v) != math.Float64bits(w) && !(v != v && w != w) {
						t.Fatalf("%s %s/%s row %d: batch %v, alone %v", name, s.Name, one[j].Name, i, w, v)
					}
				}
			}
		}
	}
}
