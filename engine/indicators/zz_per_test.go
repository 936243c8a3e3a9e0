package indicators

import (
	"context"
	"sort"
	"testing"
	"time"
)

func TestZZPer(t *testing.T) {
	f := benchFrame(1_000_000)
	type r struct {
		n string
		d time.Duration
	}
	var rs []r
	var tot time.Duration
	for rep := 0; rep < 3; rep++ {
		rs = rs[:0]
		tot = 0
		for _, n := range frameOnly() {
			t0 := cpuTime()
			Compute(context.Background(), n, nil, f, nil)
			d := cpuTime() - t0
			tot += d
			rs = append(rs, r{n, d})
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].d > rs[j].d })
	for _, x := range rs {
		t.Log(x.n, x.d)
	}
	t.Log("total cpu", tot)
}
