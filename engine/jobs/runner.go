package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"time"

	"sigmalab/engine/errs"
)

// Class groups kinds that share a concurrency limit.
type Class int

const (
	// Heavy jobs (training, backtests, sweeps, builds) each keep cores busy; at
	// most Options.HeavyLimit run at once.
	Heavy Class = iota
	// Light jobs (imports, exports) are mostly I/O; they have their own limit so a
	// queue of heavy work never starves them.
	Light
)

// Handler does the work of one job. params are the JSON the job was submitted
// with. It must return promptly once ctx is done; the runner records the outcome.
type Handler func(ctx context.Context, t *Task, params json.RawMessage) (any, error)

// Register adds kind to r with a handler that receives its params decoded into P.
// It is the one line other use cases need; see the package doc.
func Register[P any](r *Runner, kind string, class Class, fn func(ctx context.Context, t *Task, params P) (any, error)) {
	r.Handle(kind, class, func(ctx context.Context, t *Task, raw json.RawMessage) (any, error) {
		var p P
		if len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, fmt.Errorf("decode %s params: %w", kind, errs.ErrInvalid)
			}
		}
		return fn(ctx, t, p)
	})
}

// DefaultMaxQueued bounds the jobs of one class waiting for a slot, and
// separately the synchronous callers waiting in Acquire.
const DefaultMaxQueued = 64

// busyRetryAfter is the Retry-After hint of a *BusyError.
const busyRetryAfter = 5 * time.Second

// Options configure a Runner. Zero values take the documented defaults.
type Options struct {
	HeavyLimit int // default runtime.NumCPU()
	LightLimit int // default 2
	// MaxQueued bounds the jobs of one class waiting for a slot (Submit and
	// Retry beyond it fail with a *BusyError) and, counted apart, the callers
	// waiting in Acquire; default DefaultMaxQueued.
	MaxQueued  int
	FlushEvery time.Duration          // min interval between progress writes; default 200ms (≤5 writes/s)
	Now        func() time.Time       // clock; default time.Now (UTC)
	Logger     *slog.Logger           // default slog.Default()
	OnFinish   func(j Job)            // optional hook after a job's final state is stored
	Context    func() context.Context // base context for job runs; default context.Background
}

type kindEntry struct {
	class   Class
	handler Handler
}

// Runner schedules registered kinds over bounded pools and persists every state
// change to its Store.
type Runner struct {
	store Store
	opt   Options
	log   *slog.Logger

	retryMu sync.Mutex
	mu      sync.Mutex
	kinds   map[string]kindEntry
	pending [2][]pending // FIFO per class: queued jobs and waiting Acquire callers
	queued  [2]int       // jobs in pending, plus submits between their check and their row
	waiting int          // Acquire callers in pending
	busy    [2]int
	live    map[int64]*Task // queued or running in this process
	closing bool
	wg      sync.WaitGroup
}

// Causes of a job context's cancellation (context.Cause(ctx)), so a handler can
// tell a user's cancel from a shutdown and record its own rows accordingly.
var (
	ErrCancelRequested = fmt.Errorf("cancelled by request: %w", errs.ErrCancelled)
	ErrShutdown        = errors.New("interrupted by shutdown")
)

// New returns a runner over store. Call Start before submitting.
func New(store Store, opt Options) *Runner {
	if opt.HeavyLimit <= 0 {
		opt.HeavyLimit = runtime.NumCPU()
	}
	if opt.LightLimit <= 0 {
		opt.LightLimit = 2
	}
	if opt.MaxQueued <= 0 {
		opt.MaxQueued = DefaultMaxQueued
	}
	if opt.FlushEvery <= 0 {
		opt.FlushEvery = 200 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Now().UTC() }
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Context == nil {
		opt.Context = context.Background
	}
	return &Runner{store: store, opt: opt, log: opt.Logger, kinds: map[string]kindEntry{}, live: map[int64]*Task{}}
}

// Handle registers a raw handler for kind; a second registration replaces the first.
func (r *Runner) Handle(kind string, class Class, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds[kind] = kindEntry{class: class, handler: h}
}

// Start marks jobs a previous process left queued or running as interrupted.
// It must run before the first Submit.
func (r *Runner) Start(ctx context.Context) (int, error) {
	n, err := r.store.InterruptJobs(ctx, r.opt.Now(), "interrupted: the server stopped before the job finished; retry to run it again")
	if err != nil {
		return 0, fmt.Errorf("mark interrupted jobs: %w", err)
	}
	if n > 0 {
		r.log.Info("jobs interrupted by previous shutdown", "count", n)
	}
	return n, nil
}

// Submit stores a queued job of kind with params (marshalled to JSON) and
// schedules it. It returns the stored record.
func (r *Runner) Submit(ctx context.Context, kind, user string, params any) (Job, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return Job{}, errs.Invalidf("job params: %v", err)
	}
	// The queue place is taken before the row is written, so a refused submit
	// leaves no job behind.
	if err := r.reserve(kind); err != nil {
		return Job{}, err
	}
	j := Job{Kind: kind, Status: Queued, Params: raw, User: user, CreatedAt: r.opt.Now()}
	if err := r.store.CreateJob(ctx, &j); err != nil {
		r.unreserve(kind)
		return Job{}, fmt.Errorf("create job: %w", err)
	}
	r.enqueue(j)
	return j, nil
}

// reserve takes a place in kind's queue, failing when the kind is unknown, the
// runner is closing or MaxQueued jobs of its class already wait. enqueue or
// unreserve gives the place back.
func (r *Runner) reserve(kind string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.kinds[kind]
	switch {
	case !ok:
		return errs.Invalidf("unknown job kind %q", kind)
	case r.closing:
		return fmt.Errorf("job runner is shutting down: %w", errs.ErrConflict)
	case r.queued[e.class] >= r.opt.MaxQueued:
		return &BusyError{QueueFull: true, RetryAfter: busyRetryAfter,
			Msg: fmt.Sprintf("job queue is full (%d waiting); retry later", r.queued[e.class])}
	}
	r.queued[e.class]++
	return nil
}

func (r *Runner) unreserve(kind string) {
	r.mu.Lock()
	r.queued[r.kinds[kind].class]--
	r.mu.Unlock()
}

// Retry re-queues a failed, cancelled or interrupted job under the same id with
// its original params; Attempts grows by one when it starts.
func (r *Runner) Retry(ctx context.Context, id int64) (Job, error) {
	// One retry at a time, so two concurrent retries cannot both re-queue the job.
	r.retryMu.Lock()
	defer r.retryMu.Unlock()
	r.mu.Lock()
	if _, busy := r.live[id]; busy {
		r.mu.Unlock()
		return Job{}, fmt.Errorf("job %d is still active: %w", id, errs.ErrConflict)
	}
	closing := r.closing
	r.mu.Unlock()
	if closing {
		return Job{}, fmt.Errorf("job runner is shutting down: %w", errs.ErrConflict)
	}
	j, err := r.store.GetJob(ctx, id)
	if err != nil {
		return Job{}, err
	}
	if !j.Status.Retryable() {
		return Job{}, fmt.Errorf("job %d is %s; only failed, cancelled or interrupted jobs can be retried: %w", id, j.Status, errs.ErrConflict)
	}
	r.mu.Lock()
	_, ok := r.kinds[j.Kind]
	r.mu.Unlock()
	if !ok {
		return Job{}, fmt.Errorf("job %d: kind %q is not registered: %w", id, j.Kind, errs.ErrConflict)
	}
	if err := r.reserve(j.Kind); err != nil {
		return Job{}, err
	}
	j.Status, j.Progress, j.Message, j.Error = Queued, 0, "retry queued", ""
	j.StartedAt, j.FinishedAt = nil, nil
	if err := r.store.PutJob(ctx, &j); err != nil {
		r.unreserve(j.Kind)
		return Job{}, fmt.Errorf("requeue job %d: %w", id, err)
	}
	r.enqueue(j)
	return j, nil
}

// Cancel stops a queued or running job. A queued job is cancelled at once; a
// running one has its context cancelled and is recorded cancelled when its
// handler returns (keeping any partial result it returns).
func (r *Runner) Cancel(ctx context.Context, id int64) (Job, error) {
	r.mu.Lock()
	t, ok := r.live[id]
	if ok && !t.started {
		// Still waiting for a slot: drop it from the queue and finish it here.
		r.removePending(t.class, id)
		r.queued[t.class]--
		delete(r.live, id)
		r.mu.Unlock()
		t.cancel(ErrCancelRequested)
		j := t.job
		now := r.opt.Now()
		j.Status, j.Message, j.Error, j.FinishedAt = Cancelled, "cancelled before it started", ErrCancelRequested.Error(), &now
		err := r.store.PutJob(ctx, &j)
		close(t.done)
		if err != nil {
			return Job{}, fmt.Errorf("cancel job %d: %w", id, err)
		}
		r.finished(j)
		return j, nil
	}
	r.mu.Unlock()
	if ok {
		t.cancel(ErrCancelRequested)
		t.mu.Lock()
		if !t.closed {
			t.job.Message = "cancel requested"
		}
		t.mu.Unlock()
		return t.snapshot(), nil
	}
	j, err := r.store.GetJob(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return Job{}, fmt.Errorf("job %d is already %s: %w", id, j.Status, errs.ErrConflict)
}

// Get returns a job, with live progress for jobs running in this process (the
// stored copy lags by at most FlushEvery).
func (r *Runner) Get(ctx context.Context, id int64) (Job, error) {
	r.mu.Lock()
	t, ok := r.live[id]
	r.mu.Unlock()
	if ok {
		return t.snapshot(), nil
	}
	return r.store.GetJob(ctx, id)
}

// List returns stored jobs matching f (newest first) with live progress merged in,
// and the total count of matches.
func (r *Runner) List(ctx context.Context, f Filter) ([]Job, int, error) {
	rows, total, err := r.store.ListJobs(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	r.mu.Lock()
	tasks := make([]*Task, len(rows))
	for i := range rows {
		tasks[i] = r.live[rows[i].ID]
	}
	r.mu.Unlock()
	for i, t := range tasks {
		if t != nil {
			rows[i] = t.snapshot()
		}
	}
	return rows, total, nil
}

// Wait blocks until job id reaches a terminal state in this process (or ctx is
// done) and returns its final record.
func (r *Runner) Wait(ctx context.Context, id int64) (Job, error) {
	r.mu.Lock()
	t, ok := r.live[id]
	r.mu.Unlock()
	if ok {
		select {
		case <-t.done:
		case <-ctx.Done():
			return Job{}, ctx.Err()
		}
	}
	return r.store.GetJob(ctx, id)
}

// Close stops accepting work, marks queued jobs interrupted, cancels running ones
// (recorded interrupted, so they can be retried) and waits for their handlers to
// return or ctx to end.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	var queued, running []*Task
	for _, t := range r.live {
		if t.started {
			running = append(running, t)
		} else {
			queued = append(queued, t)
		}
	}
	for c := range r.pending {
		for _, p := range r.pending[c] {
			if p.w != nil {
				close(p.w.ch) // refused: granted stays false
			}
		}
	}
	r.pending = [2][]pending{}
	r.queued, r.waiting = [2]int{}, 0
	for _, t := range queued {
		delete(r.live, t.job.ID)
	}
	r.mu.Unlock()

	now := r.opt.Now()
	for _, t := range queued {
		t.cancel(ErrShutdown)
		j := t.job
		j.Status, j.Message, j.FinishedAt = Interrupted, "interrupted: the server stopped before the job started", &now
		if err := r.store.PutJob(ctx, &j); err != nil {
			r.log.Error("store interrupted job", "job", j.ID, "err", err)
		}
		close(t.done)
	}
	for _, t := range running {
		t.cancel(ErrShutdown)
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs still running at shutdown: %w", ctx.Err())
	}
}

func (r *Runner) enqueue(j Job) {
	r.mu.Lock()
	e := r.kinds[j.Kind]
	ctx, cancel := context.WithCancelCause(r.opt.Context())
	t := &Task{JobID: j.ID, User: j.User, Attempt: j.Attempts + 1, r: r, job: j, class: e.class,
		ctx: ctx, cancel: cancel, done: make(chan struct{})}
	r.live[j.ID] = t
	r.pending[e.class] = append(r.pending[e.class], pending{id: j.ID})
	if !r.closing {
		r.dispatchLocked()
	}
	r.mu.Unlock()
}

// pending is one place in a class's FIFO: a queued job (id) or a synchronous
// caller waiting in Acquire (w).
type pending struct {
	id int64
	w  *waiter
}

// waiter is an Acquire caller's place: ch is closed when it is granted a slot
// (granted set) or refused by Close.
type waiter struct {
	ch      chan struct{}
	granted bool
}

// BusyError is returned when work is refused for lack of capacity: a full job
// queue or wait line (QueueFull), or no slot within the caller's wait bound.
// It wraps errs.ErrRateLimited.
type BusyError struct {
	Msg        string
	QueueFull  bool
	RetryAfter time.Duration // when a client may usefully try again
}

func (e *BusyError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, errs.ErrRateLimited) hold.
func (e *BusyError) Unwrap() error { return errs.ErrRateLimited }

// Acquire takes a slot of class for synchronous work (an HTTP request that
// computes inline), so requests and jobs share one bounded pool. It waits in
// the same FIFO as queued jobs, for at most wait (0: only a free slot will do).
// It fails with a *BusyError when no slot came within wait or MaxQueued callers
// already wait, with ctx's error when ctx ends first, and with errs.ErrConflict
// when the runner closes. The returned release gives the slot back; calling it
// more than once is harmless.
func (r *Runner) Acquire(ctx context.Context, class Class, wait time.Duration) (release func(), err error) {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return nil, fmt.Errorf("job runner is shutting down: %w", errs.ErrConflict)
	}
	if len(r.pending[class]) == 0 && r.busy[class] < r.limit(class) {
		r.busy[class]++
		r.mu.Unlock()
		return r.releaser(class), nil
	}
	if wait <= 0 || r.waiting >= r.opt.MaxQueued {
		n := r.waiting
		r.mu.Unlock()
		if wait <= 0 {
			return nil, &BusyError{RetryAfter: busyRetryAfter, Msg: "server busy: no free slot for this work; retry later"}
		}
		return nil, &BusyError{QueueFull: true, RetryAfter: busyRetryAfter,
			Msg: fmt.Sprintf("server busy: %d requests already wait for a slot; retry later", n)}
	}
	w := &waiter{ch: make(chan struct{})}
	r.pending[class] = append(r.pending[class], pending{w: w})
	r.waiting++
	r.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	var cause error
	select {
	case <-w.ch:
	case <-timer.C:
		cause = &BusyError{RetryAfter: busyRetryAfter,
			Msg: fmt.Sprintf("server busy: no free slot for this work within %s; retry later", wait)}
	case <-ctx.Done():
		cause = ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cause != nil && !w.granted {
		r.removeWaiter(class, w)
	}
	switch {
	case w.granted && cause == nil:
		return r.releaser(class), nil
	case w.granted: // granted while giving up: hand the slot on
		r.busy[class]--
		if !r.closing {
			r.dispatchLocked()
		}
		return nil, cause
	case cause == nil: // woken by Close
		return nil, fmt.Errorf("job runner is shutting down: %w", errs.ErrConflict)
	}
	return nil, cause
}

// releaser returns the once-only release of a slot of class held by a caller.
func (r *Runner) releaser(class Class) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.busy[class]--
			if !r.closing {
				r.dispatchLocked()
			}
			r.mu.Unlock()
		})
	}
}

func (r *Runner) removeWaiter(c Class, w *waiter) {
	q := r.pending[c]
	for i, v := range q {
		if v.w == w {
			r.pending[c] = append(q[:i:i], q[i+1:]...)
			r.waiting--
			return
		}
	}
}

func (r *Runner) limit(c Class) int {
	if c == Light {
		return r.opt.LightLimit
	}
	return r.opt.HeavyLimit
}

// dispatchLocked starts queued jobs, and wakes waiting Acquire callers, in
// FIFO order while their class has free slots.
func (r *Runner) dispatchLocked() {
	for c := range r.pending {
		for len(r.pending[c]) > 0 && r.busy[c] < r.limit(Class(c)) {
			p := r.pending[c][0]
			r.pending[c] = r.pending[c][1:]
			if p.w != nil {
				r.waiting--
				r.busy[c]++
				p.w.granted = true
				close(p.w.ch)
				continue
			}
			r.queued[c]--
			t, ok := r.live[p.id]
			if !ok {
				continue
			}
			t.started = true
			r.busy[c]++
			r.wg.Add(1)
			go r.run(t, r.kinds[t.job.Kind].handler)
		}
	}
}

func (r *Runner) removePending(c Class, id int64) {
	q := r.pending[c]
	for i, v := range q {
		if v.w == nil && v.id == id {
			r.pending[c] = append(q[:i:i], q[i+1:]...)
			return
		}
	}
}

func (r *Runner) run(t *Task, h Handler) {
	defer r.wg.Done()
	now := r.opt.Now()
	t.mu.Lock()
	t.job.Status, t.job.Attempts, t.job.StartedAt, t.job.FinishedAt = Running, t.Attempt, &now, nil
	t.job.Progress, t.job.Message, t.job.Error, t.job.Result = 0, "running", "", nil
	t.lastFlush = now
	j := t.job
	err := r.store.PutJob(context.Background(), &j)
	t.mu.Unlock()
	if err != nil {
		r.log.Error("store running job", "job", j.ID, "err", err)
	}

	res, herr := r.call(t, h)

	var raw json.RawMessage
	if res != nil {
		if b, err := json.Marshal(res); err != nil {
			herr = errors.Join(herr, fmt.Errorf("encode result: %w", err))
		} else {
			raw = b
		}
	}
	cause := context.Cause(t.ctx)
	end := r.opt.Now()

	t.mu.Lock()
	t.closed = true
	t.job.FinishedAt, t.job.Result = &end, raw
	switch {
	case errors.Is(cause, ErrCancelRequested):
		t.job.Status, t.job.Message, t.job.Error = Cancelled, "cancelled", ErrCancelRequested.Error()
	case errors.Is(cause, ErrShutdown):
		t.job.Status, t.job.Message, t.job.Error = Interrupted, "interrupted: the server stopped before the job finished; retry to run it again", ErrShutdown.Error()
	case herr != nil:
		// Job errors are shown to clients (GET /jobs/{id}); server paths in
		// them are cut to their base names, the full text goes to the log.
		msg := herr.Error()
		if clean := hideAbsPaths(msg); clean != msg {
			r.log.Warn("job failed", "job", t.JobID, "kind", t.job.Kind, "err", msg)
			msg = clean
		}
		t.job.Status, t.job.Message, t.job.Error = Failed, "failed", msg
	default:
		t.job.Status, t.job.Progress, t.job.Message = Completed, 1, "completed"
	}
	j = t.job
	err = r.store.PutJob(context.Background(), &j)
	t.mu.Unlock()
	if err != nil {
		r.log.Error("store finished job", "job", j.ID, "status", j.Status, "err", err)
	}
	t.cancel(nil)

	r.mu.Lock()
	delete(r.live, t.JobID)
	r.busy[t.class]--
	if !r.closing {
		r.dispatchLocked()
	}
	r.mu.Unlock()
	close(t.done)
	r.finished(j)
}

// absPathRE matches an absolute path of two or more components where a path
// can start (line start, after a space, quote, parenthesis, colon or '=');
// URLs and ratios such as 1/2 do not match.
var absPathRE = regexp.MustCompile(`(^|[\s"'(:=])(/[^\s"'/:]+){2,}`)

// hideAbsPaths replaces absolute paths in msg by their base names.
func hideAbsPaths(msg string) string {
	return absPathRE.ReplaceAllStringFunc(msg, func(p string) string {
		lead := ""
		if p[0] != '/' {
			lead, p = p[:1], p[1:]
		}
		return lead + filepath.Base(p)
	})
}

// call runs h, turning a panic into a failure so one bad job cannot stop the server.
func (r *Runner) call(t *Task, h Handler) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("job panicked", "job", t.JobID, "panic", p)
			res, err = nil, fmt.Errorf("internal error in job: %v", p)
		}
	}()
	return h(t.ctx, t, t.job.Params)
}

func (r *Runner) finished(j Job) {
	if r.opt.OnFinish != nil {
		r.opt.OnFinish(j)
	}
}

// Task is the handle a running handler gets: its job id, attempt number, user,
// and a throttled progress reporter.
type Task struct {
	JobID   int64
	User    string
	Attempt int // 1 for the first run, 2 for the first retry, …

	r      *Runner
	class  Class
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}

	mu        sync.Mutex
	job       Job
	started   bool // guarded by Runner.mu
	closed    bool // final state written; later progress is ignored
	lastFlush time.Time
}

// Progress records the fraction done (clamped to 0..1) and a message. It is cheap
// to call per step: the store is written at most once per Options.FlushEvery, and
// readers through Runner.Get see the latest value at once. Safe for concurrent use.
func (t *Task) Progress(frac float64, msg string) {
	if t == nil {
		return
	}
	if !(frac >= 0) { // also catches NaN
		frac = 0
	}
	if frac > 1 {
		frac = 1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.job.Progress = frac
	if msg != "" {
		t.job.Message = msg
	}
	now := t.r.opt.Now()
	if now.Sub(t.lastFlush) < t.r.opt.FlushEvery {
		return
	}
	t.lastFlush = now
	j := t.job
	// Written under t.mu so a progress write can never land after the final state.
	if err := t.r.store.PutJob(context.Background(), &j); err != nil {
		t.r.log.Warn("store job progress", "job", j.ID, "err", err)
	}
}

func (t *Task) snapshot() Job {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.job
}

// Stats counts the jobs this process holds, for metrics and health pages.
type Stats struct {
	Queued  map[string]int `json:"queued"`  // by kind
	Running map[string]int `json:"running"` // by kind
	Waiting int            `json:"waiting"` // synchronous callers waiting in Acquire
}

// Stats returns the queued and running jobs of this process by kind.
func (r *Runner) Stats() Stats {
	s := Stats{Queued: map[string]int{}, Running: map[string]int{}}
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Waiting = r.waiting
	for _, t := range r.live {
		if t.started {
			s.Running[t.job.Kind]++
		} else {
			s.Queued[t.job.Kind]++
		}
	}
	return s
}
