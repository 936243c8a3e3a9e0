package jobs

// PoolStats is the state of one class's pool: slots in use, its limit, and
// what waits in its FIFO (queued jobs and synchronous callers in Acquire).
type PoolStats struct {
	Busy    int `json:"busy"`
	Limit   int `json:"limit"`
	Queued  int `json:"queued"`  // jobs waiting for a slot
	Waiting int `json:"waiting"` // synchronous callers waiting in Acquire
}

// Depth is the pool's queue depth: everything waiting for a slot.
func (p PoolStats) Depth() int { return p.Queued + p.Waiting }

// Pools returns the heavy and light pools' state, for metrics.
func (r *Runner) Pools() (heavy, light PoolStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.poolLocked(Heavy), r.poolLocked(Light)
}

func (r *Runner) poolLocked(c Class) PoolStats {
	p := PoolStats{Busy: r.busy[c], Limit: r.limit(c)}
	for _, e := range r.pending[c] {
		if e.w != nil {
			p.Waiting++
		} else {
			p.Queued++
		}
	}
	return p
}
