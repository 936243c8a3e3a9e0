package backtest

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"sigmalab/engine/errs"
)

// CacheKey identifies one training setup whose OOF predictions can be reused:
// any change to the data, the features, the target, the model, the split, the
// calibration or the training-hours filter changes the predictions.
type CacheKey struct {
	MatrixHash  string   `json:"matrix"`
	Features    []string `json:"features"`
	Target      string   `json:"target"`
	Hyperparams any      `json:"hyperparams"` // canonical JSON of the learner's parameters
	CV          any      `json:"cv"`          // cv.Config after Normalize
	Calibration string   `json:"calibration"`
	TrainHours  []int    `json:"train_hours"` // nil = all hours
}

// String is the key's sha256 over its canonical JSON (struct fields in fixed
// order; maps inside Hyperparams are sorted by encoding/json).
func (k CacheKey) String() string {
	b, err := json.Marshal(k)
	if err != nil {
		// Only unencodable hyperparams get here; fall back to a key that never
		// matches anything cached.
		b = []byte(err.Error())
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Cache is a small in-memory LRU of OOF runs, safe for concurrent use. OOFs are
// immutable, so a hit is shared, not copied.
type Cache struct {
	mu       sync.Mutex
	cap      int
	ll       *list.List
	m        map[string]*list.Element
	inflight map[string]*call
}

// call is one in-progress computation that concurrent callers wait for.
type call struct {
	done chan struct{}
	ent  CacheEntry
	err  error
}

// CacheEntry is what the cache holds per key.
type CacheEntry struct {
	Key  string
	OOF  *OOF
	Info *RunInfo
	// TrainingMS is the time the producer spent training (0 when it was
	// loaded from a persisted artifact).
	TrainingMS int64
}

// NewCache returns an LRU holding at most capacity entries (minimum 1).
func NewCache(capacity int) *Cache {
	return &Cache{cap: max(1, capacity), ll: list.New(), m: map[string]*list.Element{}, inflight: map[string]*call{}}
}

// Do returns the entry for key, computing it with fn on a miss. Concurrent
// callers of the same key wait for the one computation instead of training
// the same folds twice. shared is true when this caller did not run fn (a
// hit, or another caller's result). A failed computation is not cached.
func (c *Cache) Do(key string, fn func() (CacheEntry, error)) (ent CacheEntry, shared bool, err error) {
	return c.DoContext(context.Background(), key, fn)
}

// DoContext is Do for a caller that may be cancelled: waiting for another
// caller's computation ends when ctx is done (ErrCancelled), and when that
// computation was itself cancelled while this caller's ctx is still live,
// this caller computes the entry instead of inheriting the cancellation.
func (c *Cache) DoContext(ctx context.Context, key string, fn func() (CacheEntry, error)) (ent CacheEntry, shared bool, err error) {
	for {
		c.mu.Lock()
		if e, ok := c.m[key]; ok {
			c.ll.MoveToFront(e)
			c.mu.Unlock()
			return e.Value.(CacheEntry), true, nil
		}
		cl, ok := c.inflight[key]
		if !ok {
			break // c.mu still held
		}
		c.mu.Unlock()
		select {
		case <-cl.done:
		case <-ctx.Done():
			return CacheEntry{}, true, fmt.Errorf("waiting for out-of-fold predictions: %w", errs.ErrCancelled)
		}
		if cl.err != nil && errors.Is(cl.err, errs.ErrCancelled) && ctx.Err() == nil {
			continue
		}
		return cl.ent, true, cl.err
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[key] = cl
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.inflight, key)
		c.mu.Unlock()
		close(cl.done)
	}()
	cl.ent, cl.err = fn()
	if cl.err == nil {
		cl.ent.Key = key
		c.Put(cl.ent)
	}
	return cl.ent, false, cl.err
}

// Get returns the entry for key and marks it recently used.
func (c *Cache) Get(key string) (CacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(CacheEntry), true
	}
	return CacheEntry{}, false
}

// Put stores an entry, evicting the least recently used beyond capacity.
func (c *Cache) Put(ent CacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[ent.Key]; ok {
		e.Value = ent
		c.ll.MoveToFront(e)
		return
	}
	c.m[ent.Key] = c.ll.PushFront(ent)
	for c.ll.Len() > c.cap {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(CacheEntry).Key)
	}
}

// Len is the number of cached entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// oofWire is the persisted form of an OOF (derived columns are rebuilt on load).
// Version 2 added T1; version 3 the calendar columns (Close, Entry, Day) that
// positions are marked to market on. An older artifact is refused and the
// OOF recomputed.
type oofWire struct {
	Version   int
	Classes   []string
	Probs     [][]float64
	Label     []int
	Rows      []int
	TS        []int64
	T1        []int64
	Hour      []int32
	Ret       []float64
	FoldStart []int
	Aux       map[string][]float64
	Close     []float64
	Entry     []int64
	Day       []int32
	Info      *RunInfo
}

const oofWireVersion = 3

// EncodeOOF writes o (and its run info) in a compact binary form for the
// persisted OOF artifact. gob keeps NaN returns, which JSON cannot.
func EncodeOOF(w io.Writer, o *OOF, info *RunInfo) error {
	return gob.NewEncoder(w).Encode(oofWire{Version: oofWireVersion, Classes: o.Classes, Probs: o.Probs, Label: o.Label, Rows: o.Rows,
		TS: o.TS, T1: o.T1, Hour: o.Hour, Ret: o.Ret, FoldStart: o.FoldStart, Aux: o.Aux, Close: o.Close, Entry: o.Entry, Day: o.Day, Info: info})
}

// DecodeOOF reads what EncodeOOF wrote.
func DecodeOOF(r io.Reader) (*OOF, *RunInfo, error) {
	var w oofWire
	if err := gob.NewDecoder(r).Decode(&w); err != nil {
		return nil, nil, fmt.Errorf("backtest: decode oof: %w", err)
	}
	if w.Version != oofWireVersion {
		return nil, nil, fmt.Errorf("backtest: oof artifact version %d not supported", w.Version)
	}
	o, err := NewOOF(&OOF{Classes: w.Classes, Probs: w.Probs, Label: w.Label, Rows: w.Rows, TS: w.TS, T1: w.T1, Hour: w.Hour,
		Ret: w.Ret, FoldStart: w.FoldStart, Aux: w.Aux, Close: w.Close, Entry: w.Entry, Day: w.Day})
	if err != nil {
		return nil, nil, err
	}
	return o, w.Info, nil
}
