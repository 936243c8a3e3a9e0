package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// Outcome is what evaluating one cell yields: the three ranking keys plus the
// full backtest result for storage and reports.
type Outcome struct {
	BestSharpeHourly float64 `json:"best_sharpe_hourly"` // overall OOF sharpe per bar (NaN: no trades)
	BestCumRet       float64 `json:"best_cum_ret"`       // overall OOF cumulative return
	Trades           int     `json:"total_trades"`
	// DSR is the cell's deflated Sharpe over every trial of the sweep (and
	// earlier saved runs on the model and matrix); PassGate its gate verdict.
	DSR      float64 `json:"dsr"`
	PSR      float64 `json:"psr"`
	PassGate bool    `json:"pass_gate"`
	Detail   any     `json:"-"` // the backtest result, opaque here
}

// EvalFunc evaluates one cell. It must be safe for concurrent use and should
// return promptly when ctx is done.
type EvalFunc func(ctx context.Context, c Cell) (Outcome, error)

// Result is one evaluated cell.
type Result struct {
	Cell    Cell
	Outcome Outcome
	Err     string // evaluation error; such cells never pass the guardrails
}

// RunOptions tune Run. Zero values are fine.
type RunOptions struct {
	Workers int // default runtime.GOMAXPROCS(0)
	// Done lists cells already evaluated (by Cell.Index), e.g. by an interrupted
	// run being resumed; they are not evaluated again and are returned as given.
	Done map[int]Result
	// OnResult receives each new result as it completes, from one goroutine at a
	// time (so it may batch writes without its own lock).
	OnResult func(Result)
	// Progress receives the count of finished cells (including Done ones), also
	// serialised. Called once per cell; throttle on the receiving side.
	Progress func(done, total int)
}

// Run evaluates cells in parallel. On cancellation it stops starting cells,
// waits for those in flight and returns every finished result (in cell order)
// together with ctx's error; finished cells are never lost.
func Run(ctx context.Context, cells []Cell, eval EvalFunc, opt RunOptions) ([]Result, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	todo := make([]int, 0, len(cells))
	results := make([]*Result, len(cells))
	for i, c := range cells {
		if r, ok := opt.Done[c.Index]; ok {
			r := r
			results[i] = &r
			continue
		}
		todo = append(todo, i)
	}
	workers = min(workers, max(len(todo), 1))
	doneCount := len(cells) - len(todo)

	var (
		next atomic.Int64
		mu   sync.Mutex // serialises callbacks and results writes
		wg   sync.WaitGroup
	)
	if opt.Progress != nil && doneCount > 0 {
		opt.Progress(doneCount, len(cells))
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if ctx.Err() != nil {
					return
				}
				k := int(next.Add(1)) - 1
				if k >= len(todo) {
					return
				}
				i := todo[k]
				out, err := safeEval(ctx, eval, cells[i])
				if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
					return // interrupted mid-cell: not a result
				}
				r := Result{Cell: cells[i], Outcome: out}
				if err != nil {
					r.Err = err.Error()
				}
				mu.Lock()
				results[i] = &r
				doneCount++
				if opt.OnResult != nil {
					opt.OnResult(r)
				}
				if opt.Progress != nil {
					opt.Progress(doneCount, len(cells))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	out := make([]Result, 0, doneCount)
	for _, r := range results {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, ctx.Err()
}

func safeEval(ctx context.Context, eval EvalFunc, c Cell) (o Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cell %d: internal error: %v", c.Index, p)
		}
	}()
	return eval(ctx, c)
}

// Guardrails filter cells before ranking. A nil MinSharpe means no sharpe floor.
type Guardrails struct {
	MinTrades int      `json:"min_trades"`
	MinSharpe *float64 `json:"min_sharpe"`
}

// Check returns "" when r passes, else the reason it is dropped.
func (g Guardrails) Check(r Result) string {
	switch {
	case r.Err != "":
		return "error: " + r.Err
	case r.Outcome.Trades < g.MinTrades:
		return fmt.Sprintf("trades %d < min_trades %d", r.Outcome.Trades, g.MinTrades)
	case g.MinSharpe != nil && math.IsNaN(r.Outcome.BestSharpeHourly):
		return fmt.Sprintf("sharpe undefined < min_sharpe %g", *g.MinSharpe)
	case g.MinSharpe != nil && r.Outcome.BestSharpeHourly < *g.MinSharpe:
		return fmt.Sprintf("sharpe %g < min_sharpe %g", r.Outcome.BestSharpeHourly, *g.MinSharpe)
	}
	return ""
}

// Rejected is a cell the guardrails dropped, with the reason.
type Rejected struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// Filter splits results into those passing g (order kept) and the rejected.
func (g Guardrails) Filter(rs []Result) (pass []Result, rejected []Rejected) {
	for _, r := range rs {
		if why := g.Check(r); why != "" {
			rejected = append(rejected, Rejected{Index: r.Cell.Index, Reason: why})
			continue
		}
		pass = append(pass, r)
	}
	return pass, rejected
}

// Rank sorts rs in place, best first: best_sharpe_hourly desc, then best_cum_ret
// desc, then trades desc, then generation order. NaN sorts after every number,
// so cells without trades never outrank real ones.
func Rank(rs []Result) {
	sort.SliceStable(rs, func(a, b int) bool { return Less(rs[a], rs[b]) })
}

// Less reports whether a ranks strictly before b.
func Less(a, b Result) bool {
	if c := cmpDesc(a.Outcome.BestSharpeHourly, b.Outcome.BestSharpeHourly); c != 0 {
		return c < 0
	}
	if c := cmpDesc(a.Outcome.BestCumRet, b.Outcome.BestCumRet); c != 0 {
		return c < 0
	}
	if a.Outcome.Trades != b.Outcome.Trades {
		return a.Outcome.Trades > b.Outcome.Trades
	}
	return a.Cell.Index < b.Cell.Index
}

// cmpDesc orders larger first and NaN last: -1 if x before y, 1 if after, 0 tie.
func cmpDesc(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x > y:
		return -1
	case x < y:
		return 1
	}
	return 0
}
