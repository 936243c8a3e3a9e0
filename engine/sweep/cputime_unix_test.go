//go:build unix

package sweep_test

import "syscall"

// cpuSeconds is the CPU time (user+system) this process has used: on a shared
// machine it measures the work a benchmark does better than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
