package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
)

type echoParams struct {
	N int `json:"n"`
}

func newRunner(t *testing.T, st jobs.Store, opt jobs.Options) *jobs.Runner {
	t.Helper()
	r := jobs.New(st, opt)
	if _, err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Close(ctx)
	})
	return r
}

func wait(t *testing.T, r *jobs.Runner, id int64) jobs.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	j, err := r.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait job %d: %v", id, err)
	}
	return j
}

// waitStatus polls until job id has status s (jobs started by another runner).
func waitStatus(t *testing.T, r *jobs.Runner, id int64, s jobs.Status) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		j, err := r.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == s {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d status %s, want %s", id, j.Status, s)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestSubmitCompletes(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{})
	jobs.Register(r, "double", jobs.Heavy, func(ctx context.Context, tk *jobs.Task, p echoParams) (any, error) {
		tk.Progress(0.5, "half way")
		return map[string]int{"n": 2 * p.N}, nil
	})
	j, err := r.Submit(context.Background(), "double", "alice", echoParams{N: 21})
	if err != nil {
		t.Fatal(err)
	}
	if j.ID == 0 || j.Status != jobs.Queued || j.User != "alice" {
		t.Fatalf("submitted %+v", j)
	}
	got := wait(t, r, j.ID)
	if got.Status != jobs.Completed || got.Progress != 1 || string(got.Result) != `{"n":42}` {
		t.Fatalf("final %+v result %s", got, got.Result)
	}
	if got.Attempts != 1 || got.StartedAt == nil || got.FinishedAt == nil || got.Error != "" {
		t.Fatalf("bookkeeping %+v", got)
	}
	if string(got.Params) != `{"n":21}` {
		t.Fatalf("params %s", got.Params)
	}
}

func TestUnknownKindAndMissingJob(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{})
	if _, err := r.Submit(context.Background(), "nope", "", nil); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, err := r.Get(context.Background(), 999); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing job: %v", err)
	}
	if _, err := r.Cancel(context.Background(), 999); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("cancel missing: %v", err)
	}
	if _, err := r.Retry(context.Background(), 999); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("retry missing: %v", err)
	}
}

func TestFailureThenRetry(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{})
	jobs.Register(r, "flaky", jobs.Light, func(ctx context.Context, tk *jobs.Task, p echoParams) (any, error) {
		if tk.Attempt == 1 {
			return nil, errors.New("disk on fire")
		}
		return p.N, nil
	})
	j, _ := r.Submit(context.Background(), "flaky", "bob", echoParams{N: 7})
	got := wait(t, r, j.ID)
	if got.Status != jobs.Failed || got.Error != "disk on fire" {
		t.Fatalf("first run %+v", got)
	}
	// Completed jobs cannot be retried; failed ones can.
	rj, err := r.Retry(context.Background(), j.ID)
	if err != nil || rj.ID != j.ID || rj.Status != jobs.Queued {
		t.Fatalf("retry %+v %v", rj, err)
	}
	got = wait(t, r, j.ID)
	if got.Status != jobs.Completed || string(got.Result) != "7" || got.Attempts != 2 || got.Error != "" {
		t.Fatalf("after retry %+v", got)
	}
	if _, err := r.Retry(context.Background(), j.ID); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("retry completed: %v", err)
	}
}

func TestPanicBecomesFailure(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{})
	r.Handle("boom", jobs.Heavy, func(ctx context.Context, tk *jobs.Task, _ json.RawMessage) (any, error) { panic("kaboom") })
	j, _ := r.Submit(context.Background(), "boom", "", nil)
	got := wait(t, r, j.ID)
	if got.Status != jobs.Failed || got.Error == "" {
		t.Fatalf("%+v", got)
	}
}

func TestBadParamsFail(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{})
	jobs.Register(r, "typed", jobs.Heavy, func(ctx context.Context, tk *jobs.Task, p echoParams) (any, error) { return p.N, nil })
	j, _ := r.Submit(context.Background(), "typed", "", map[string]string{"n": "not a number"})
	if got := wait(t, r, j.ID); got.Status != jobs.Failed {
		t.Fatalf("%+v", got)
	}
}

// blocker is a handler that reports it started and then waits for release or ctx.
type blocker struct {
	started chan int64
	release chan struct{}
	running atomic.Int32
	peak    atomic.Int32
}

func newBlocker() *blocker {
	return &blocker{started: make(chan int64, 64), release: make(chan struct{})}
}

func (b *blocker) handle(ctx context.Context, tk *jobs.Task, _ echoParams) (any, error) {
	n := b.running.Add(1)
	defer b.running.Add(-1)
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			break
		}
	}
	b.started <- tk.JobID
	steps := 0
	for {
		select {
		case <-ctx.Done():
			return map[string]int{"steps_done": steps}, ctx.Err()
		case <-b.release:
			return map[string]int{"steps_done": steps}, nil
		case <-time.After(time.Millisecond):
			steps++
			tk.Progress(float64(steps%100)/100, "working")
		}
	}
}

func TestCancelRunningKeepsPartialResult(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{})
	b := newBlocker()
	jobs.Register(r, "block", jobs.Heavy, b.handle)
	j, _ := r.Submit(context.Background(), "block", "", nil)
	<-b.started
	time.Sleep(20 * time.Millisecond)
	t0 := time.Now()
	if _, err := r.Cancel(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	got := wait(t, r, j.ID)
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("cancel took %v", d)
	}
	if got.Status != jobs.Cancelled || len(got.Result) == 0 {
		t.Fatalf("%+v", got)
	}
	if _, err := r.Cancel(context.Background(), j.ID); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("second cancel: %v", err)
	}
	// A cancelled job can be retried.
	if _, err := r.Retry(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	<-b.started
	close(b.release)
	if got := wait(t, r, j.ID); got.Status != jobs.Completed || got.Attempts != 2 {
		t.Fatalf("retried %+v", got)
	}
}

func TestPoolBoundAndQueuedCancel(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{HeavyLimit: 2})
	b := newBlocker()
	jobs.Register(r, "block", jobs.Heavy, b.handle)
	var ids []int64
	for i := 0; i < 5; i++ {
		j, err := r.Submit(context.Background(), "block", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	<-b.started
	<-b.started
	time.Sleep(20 * time.Millisecond)
	if got, _ := r.Get(context.Background(), ids[4]); got.Status != jobs.Queued {
		t.Fatalf("5th job %s, want queued", got.Status)
	}
	if st := r.Stats(); st.Running["block"] != 2 || st.Queued["block"] != 3 {
		t.Fatalf("stats %+v", st)
	}
	// Cancelling a queued job finishes it at once without running it, and
	// releases anyone waiting for it.
	waited := make(chan jobs.Job, 1)
	go func() { j, _ := r.Wait(context.Background(), ids[4]); waited <- j }()
	time.Sleep(10 * time.Millisecond)
	cj, err := r.Cancel(context.Background(), ids[4])
	if err != nil || cj.Status != jobs.Cancelled {
		t.Fatalf("cancel queued %+v %v", cj, err)
	}
	select {
	case j := <-waited:
		if j.Status != jobs.Cancelled {
			t.Fatalf("waiter saw %+v", j)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("waiter not released by cancelling a queued job")
	}
	close(b.release)
	for _, id := range ids[:4] {
		if got := wait(t, r, id); got.Status != jobs.Completed {
			t.Fatalf("job %d %s", id, got.Status)
		}
	}
	if p := b.peak.Load(); p != 2 {
		t.Fatalf("peak concurrency %d, want 2", p)
	}
	if got, _ := r.Get(context.Background(), ids[4]); got.Status != jobs.Cancelled || got.StartedAt != nil {
		t.Fatalf("queued-cancelled job %+v", got)
	}
}

// fakeClock advances only when told, so throttling is tested without sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestProgressThrottled(t *testing.T) {
	st := newTestStore(t)
	clk := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r := newRunner(t, st.Store, jobs.Options{Now: clk.Now, FlushEvery: 200 * time.Millisecond})
	mid := make(chan jobs.Job, 1)
	jobs.Register(r, "steps", jobs.Heavy, func(ctx context.Context, tk *jobs.Task, p echoParams) (any, error) {
		for i := 1; i <= 1000; i++ {
			clk.Add(time.Millisecond) // 1000 steps over one simulated second
			tk.Progress(float64(i)/1000, "")
			if i == 500 {
				live, _ := r.Get(ctx, tk.JobID)
				mid <- live
			}
		}
		return nil, nil
	})
	before := st.Puts()
	j, _ := r.Submit(context.Background(), "steps", "", nil)
	got := wait(t, r, j.ID)
	if got.Status != jobs.Completed {
		t.Fatalf("%+v", got)
	}
	live := <-mid
	if live.Progress != 0.5 || live.Status != jobs.Running {
		t.Fatalf("live view %+v", live)
	}
	// start + 5 throttled progress writes + finish; never one per step.
	if n := st.Puts() - before; n > 8 {
		t.Fatalf("%d store writes for 1000 progress steps in 1 s", n)
	}
	if got.CreatedAt != clk.now.Add(-time.Second) && got.CreatedAt.IsZero() {
		t.Fatalf("clock not injected: %v", got.CreatedAt)
	}
}

func TestListOwnJobs(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{})
	jobs.Register(r, "noop", jobs.Light, func(ctx context.Context, tk *jobs.Task, p echoParams) (any, error) { return nil, nil })
	var last int64
	for i, u := range []string{"a", "b", "a", "a"} {
		j, _ := r.Submit(context.Background(), "noop", u, echoParams{N: i})
		last = j.ID
		wait(t, r, j.ID)
	}
	rows, total, err := r.List(context.Background(), jobs.Filter{User: "a", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(rows) != 2 || rows[0].ID != last || rows[0].ID < rows[1].ID {
		t.Fatalf("total %d rows %+v", total, rows)
	}
	rows, _, _ = r.List(context.Background(), jobs.Filter{User: "a", Limit: 2, Offset: 2})
	if len(rows) != 1 || rows[0].User != "a" {
		t.Fatalf("page 2 %+v", rows)
	}
}

// TestCrashThenRestart simulates a process that dies mid-job: the first runner
// is abandoned (its store closed under it, as kill -9 would), a new runner on the
// reopened store marks the job interrupted, and a retry completes it.
func TestCrashThenRestart(t *testing.T) {
	st := newTestStore(t)
	r1 := jobs.New(st.Store, jobs.Options{Logger: quietLogger()})
	if _, err := r1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBlocker()
	jobs.Register(r1, "block", jobs.Heavy, b.handle)
	run, _ := r1.Submit(context.Background(), "block", "u", echoParams{N: 1})
	<-b.started
	// A second job still waiting for a slot when the process dies.
	queued := jobs.Job{Kind: "block", Status: jobs.Queued, User: "u", CreatedAt: time.Now().UTC()}
	if err := st.Store.CreateJob(context.Background(), &queued); err != nil {
		t.Fatal(err)
	}

	st.Crash() // the process is gone: nothing more reaches the old store
	defer func() { _ = r1.Close(context.Background()) }()

	st2 := st.Reopen(t)
	r2 := newRunner(t, st2.Store, jobs.Options{})
	jobs.Register(r2, "block", jobs.Heavy, func(ctx context.Context, tk *jobs.Task, p echoParams) (any, error) {
		return map[string]int{"n": p.N, "attempt": tk.Attempt}, nil
	})
	for _, id := range []int64{run.ID, queued.ID} {
		j, err := r2.Get(context.Background(), id)
		if err != nil || j.Status != jobs.Interrupted || j.FinishedAt == nil {
			t.Fatalf("after restart job %d: %+v %v", id, j, err)
		}
	}
	if _, err := r2.Retry(context.Background(), run.ID); err != nil {
		t.Fatal(err)
	}
	got := wait(t, r2, run.ID)
	if got.Status != jobs.Completed || string(got.Result) != `{"attempt":2,"n":1}` {
		t.Fatalf("retried %+v %s", got, got.Result)
	}
}

// TestGracefulCloseInterrupts: a clean shutdown records running jobs as
// interrupted (retryable), not failed or cancelled.
func TestGracefulCloseInterrupts(t *testing.T) {
	st := newTestStore(t)
	r := jobs.New(st.Store, jobs.Options{HeavyLimit: 1})
	if _, err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBlocker()
	jobs.Register(r, "block", jobs.Heavy, b.handle)
	j1, _ := r.Submit(context.Background(), "block", "", nil)
	j2, _ := r.Submit(context.Background(), "block", "", nil)
	<-b.started
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{j1.ID, j2.ID} {
		got, err := st.Store.GetJob(context.Background(), id)
		if err != nil || got.Status != jobs.Interrupted {
			t.Fatalf("job %d %+v %v", id, got, err)
		}
	}
	if _, err := r.Submit(context.Background(), "block", "", nil); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("submit after close: %v", err)
	}
}

// TestFailureHidesServerPaths: a failed job's error, shown to clients, names
// files by base name, never by the server's absolute path.
func TestFailureHidesServerPaths(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{})
	jobs.Register(r, "leaky", jobs.Light, func(ctx context.Context, tk *jobs.Task, p echoParams) (any, error) {
		return nil, errors.New(`write out_csv: open /srv/sigma/data/exports/a/b.csv: permission denied; see http://x/y/z, 1/2 done, "/var/tmp/q.json"`)
	})
	j, _ := r.Submit(context.Background(), "leaky", "bob", echoParams{N: 1})
	got := wait(t, r, j.ID)
	want := `write out_csv: open b.csv: permission denied; see http://x/y/z, 1/2 done, "q.json"`
	if got.Status != jobs.Failed || got.Error != want {
		t.Fatalf("error %q, want %q", got.Error, want)
	}
}
