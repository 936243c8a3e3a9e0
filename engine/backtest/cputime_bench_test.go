package backtest

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is this process's user+system CPU time. The dev machine is shared,
// so benchmarks report CPU seconds per op next to wall time: on an idle
// 2-core machine, wall ≈ CPU/2 for the parallel parts.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-s/op metric for the work since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op")
}
