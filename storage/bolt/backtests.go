package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// Backtest runs live in backtest_runs as be(id) → BacktestRun, their folds in
// the nested bucket backtest_runs/folds as be(run_id)|be(fold) → BacktestFold.
//
// The leaderboard is served from four index buckets, one per order:
//
//	idx_leaderboard_sharpe   scope|sortable(sharpe_hourly)|be(id) → filter fields
//	idx_leaderboard_cumret   scope|sortable(cum_ret)|be(id)       → filter fields
//	idx_leaderboard_dsr      scope|sortable(dsr)|be(id)           → filter fields
//	idx_leaderboard_created  scope|be(id)                         → filter fields
//
// Every run is indexed under the scope "*" and one scope per filter value it
// has ("p=<pack>", "m=<model>", "t=<tag>", "r=<risk_profile>", "g=0|1"), so a
// query with one filter (or none) is a reverse range read of one scope. Ties
// sort newest first because the id follows the metric; a missing metric is
// encoded below every number, so those runs come last. The created bucket also
// keeps "#"|scope → be(count) so such queries report their total without
// counting. A query with several filters walks the smallest of its scopes and
// checks the other fields from the index values, never loading a run it does
// not return.

// Backtests returns the engine.BacktestStore over db.
func (db *DB) Backtests() *Backtests { return &Backtests{db: db} }

// Backtests implements engine.BacktestStore.
type Backtests struct{ db *DB }

var _ engine.BacktestStore = (*Backtests)(nil)

// idxFields are the filterable fields stored as index values.
type idxFields struct {
	Pack, Model, Tag, Risk string
	Gate                   bool
	DSR                    float64 // NaN: unknown (runs stored before dsr existed)
}

// clean keeps the separator out of index keys and values.
func clean(s string) string { return strings.ReplaceAll(s, "\x00", " ") }

func (f idxFields) encode() []byte {
	g := "0"
	if f.Gate {
		g = "1"
	}
	return []byte(strings.Join([]string{clean(f.Pack), clean(f.Model), clean(f.Tag), clean(f.Risk), g,
		strconv.FormatFloat(f.DSR, 'g', -1, 64)}, "\x00"))
}

// decodeIdxFields reads index values; those written before dsr have five
// fields and decode with DSR NaN.
func decodeIdxFields(b []byte) idxFields {
	p := strings.Split(string(b), "\x00")
	if len(p) != 5 && len(p) != 6 {
		return idxFields{DSR: math.NaN()}
	}
	f := idxFields{Pack: p[0], Model: p[1], Tag: p[2], Risk: p[3], Gate: p[4] == "1", DSR: math.NaN()}
	if len(p) == 6 {
		if v, err := strconv.ParseFloat(p[5], 64); err == nil {
			f.DSR = v
		}
	}
	return f
}

// runIdxFields are the index fields of a run.
func runIdxFields(run *engine.BacktestRun) idxFields {
	f := idxFields{Pack: run.PackID, Model: run.ModelID, Tag: run.Tag, Risk: run.RiskProfile, Gate: run.GatePass, DSR: math.NaN()}
	if run.DSR != nil {
		f.DSR = *run.DSR
	}
	return f
}

func (f idxFields) scopes() []string {
	g := "g=0"
	if f.Gate {
		g = "g=1"
	}
	s := []string{"*", "p=" + clean(f.Pack), "m=" + clean(f.Model), g}
	if f.Tag != "" {
		s = append(s, "t="+clean(f.Tag))
	}
	if f.Risk != "" {
		s = append(s, "r="+clean(f.Risk))
	}
	return s
}

func metricKey(p *float64) []byte {
	if p == nil || math.IsNaN(*p) {
		return U64(0)
	}
	return SortableFloat(*p)
}

func countKey(scope string) []byte { return []byte("#" + scope) }

// SaveBacktests implements engine.BacktestStore: rows, folds, index entries and
// counters of all runs in one transaction.
func (s *Backtests) SaveBacktests(_ context.Context, runs []engine.BacktestWrite) ([]int64, error) {
	ids := make([]int64, len(runs))
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketBacktestRuns))
		folds := b.Bucket([]byte(NestedFolds))
		sh := tx.Bucket([]byte(BucketIdxLeaderSharpe))
		cr := tx.Bucket([]byte(BucketIdxLeaderCumRet))
		ct := tx.Bucket([]byte(BucketIdxLeaderCreated))
		ds := tx.Bucket([]byte(BucketIdxLeaderDSR))
		for i := range runs {
			run := runs[i].Run
			id, key, err := NextID(b)
			if err != nil {
				return fmt.Errorf("backtest id: %w", err)
			}
			run.ID = int64(id)
			if err := PutJSON(b, key, run); err != nil {
				return fmt.Errorf("backtest run: %w", err)
			}
			for _, f := range runs[i].Folds {
				f.RunID = run.ID
				if err := PutJSON(folds, Key(key, U64(uint64(f.Fold))), f); err != nil {
					return fmt.Errorf("backtest fold: %w", err)
				}
			}
			fields := runIdxFields(&run)
			val := fields.encode()
			for _, scope := range fields.scopes() {
				if err := sh.Put(Key(scope, metricKey(run.BestSharpeHourly), key), val); err != nil {
					return err
				}
				if err := cr.Put(Key(scope, metricKey(run.BestCumRet), key), val); err != nil {
					return err
				}
				if err := ds.Put(Key(scope, metricKey(run.DSR), key), val); err != nil {
					return err
				}
				if err := ct.Put(Key(scope, key), val); err != nil {
					return err
				}
				n := ParseU64(ct.Get(countKey(scope)))
				if err := ct.Put(countKey(scope), U64(n+1)); err != nil {
					return err
				}
			}
			ids[i] = run.ID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// DeleteBacktests implements engine.BacktestStore: each run, its folds, its
// index entries and its counts go in one transaction; unknown ids are
// skipped.
func (s *Backtests) DeleteBacktests(_ context.Context, ids []int64) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketBacktestRuns))
		folds := b.Bucket([]byte(NestedFolds))
		sh := tx.Bucket([]byte(BucketIdxLeaderSharpe))
		cr := tx.Bucket([]byte(BucketIdxLeaderCumRet))
		ct := tx.Bucket([]byte(BucketIdxLeaderCreated))
		ds := tx.Bucket([]byte(BucketIdxLeaderDSR))
		for _, id := range ids {
			key := U64(uint64(id))
			var run engine.BacktestRun
			found, err := GetJSON(b, key, &run)
			if err != nil {
				return err
			}
			if id <= 0 || !found {
				continue
			}
			for _, scope := range runIdxFields(&run).scopes() {
				for _, del := range []struct {
					b *bbolt.Bucket
					k []byte
				}{{sh, Key(scope, metricKey(run.BestSharpeHourly), key)}, {cr, Key(scope, metricKey(run.BestCumRet), key)},
					{ds, Key(scope, metricKey(run.DSR), key)}, {ct, Key(scope, key)}} {
					if err := del.b.Delete(del.k); err != nil {
						return err
					}
				}
				if n := ParseU64(ct.Get(countKey(scope))); n > 0 {
					if err := ct.Put(countKey(scope), U64(n-1)); err != nil {
						return err
					}
				}
			}
			prefix := append(append([]byte{}, key...), Sep)
			c := folds.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
				if err := c.Delete(); err != nil {
					return err
				}
			}
			if err := b.Delete(key); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetBacktest implements engine.BacktestStore.
func (s *Backtests) GetBacktest(_ context.Context, id int64) (engine.BacktestRun, []engine.BacktestFold, error) {
	var run engine.BacktestRun
	var folds []engine.BacktestFold
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketBacktestRuns))
		key := U64(uint64(id))
		found, err := GetJSON(b, key, &run)
		if err != nil {
			return err
		}
		if id <= 0 || !found {
			return errs.NotFoundf("backtest run %d", id)
		}
		c := b.Bucket([]byte(NestedFolds)).Cursor()
		prefix := append(append([]byte{}, key...), Sep)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var f engine.BacktestFold
			if err := json.Unmarshal(v, &f); err != nil {
				return err
			}
			folds = append(folds, f)
		}
		return nil
	})
	return run, folds, err
}

// Leaderboard implements engine.BacktestStore.
func (s *Backtests) Leaderboard(ctx context.Context, q engine.LeaderboardQuery) ([]engine.BacktestRun, int, error) {
	raw, total, err := s.LeaderboardJSON(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	rows := make([]engine.BacktestRun, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &rows[i]); err != nil {
			return nil, 0, fmt.Errorf("backtest run: %w", err)
		}
	}
	return rows, total, nil
}

// LeaderboardJSON implements engine.BacktestStore: the page's stored run
// documents as they are, so the API can send them without decoding.
func (s *Backtests) LeaderboardJSON(_ context.Context, q engine.LeaderboardQuery) ([]json.RawMessage, int, error) {
	var rows []json.RawMessage
	var arena []byte
	total, err := s.leaderboard(q, func(vals [][]byte) {
		// Values are only valid inside the transaction: copy, into one block.
		n := 0
		for _, v := range vals {
			n += len(v)
		}
		arena = make([]byte, 0, n)
		rows = make([]json.RawMessage, 0, len(vals))
		for _, v := range vals {
			start := len(arena)
			arena = append(arena, v...)
			rows = append(rows, json.RawMessage(arena[start:len(arena):len(arena)]))
		}
	})
	return rows, total, err
}

// AppendLeaderboardJSON appends the page's stored run documents to dst,
// separated by commas (the inside of a JSON array), and returns how many it
// appended and the total as LeaderboardJSON does. The API writes pages straight from it, with no copy
// per row beyond the one out of the transaction.
func (s *Backtests) AppendLeaderboardJSON(_ context.Context, dst []byte, q engine.LeaderboardQuery) ([]byte, int, int, error) {
	rows := 0
	total, err := s.leaderboard(q, func(vals [][]byte) {
		rows = len(vals)
		n := len(dst) + len(vals)
		for _, v := range vals {
			n += len(v)
		}
		dst = slices.Grow(dst, n-len(dst))
		for i, v := range vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, v...)
		}
	})
	return dst, rows, total, err
}

// leaderboard finds the page's runs and hands their stored documents to emit,
// inside the read transaction (the slices are invalid after emit returns).
func (s *Backtests) leaderboard(q engine.LeaderboardQuery, emit func(vals [][]byte)) (int, error) {
	bucket := BucketIdxLeaderSharpe
	switch q.OrderBy {
	case engine.OrderCumRet:
		bucket = BucketIdxLeaderCumRet
	case engine.OrderCreatedAt:
		bucket = BucketIdxLeaderCreated
	case engine.OrderDSR:
		bucket = BucketIdxLeaderDSR
	}
	var scopes []string
	if q.PackID != "" {
		scopes = append(scopes, "p="+clean(q.PackID))
	}
	if q.ModelID != "" {
		scopes = append(scopes, "m="+clean(q.ModelID))
	}
	if q.Tag != "" {
		scopes = append(scopes, "t="+clean(q.Tag))
	}
	if q.RiskProfile != "" {
		scopes = append(scopes, "r="+clean(q.RiskProfile))
	}
	if q.PassGate != nil {
		if *q.PassGate {
			scopes = append(scopes, "g=1")
		} else {
			scopes = append(scopes, "g=0")
		}
	}
	if len(scopes) == 0 {
		scopes = []string{"*"}
	}
	match := func(f idxFields) bool {
		return (q.PackID == "" || f.Pack == clean(q.PackID)) && (q.ModelID == "" || f.Model == clean(q.ModelID)) &&
			(q.Tag == "" || f.Tag == clean(q.Tag)) && (q.RiskProfile == "" || f.Risk == clean(q.RiskProfile)) &&
			(q.PassGate == nil || f.Gate == *q.PassGate) && (q.MinDSR == nil || f.DSR >= *q.MinDSR)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	total := 0
	err := s.db.View(func(tx *bbolt.Tx) error {
		ct := tx.Bucket([]byte(BucketIdxLeaderCreated))
		// A filter whose scope holds every run (e.g. the only pack) filters
		// nothing: drop it, so such queries stay single-scope range reads.
		all := ParseU64(ct.Get(countKey("*")))
		if len(scopes) > 1 {
			kept := scopes[:0:0]
			for _, sc := range scopes {
				if ParseU64(ct.Get(countKey(sc))) < all {
					kept = append(kept, sc)
				}
			}
			if len(kept) == 0 {
				kept = []string{"*"}
			}
			scopes = kept
		}
		// Walk the smallest scope.
		scope, best := scopes[0], ParseU64(ct.Get(countKey(scopes[0])))
		for _, sc := range scopes[1:] {
			if n := ParseU64(ct.Get(countKey(sc))); n < best {
				scope, best = sc, n
			}
		}
		single := len(scopes) == 1 && q.MinDSR == nil
		prefix := Prefix(scope)
		c := tx.Bucket([]byte(bucket)).Cursor()
		// Reverse range read: position on the last key of the scope.
		var k, v []byte
		if end := prefixEnd(prefix); end == nil {
			k, v = c.Last()
		} else if k, _ = c.Seek(end); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		ids := make([][]byte, 0, min(limit, 256))
		seen := 0
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			if !single && !match(decodeIdxFields(v)) {
				continue
			}
			if seen >= q.Offset && len(ids) < limit {
				// Keys, like values, stay valid for the whole transaction.
				ids = append(ids, k[len(k)-8:])
			}
			seen++
			if single && len(ids) >= limit {
				break // the counter gives the total
			}
		}
		total = seen
		if single {
			total = int(best)
		}
		// One cursor for the whole page: Bucket.Get builds a cursor (and grows
		// its stack) per call, which was most of the page's allocations.
		rc := tx.Bucket([]byte(BucketBacktestRuns)).Cursor()
		vals := make([][]byte, 0, len(ids))
		for _, id := range ids {
			if k, v := rc.Seek(id); v != nil && bytes.Equal(k, id) {
				vals = append(vals, v)
			}
		}
		emit(vals)
		return nil
	})
	return total, err
}

// indexLeaderboardDSR (migration 2) indexes every stored run by dsr, under
// the same scopes as the other orders.
func indexLeaderboardDSR(tx *bbolt.Tx) error {
	ds := tx.Bucket([]byte(BucketIdxLeaderDSR))
	c := tx.Bucket([]byte(BucketBacktestRuns)).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			continue // the nested folds bucket
		}
		var run engine.BacktestRun
		if err := json.Unmarshal(v, &run); err != nil {
			return fmt.Errorf("run %x: %w", k, err)
		}
		f := runIdxFields(&run)
		for _, scope := range f.scopes() {
			if err := ds.Put(Key(scope, metricKey(run.DSR), k), f.encode()); err != nil {
				return err
			}
		}
	}
	return nil
}
