package bolt

import (
	"context"
	"encoding/json"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine/admin"
)

// Quota keys inside the quotas bucket: "l"|user_id → admin.Quota (overrides),
// "c"|user_id|day|kind → be(count) (per-day counters; a new day starts at 0).
func quotaKey(user string) []byte { return Key("l", user) }

func quotaCountKey(user, day string, kind admin.QuotaKind) []byte {
	return Key("c", user, day, string(kind))
}

// GetQuota implements admin.Store: the user's overrides, or the defaults.
func (a *Admin) GetQuota(_ context.Context, user string) (admin.Quota, error) {
	q := admin.Quota{UserID: user, Limits: admin.DefaultLimits()}
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		_, err := GetJSON(tx.Bucket([]byte(BucketQuotas)), quotaKey(user), &q)
		return err
	})
	return q, err
}

// ListQuotas implements admin.Store: users with overrides.
func (a *Admin) ListQuotas(_ context.Context) ([]admin.Quota, error) {
	var out []admin.Quota
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(BucketQuotas)).Cursor()
		p := Prefix("l")
		for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, v = c.Next() {
			var q admin.Quota
			if err := json.Unmarshal(v, &q); err != nil {
				return err
			}
			out = append(out, q)
		}
		return nil
	})
	return out, err
}

// PutQuota implements admin.Store.
func (a *Admin) PutQuota(ctx context.Context, q admin.Quota) error {
	return a.db.UpdateAudited(ctx, func(tx *bbolt.Tx) error {
		return PutJSON(tx.Bucket([]byte(BucketQuotas)), quotaKey(q.UserID), q)
	})
}

// CountUse implements admin.Store: check and increment in one transaction, so
// two requests cannot both take the last unit.
func (a *Admin) CountUse(_ context.Context, user, day string, kind admin.QuotaKind, limit int) (int, bool, error) {
	var n int
	var added bool
	err := a.db.b.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketQuotas))
		k := quotaCountKey(user, day, kind)
		n = int(ParseU64(b.Get(k)))
		if n >= limit {
			return nil
		}
		added = true
		return b.Put(k, U64(uint64(n+1)))
	})
	return n, added, err
}

// Uses implements admin.Store.
func (a *Admin) Uses(_ context.Context, user, day string, kind admin.QuotaKind) (int, error) {
	var n int
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		n = int(ParseU64(tx.Bucket([]byte(BucketQuotas)).Get(quotaCountKey(user, day, kind))))
		return nil
	})
	return n, err
}

// ReleaseUse implements admin.Store.
func (a *Admin) ReleaseUse(_ context.Context, user, day string, kind admin.QuotaKind) error {
	return a.db.b.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketQuotas))
		k := quotaCountKey(user, day, kind)
		if n := ParseU64(b.Get(k)); n > 0 {
			return b.Put(k, U64(n-1))
		}
		return nil
	})
}
