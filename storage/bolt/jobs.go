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

func (db *DB) jobRows() seqRows[jobs.Job] {
	return seqRows[jobs.Job]{db: db, bucket: BucketJobs, noun: "job"}
}

// CreateJob inserts j with the next job id.
func (db *DB) CreateJob(_ context.Context, j *jobs.Job) error {
	return db.jobRows().create(j, func(j *jobs.Job, id int64) { j.ID = id })
}

// PutJob overwrites job j.ID; it refuses ids that were never created so a stray
// write cannot invent a job.
func (db *DB) PutJob(_ context.Context, j *jobs.Job) error {
	if j.ID <= 0 {
		return errs.Invalidf("job id %d", j.ID)
	}
	return db.Update(func(tx *bbolt.Tx) error { return db.jobRows().put(tx, j.ID, j) })
}

// GetJob loads job id.
func (db *DB) GetJob(_ context.Context, id int64) (jobs.Job, error) {
	return db.jobRows().get(id)
}

// jobKeys is the part of a job record listings filter on, decoded cheaply.
type jobKeys struct {
	Kind   string      `json:"kind"`
	Status jobs.Status `json:"status"`
	User   string      `json:"user"`
}

// ListJobs pages jobs newest first.
func (db *DB) ListJobs(_ context.Context, f jobs.Filter) ([]jobs.Job, int, error) {
	var keep func(v []byte) bool
	if f.User != "" || f.Kind != "" || f.Status != "" {
		keep = func(v []byte) bool {
			var k jobKeys
			if json.Unmarshal(v, &k) != nil {
				return false
			}
			return f.Match(&jobs.Job{Kind: k.Kind, Status: k.Status, User: k.User})
		}
	}
	return db.jobRows().list(keep, f.Offset, f.Limit)
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
