package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine/admin"
)

// Admin stores users, tokens, quotas, flags, risk profiles, templates and the
// audit log (engine/admin.Store).
type Admin struct{ db *DB }

// Admin returns the admin store over db.
func (db *DB) Admin() *Admin { return &Admin{db: db} }

var _ admin.Store = (*Admin)(nil)

// UpdateAudited runs fn in a read-write transaction and, in the same
// transaction, appends the request's pending audit entry (admin.AuditFrom(ctx))
// unless this request already stored it: the change and its audit row commit
// together or not at all. Every write path of a mutating request should use it.
func (db *DB) UpdateAudited(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	p := admin.AuditFrom(ctx)
	var id uint64
	err := db.b.Update(func(tx *bbolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		e, ok := p.Claim()
		if !ok {
			return nil
		}
		b := tx.Bucket([]byte(BucketAudit))
		n, key, err := NextID(b)
		if err != nil {
			return err
		}
		e.ID = n
		if err := PutJSON(b, key, e); err != nil {
			return err
		}
		id = n
		return nil
	})
	if err == nil && id != 0 {
		p.Stored(id)
	}
	return err
}

// FinishAudit implements admin.Store: the stored row gets the final status and
// body digest; a request whose change was not one of our transactions (or that
// changed nothing: refused, failed) gets its row now.
func (a *Admin) FinishAudit(_ context.Context, p *admin.PendingAudit) error {
	if p == nil {
		return nil
	}
	e, stored := p.Snapshot()
	return a.db.b.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketAudit))
		if stored {
			var old admin.AuditEntry
			found, err := GetJSON(b, U64(e.ID), &old)
			if err != nil || !found {
				return fmt.Errorf("audit row %d: missing", e.ID)
			}
			old.Status, old.BodySHA256, old.User, old.TargetID = e.Status, e.BodySHA256, e.User, e.TargetID
			return PutJSON(b, U64(e.ID), old)
		}
		n, key, err := NextID(b)
		if err != nil {
			return err
		}
		e.ID, e.InTx = n, false
		return PutJSON(b, key, e)
	})
}

// ListAudit implements admin.Store: newest first.
func (a *Admin) ListAudit(_ context.Context, f admin.AuditFilter) ([]admin.AuditEntry, int, error) {
	var rows []admin.AuditEntry
	var total int
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketAudit))
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var e admin.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit %d: %w", ParseU64(k), err)
			}
			if !f.Match(&e) {
				continue
			}
			total++
			if total <= f.Offset || (f.Limit > 0 && len(rows) >= f.Limit) {
				continue
			}
			rows = append(rows, e)
		}
		return nil
	})
	return rows, total, err
}
