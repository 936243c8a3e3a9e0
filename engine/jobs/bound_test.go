package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
)

// blockKind registers a heavy kind whose runs wait on release (or their context).
func blockKind(r *jobs.Runner, release <-chan struct{}) {
	jobs.Register(r, "block", jobs.Heavy, func(ctx context.Context, _ *jobs.Task, _ echoParams) (any, error) {
		select {
		case <-release:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
}

// TestSubmitQueueBounded fills the heavy pool and its queue: the next submit
// is refused with a *BusyError (no job row left behind), and a slot freed by a
// cancel lets the next one in.
func TestSubmitQueueBounded(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{HeavyLimit: 1, MaxQueued: 2})
	release := make(chan struct{})
	defer close(release)
	blockKind(r, release)
	ctx := context.Background()
	var ids []int64
	for i := 0; i < 3; i++ { // one running, two queued
		j, err := r.Submit(ctx, "block", "", echoParams{N: i})
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		ids = append(ids, j.ID)
	}
	_, err := r.Submit(ctx, "block", "", echoParams{N: 9})
	var be *jobs.BusyError
	if !errors.As(err, &be) || !be.QueueFull || be.RetryAfter <= 0 || !errors.Is(err, errs.ErrRateLimited) {
		t.Fatalf("4th submit: %v, want a full-queue BusyError", err)
	}
	if _, total, err := r.List(ctx, jobs.Filter{}); err != nil || total != 3 {
		t.Fatalf("refused submit left a row: total %d, %v", total, err)
	}
	// Retry is bounded by the same queue.
	if _, err := r.Cancel(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Submit(ctx, "block", "", echoParams{N: 10}); err != nil {
		t.Fatalf("submit after a cancel freed the queue: %v", err)
	}
	if _, err := r.Retry(ctx, ids[2]); !errors.As(err, &be) {
		t.Fatalf("retry into a full queue: %v", err)
	}
	if j, _ := r.Get(ctx, ids[2]); j.Status != jobs.Cancelled {
		t.Fatalf("refused retry changed the job: %s", j.Status)
	}
}

// TestAcquireSharesHeavyPool: synchronous work takes slots of the same pool as
// jobs, in the same FIFO; a caller that cannot get one within its wait gets a
// *BusyError, and a full wait line refuses at once.
func TestAcquireSharesHeavyPool(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{HeavyLimit: 1, MaxQueued: 1})
	release := make(chan struct{})
	blockKind(r, release)
	ctx := context.Background()
	j, err := r.Submit(ctx, "block", "", echoParams{})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, r, j.ID, jobs.Running)

	// The only slot is held by the job: a short wait times out.
	start := time.Now()
	_, err = r.Acquire(ctx, jobs.Heavy, 50*time.Millisecond)
	var be *jobs.BusyError
	if !errors.As(err, &be) || be.QueueFull {
		t.Fatalf("acquire with the pool busy: %v, want a wait BusyError", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Fatalf("acquire gave up after %s", d)
	}

	// One caller waits; with MaxQueued 1 a second one is refused at once.
	got := make(chan func(), 1)
	go func() {
		rel, err := r.Acquire(ctx, jobs.Heavy, 5*time.Second)
		if err != nil {
			t.Error(err)
			got <- nil
			return
		}
		got <- rel
	}()
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().Waiting == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the caller never waited")
		}
		time.Sleep(time.Millisecond)
	}
	start = time.Now()
	if _, err := r.Acquire(ctx, jobs.Heavy, 5*time.Second); !errors.As(err, &be) || !be.QueueFull {
		t.Fatalf("acquire with the wait line full: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("a full wait line must refuse at once")
	}
	// A job submitted now queues behind the waiting caller (FIFO, one pool).
	j2, err := r.Submit(ctx, "block", "", echoParams{N: 2})
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	rel := <-got
	if rel == nil {
		t.FailNow()
	}
	if s := r.Stats(); s.Running["block"] != 0 || s.Queued["block"] != 1 {
		t.Fatalf("while the caller holds the slot: %+v", s)
	}
	rel()
	rel() // a second release is a no-op
	if got := wait(t, r, j2.ID); got.Status != jobs.Completed {
		t.Fatalf("job behind the caller: %s", got.Status)
	}
	// Light work has its own pool: it does not wait for heavy slots.
	relL, err := r.Acquire(ctx, jobs.Light, 0)
	if err != nil {
		t.Fatal(err)
	}
	relL()
}

// TestAcquireContextAndClose: a caller whose context ends stops waiting with
// the context's error, and Close refuses waiting callers.
func TestAcquireContextAndClose(t *testing.T) {
	st := newTestStore(t)
	r := newRunner(t, st.Store, jobs.Options{HeavyLimit: 1})
	hold, err := r.Acquire(context.Background(), jobs.Heavy, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := r.Acquire(ctx, jobs.Heavy, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire after ctx end: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var werr error
	go func() {
		defer wg.Done()
		_, werr = r.Acquire(context.Background(), jobs.Heavy, time.Minute)
	}()
	for r.Stats().Waiting == 0 {
		time.Sleep(time.Millisecond)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	if err := r.Close(cctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if !errors.Is(werr, errs.ErrConflict) {
		t.Fatalf("waiting caller at close: %v", werr)
	}
}
