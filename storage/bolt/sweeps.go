package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// Sweeps live in bucket sweeps as be(id) → SweepRecord; their results in the
// nested bucket sweeps/results as be(sweep_id)|be(result id) → SweepResult, so
// one prefix scan returns a sweep's results in cell order.

// Sweeps returns the engine.SweepStore over db.
func (db *DB) Sweeps() *Sweeps {
	return &Sweeps{db: db, rows: seqRows[engine.SweepRecord]{db: db, bucket: BucketSweeps, noun: "sweep"}}
}

// Sweeps implements engine.SweepStore.
type Sweeps struct {
	db   *DB
	rows seqRows[engine.SweepRecord]
}

var _ engine.SweepStore = (*Sweeps)(nil)

func sweepResultKey(sweepID, id int64) []byte { return Key(U64(uint64(sweepID)), U64(uint64(id))) }

// CreateSweep inserts s with the next sweep id.
func (s *Sweeps) CreateSweep(_ context.Context, rec *engine.SweepRecord) error {
	return s.rows.create(rec, func(r *engine.SweepRecord, id int64) { r.ID = id })
}

// PutSweep overwrites an existing sweep.
func (s *Sweeps) PutSweep(_ context.Context, rec *engine.SweepRecord) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return s.rows.put(tx, rec.ID, rec) })
}

// GetSweep loads sweep id.
func (s *Sweeps) GetSweep(_ context.Context, id int64) (engine.SweepRecord, error) {
	return s.rows.get(id)
}

// sweepKeys is the part of a sweep record that filters read.
type sweepKeys struct {
	PackID  string `json:"pack_id"`
	ModelID string `json:"model_id"`
	Tag     string `json:"tag"`
	Status  string `json:"status"`
	JobID   int64  `json:"job_id"`
}

// SweepByJob finds the newest sweep created by job jobID.
func (s *Sweeps) SweepByJob(_ context.Context, jobID int64) (engine.SweepRecord, bool, error) {
	var rec engine.SweepRecord
	found := false
	if jobID <= 0 {
		return rec, false, nil
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(BucketSweeps)).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if v == nil {
				continue
			}
			var sk sweepKeys
			if json.Unmarshal(v, &sk) != nil || sk.JobID != jobID {
				continue
			}
			found = true
			return json.Unmarshal(v, &rec)
		}
		return nil
	})
	return rec, found, err
}

// ListSweeps pages sweeps newest first.
func (s *Sweeps) ListSweeps(_ context.Context, f engine.SweepFilter) ([]engine.SweepRecord, int, error) {
	var keep func(v []byte) bool
	if f.PackID != "" || f.ModelID != "" || f.Tag != "" || f.Status != "" {
		keep = func(v []byte) bool {
			var k sweepKeys
			if json.Unmarshal(v, &k) != nil {
				return false
			}
			return (f.PackID == "" || k.PackID == f.PackID) && (f.ModelID == "" || k.ModelID == f.ModelID) &&
				(f.Tag == "" || k.Tag == f.Tag) && (f.Status == "" || k.Status == f.Status)
		}
	}
	return s.rows.list(keep, f.Offset, f.Limit)
}

// PutSweepResults upserts rows (and the sweep row when rec != nil) in one
// transaction, so a sweep's progress and its results never disagree.
func (s *Sweeps) PutSweepResults(_ context.Context, rec *engine.SweepRecord, rows []engine.SweepResult) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if rec != nil {
			if err := s.rows.put(tx, rec.ID, rec); err != nil {
				return err
			}
		}
		if len(rows) == 0 {
			return nil
		}
		rb, err := BucketAt(tx, BucketSweeps, NestedResults)
		if err != nil {
			return err
		}
		for i := range rows {
			r := &rows[i]
			if r.SweepID <= 0 || r.ID <= 0 {
				return errs.Invalidf("sweep result %d/%d", r.SweepID, r.ID)
			}
			if err := PutJSON(rb, sweepResultKey(r.SweepID, r.ID), r); err != nil {
				return err
			}
		}
		return nil
	})
}

// SweepResults returns every result of sweep id in cell order.
func (s *Sweeps) SweepResults(_ context.Context, id int64) ([]engine.SweepResult, error) {
	var out []engine.SweepResult
	err := s.db.View(func(tx *bbolt.Tx) error {
		rb, err := BucketAt(tx, BucketSweeps, NestedResults)
		if err != nil {
			return err
		}
		_, err = List(rb, ListOpts{Prefix: Prefix(U64(uint64(id)))}, func(k, v []byte) error {
			var r engine.SweepResult
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode sweep result: %w", err)
			}
			out = append(out, r)
			return nil
		})
		return err
	})
	return out, err
}

// InterruptSweeps marks every running sweep interrupted.
func (s *Sweeps) InterruptSweeps(_ context.Context, at time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketSweeps))
		var recs []engine.SweepRecord
		err := b.ForEach(func(k, v []byte) error {
			if v == nil {
				return nil
			}
			var sk sweepKeys
			if json.Unmarshal(v, &sk) != nil || sk.Status != engine.SweepRunning {
				return nil
			}
			var rec engine.SweepRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode sweep %d: %w", ParseU64(k), err)
			}
			recs = append(recs, rec)
			return nil
		})
		if err != nil {
			return err
		}
		for i := range recs {
			recs[i].Status, recs[i].FinishedAt = engine.SweepInterrupted, &at
			if err := s.rows.put(tx, recs[i].ID, &recs[i]); err != nil {
				return err
			}
		}
		n = len(recs)
		return nil
	})
	return n, err
}
