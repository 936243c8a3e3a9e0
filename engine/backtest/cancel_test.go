package backtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt"
)

// TestTrainCancellable: a cancel returns at once even while a fold's training
// has not yet reached its next stop check (gbdt Options.Stop is asked only
// between boosting rounds; the blocked train func stands for a long round);
// without a cancel the model comes back, and a panic in training is an error.
func TestTrainCancellable(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	t0 := time.Now()
	_, err := trainCancellable(ctx, func() (*gbdt.Model, error) { <-release; return &gbdt.Model{}, nil })
	if !errors.Is(err, errs.ErrCancelled) || time.Since(t0) > 500*time.Millisecond {
		t.Fatalf("err %v after %v", err, time.Since(t0))
	}
	m, err := trainCancellable(context.Background(), func() (*gbdt.Model, error) { return &gbdt.Model{Rounds: 3}, nil })
	if err != nil || m.Rounds != 3 {
		t.Fatalf("%v %v", m, err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	if _, err := trainCancellable(ctx2, func() (*gbdt.Model, error) { panic("boom") }); err == nil {
		t.Fatal("a panic in training must be an error")
	}
}

// TestCacheDoContextCancel: a caller waiting for another caller's training
// stops waiting when its own context ends, and a caller whose producer was
// cancelled (while it was not) computes the entry itself.
func TestCacheDoContextCancel(t *testing.T) {
	c := NewCache(4)
	started, release := make(chan struct{}), make(chan struct{})
	go func() {
		_, _, _ = c.Do("k", func() (CacheEntry, error) {
			close(started)
			<-release
			return CacheEntry{}, errs.ErrCancelled // the producer's own caller was cancelled
		})
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if _, _, err := c.DoContext(ctx, "k", func() (CacheEntry, error) { t.Fatal("must wait, not compute"); return CacheEntry{}, nil }); !errors.Is(err, errs.ErrCancelled) || time.Since(t0) > 500*time.Millisecond {
		t.Fatalf("waiter: %v after %v", err, time.Since(t0))
	}
	done := make(chan error, 1)
	go func() {
		_, shared, err := c.DoContext(context.Background(), "k", func() (CacheEntry, error) { return CacheEntry{TrainingMS: 7}, nil })
		if err == nil && shared {
			err = errors.New("the retry must compute, not share the cancelled result")
		}
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e, ok := c.Get("k"); !ok || e.TrainingMS != 7 {
		t.Fatalf("entry %+v %v", e, ok)
	}
}
