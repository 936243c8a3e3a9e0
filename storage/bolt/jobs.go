package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
)

// The jobs bucket maps be(id) → jobs.Job JSON; ids come from NextSequence so a
// reverse scan lists newest first.

var _ jobs.Store = (*DB)(nil)

// CreateJob inserts j with the next job id.
func (db *DB) CreateJob(_ context.Context, j *jobs.Job) error {
	return db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketJobs))
		id, key, err := NextID(b)
		if err != nil {
			return fmt.Errorf("job id: %w", err)
		}
		j.ID = int64(id)
		return PutJSON(b, key, j)
	})
}

// PutJob overwrites job j.ID; it refuses ids that were never created so a stray
// write cannot invent a job.
func (db *DB) PutJob(_ context.Context, j *jobs.Job) error {
	if j.ID <= 0 {
		return errs.Invalidf("job id %d", j.ID)
	}
	return db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketJobs))
		key := U64(uint64(j.ID))
		if b.Get(key) == nil {
			return errs.NotFoundf("job %d", j.ID)
		}
		return PutJSON(b, key, j)
	})
}

// GetJob loads job id.
func (db *DB) GetJob(_ context.Context, id int64) (jobs.Job, error) {
	var j jobs.Job
	if id <= 0 {
		return j, errs.NotFoundf("job %d", id)
	}
	err := db.View(func(tx *bbolt.Tx) error {
		found, err := GetJSON(tx.Bucket([]byte(BucketJobs)), U64(uint64(id)), &j)
		if err != nil {
			return err
		}
		if !found {
			return errs.NotFoundf("job %d", id)
		}
		return nil
	})
	return j, err
}

// jobKeys is the part of a job record listings filter on, decoded cheaply.
type jobKeys struct {
	Kind   string      `json:"kind"`
	Status jobs.Status `json:"status"`
	User   string      `json:"user"`
}

// ListJobs pages jobs newest first.
func (db *DB) ListJobs(_ context.Context, f jobs.Filter) ([]jobs.Job, int, error) {
	var out []jobs.Job
	var total int
	err := db.View(func(tx *bbolt.Tx) error {
		o := ListOpts{Reverse: true, Offset: f.Offset, Limit: f.Limit}
		if f.User != "" || f.Kind != "" || f.Status != "" {
			o.Filter = func(_, v []byte) bool {
				var k jobKeys
				if json.Unmarshal(v, &k) != nil {
					return false
				}
				return f.Match(&jobs.Job{Kind: k.Kind, Status: k.Status, User: k.User})
			}
		}
		var err error
		total, err = List(tx.Bucket([]byte(BucketJobs)), o, func(k, v []byte) error {
			var j jobs.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("decode job %d: %w", ParseU64(k), err)
			}
			out = append(out, j)
			return nil
		})
		return err
	})
	return out, total, err
}

// InterruptJobs marks every queued or running job interrupted in one transaction.
func (db *DB) InterruptJobs(_ context.Context, at time.Time, msg string) (int, error) {
	n := 0
	err := db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketJobs))
		type change struct {
			key []byte
			job jobs.Job
		}
		var changes []change
		err := b.ForEach(func(k, v []byte) error {
			var st jobKeys
			if err := json.Unmarshal(v, &st); err != nil || (st.Status != jobs.Queued && st.Status != jobs.Running) {
				return nil
			}
			var j jobs.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("decode job %d: %w", ParseU64(k), err)
			}
			j.Status, j.Message, j.FinishedAt = jobs.Interrupted, msg, &at
			changes = append(changes, change{append([]byte(nil), k...), j})
			return nil
		})
		if err != nil {
			return err
		}
		// Writes happen after the scan: bbolt forbids mutating during ForEach.
		for _, c := range changes {
			if err := PutJSON(b, c.key, c.job); err != nil {
				return err
			}
		}
		n = len(changes)
		return nil
	})
	return n, err
}
