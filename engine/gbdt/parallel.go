package gbdt

import (
	"sync"
	"sync/atomic"
)

// parallelFor runs fn(0..n-1) on up to workers goroutines. Callers only hand
// it tasks whose results do not depend on which goroutine runs them or in what
// order (each task writes its own output slot), which is what keeps training
// deterministic for any worker count.
func parallelFor(n, workers int, fn func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// chunkFor runs fn over [0,n) split into fixed-size chunks, in parallel. The
// chunking depends only on n, never on the worker count.
func chunkFor(n, chunk, workers int, fn func(lo, hi int)) {
	nc := (n + chunk - 1) / chunk
	parallelFor(nc, workers, func(c int) {
		lo := c * chunk
		fn(lo, min(lo+chunk, n))
	})
}
