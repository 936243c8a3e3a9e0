package bolt

import (
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// seqRows is a bucket of JSON rows keyed by be(id), ids from the bucket's
// sequence, so a reverse cursor walk lists them newest first. The run tables
// (build_runs, training_runs), sweeps and jobs are thin typed wrappers around it.
type seqRows[T any] struct {
	db     *DB
	bucket string
	noun   string // names the row in errors: "build run 7"
}

// create stores *r under the next id, set on the row by setID before it is
// written.
func (t seqRows[T]) create(r *T, setID func(*T, int64)) error {
	return t.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(t.bucket))
		id, key, err := NextID(b)
		if err != nil {
			return fmt.Errorf("%s id: %w", t.noun, err)
		}
		setID(r, int64(id))
		return PutJSON(b, key, r)
	})
}

// update overwrites row id; an id that was never created is ErrNotFound, so a
// stray write cannot invent a row.
func (t seqRows[T]) update(id int64, r T) error {
	return t.db.Update(func(tx *bbolt.Tx) error { return t.put(tx, id, &r) })
}

// put is update inside tx, for stores that write a row together with others.
func (t seqRows[T]) put(tx *bbolt.Tx, id int64, r *T) error {
	b := tx.Bucket([]byte(t.bucket))
	key := U64(uint64(id))
	if id <= 0 || b.Get(key) == nil {
		return errs.NotFoundf("%s %d", t.noun, id)
	}
	return PutJSON(b, key, r)
}

// interrupt rewrites, in one transaction, every row whose status is running
// with mark (which sets the interrupted state) and returns how many it changed.
// Rows of other states are not decoded beyond their status.
func (t seqRows[T]) interrupt(mark func(*T)) (int, error) {
	n := 0
	err := t.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(t.bucket))
		type hit struct {
			id  int64
			row T
		}
		var hits []hit
		err := b.ForEach(func(k, v []byte) error {
			var st struct {
				Status string `json:"status"`
			}
			if v == nil || json.Unmarshal(v, &st) != nil || st.Status != "running" {
				return nil
			}
			var r T
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode %s %d: %w", t.noun, ParseU64(k), err)
			}
			hits = append(hits, hit{int64(ParseU64(k)), r})
			return nil
		})
		if err != nil {
			return err
		}
		for i := range hits {
			mark(&hits[i].row)
			if err := t.put(tx, hits[i].id, &hits[i].row); err != nil {
				return err
			}
		}
		n = len(hits)
		return nil
	})
	return n, err
}

// get loads row id (ErrNotFound when absent).
func (t seqRows[T]) get(id int64) (T, error) {
	var r T
	if id <= 0 {
		return r, errs.NotFoundf("%s %d", t.noun, id)
	}
	err := t.db.View(func(tx *bbolt.Tx) error {
		found, err := GetJSON(tx.Bucket([]byte(t.bucket)), U64(uint64(id)), &r)
		if err == nil && !found {
			err = errs.NotFoundf("%s %d", t.noun, id)
		}
		return err
	})
	return r, err
}

// list pages rows newest first; keep (nil: every row) decides from the raw
// JSON which rows count for total, offset and limit.
func (t seqRows[T]) list(keep func(v []byte) bool, offset, limit int) ([]T, int, error) {
	out := []T{}
	var total int
	err := t.db.View(func(tx *bbolt.Tx) error {
		o := ListOpts{Reverse: true, Offset: offset, Limit: limit}
		if keep != nil {
			o.Filter = func(_, v []byte) bool { return keep(v) }
		}
		var err error
		total, err = List(tx.Bucket([]byte(t.bucket)), o, func(k, v []byte) error {
			var r T
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode %s %d: %w", t.noun, ParseU64(k), err)
			}
			out = append(out, r)
			return nil
		})
		return err
	})
	return out, total, err
}

// runKeys is the part of a run row that keepRun reads.
type runKeys struct {
	PackID    string         `json:"pack_id"`
	ModelID   string         `json:"model_id"`
	Tag       string         `json:"tag"`
	Status    string         `json:"status"`
	Params    map[string]any `json:"params"`
	CreatedAt time.Time      `json:"created_at"`
}

// keepRun returns the row test of a run table's filter (training runs share
// the type), nil when f matches every row (the fast path: rows are not decoded
// twice). The tag matches the tag column or params.tag (where the predecessor
// looked).
func keepRun(f engine.BuildRunFilter) func(v []byte) bool {
	if f == (engine.BuildRunFilter{}) {
		return nil
	}
	return func(v []byte) bool {
		var k runKeys
		if json.Unmarshal(v, &k) != nil {
			return false
		}
		tag := k.Tag
		if tag == "" {
			tag, _ = k.Params["tag"].(string)
		}
		return (f.PackID == "" || k.PackID == f.PackID) && (f.ModelID == "" || k.ModelID == f.ModelID) &&
			(f.Tag == "" || tag == f.Tag) && (f.Status == "" || k.Status == f.Status) &&
			(f.Start.IsZero() || !k.CreatedAt.Before(f.Start)) && (f.End.IsZero() || !k.CreatedAt.After(f.End))
	}
}
