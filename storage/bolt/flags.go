package bolt

import (
	"context"
	"encoding/json"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine/admin"
)

// ListFlags implements admin.Store: the stored flags (key → admin.Flag).
func (a *Admin) ListFlags(_ context.Context) ([]admin.Flag, error) {
	var out []admin.Flag
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(BucketFlags)).ForEach(func(_, v []byte) error {
			var f admin.Flag
			if err := json.Unmarshal(v, &f); err != nil {
				return err
			}
			out = append(out, f)
			return nil
		})
	})
	return out, err
}

// PutFlags implements admin.Store: all changes in one transaction.
func (a *Admin) PutFlags(ctx context.Context, flags []admin.Flag) error {
	return a.db.UpdateAudited(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketFlags))
		for _, f := range flags {
			if err := PutJSON(b, []byte(f.Key), f); err != nil {
				return err
			}
		}
		return nil
	})
}
