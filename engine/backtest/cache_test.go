package backtest

import (
	"bytes"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestCacheLRU(t *testing.T) {
	c := NewCache(2)
	c.Put(CacheEntry{Key: "a"})
	c.Put(CacheEntry{Key: "b"})
	if _, ok := c.Get("a"); !ok { // a becomes most recent
		t.Fatal("a missing")
	}
	c.Put(CacheEntry{Key: "c"}) // evicts b
	if _, ok := c.Get("b"); ok {
		t.Fatal("b should have been evicted")
	}
	if _, ok := c.Get("a"); !ok || c.Len() != 2 {
		t.Fatal("a evicted instead of b")
	}
}

func TestCacheKey(t *testing.T) {
	k := CacheKey{MatrixHash: "h", Features: []string{"x"}, Target: "y", Hyperparams: map[string]any{"b": 1, "a": 2},
		CV: map[string]any{"cv": "walk_forward"}, Calibration: "sigmoid"}
	k2 := k
	k2.Hyperparams = map[string]any{"a": 2, "b": 1}
	if k.String() != k2.String() {
		t.Fatal("map order changed the key")
	}
	k2.TrainHours = []int{13}
	if k.String() == k2.String() {
		t.Fatal("training-hours filter not in the key")
	}
}

// TestOOFRoundTrip: a persisted OOF (with NaN returns) loads back to
// identical evaluations.
func TestOOFRoundTrip(t *testing.T) {
	o := randomOOF(t, 8, 300, 3, []string{"DOWN", "FLAT", "UP"})
	t1 := make([]int64, o.Len())
	for i := range t1 {
		t1[i] = o.TS[i] + int64(i%50)*3600_000 // some labels end folds later
	}
	o, err := NewOOF(&OOF{Classes: o.Classes, Probs: o.Probs, Rows: o.Rows, TS: o.TS, T1: t1, Hour: o.Hour,
		Ret: o.Ret, FoldStart: o.FoldStart, Aux: o.Aux})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncodeOOF(&buf, o, &RunInfo{Calibration: "sigmoid"}); err != nil {
		t.Fatal(err)
	}
	o2, info, err := DecodeOOF(&buf)
	if err != nil || info.Calibration != "sigmoid" {
		t.Fatal(err)
	}
	p := TradeParams{Thresholds: []float64{0.34, 0.4}, SlippageBps: 1}
	r1, _ := Evaluate(o, p)
	r2, _ := Evaluate(o2, p)
	if !reflect.DeepEqual(r1, r2) || !reflect.DeepEqual(o.T1, o2.T1) {
		t.Fatal("round-tripped OOF evaluates differently")
	}
}

// TestCacheDoOnce: concurrent callers of one key share one computation.
func TestCacheDoOnce(t *testing.T) {
	c := NewCache(4)
	var mu sync.Mutex
	runs := 0
	release := make(chan struct{})
	var wg sync.WaitGroup
	shared := make([]bool, 8)
	for i := range shared {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, sh, err := c.Do("k", func() (CacheEntry, error) {
				mu.Lock()
				runs++
				mu.Unlock()
				<-release
				return CacheEntry{TrainingMS: 5}, nil
			})
			if err != nil {
				t.Error(err)
			}
			shared[i] = sh
		}(i)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	n := 0
	for _, s := range shared {
		if !s {
			n++
		}
	}
	if runs != 1 || n != 1 {
		t.Fatalf("fn ran %d times, %d callers unshared", runs, n)
	}
	if _, ok := c.Get("k"); !ok {
		t.Fatal("result not cached")
	}
	if _, _, err := c.Do("bad", func() (CacheEntry, error) { return CacheEntry{}, errors.New("x") }); err == nil {
		t.Fatal("error lost")
	}
	if _, ok := c.Get("bad"); ok {
		t.Fatal("failure cached")
	}
}
