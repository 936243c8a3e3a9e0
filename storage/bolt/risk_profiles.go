package bolt

import (
	"context"
	"encoding/json"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine/admin"
)

// ListRiskProfiles implements admin.Store: stored (edited) profiles only; the
// caller merges them over admin.DefaultRiskProfiles.
func (a *Admin) ListRiskProfiles(_ context.Context) ([]admin.RiskProfile, error) {
	var out []admin.RiskProfile
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(BucketRiskProfiles)).ForEach(func(_, v []byte) error {
			var p admin.RiskProfile
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// PutRiskProfile implements admin.Store.
func (a *Admin) PutRiskProfile(ctx context.Context, p admin.RiskProfile) error {
	return a.db.UpdateAudited(ctx, func(tx *bbolt.Tx) error {
		return PutJSON(tx.Bucket([]byte(BucketRiskProfiles)), []byte(p.Name), p)
	})
}
