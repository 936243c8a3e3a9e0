package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine/admin"
	"sigmalab/engine/errs"
)

// CreateUser implements admin.Store: the user and its first token in one transaction.
func (a *Admin) CreateUser(ctx context.Context, u admin.User, tok admin.Token, hash string) error {
	return a.db.UpdateAudited(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketUsers))
		if b.Get([]byte(u.ID)) != nil {
			return errs.Msgf(errs.ErrConflict, "user %q already exists", u.ID)
		}
		if err := PutJSON(b, []byte(u.ID), u); err != nil {
			return err
		}
		return PutJSON(tx.Bucket([]byte(BucketTokens)), []byte(hash), tok)
	})
}

// GetUser implements admin.Store.
func (a *Admin) GetUser(_ context.Context, id string) (admin.User, error) {
	var u admin.User
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		found, err := GetJSON(tx.Bucket([]byte(BucketUsers)), []byte(id), &u)
		if err == nil && !found {
			err = admin.ErrUserNotFound(id)
		}
		return err
	})
	return u, err
}

// ListUsers implements admin.Store: by id.
func (a *Admin) ListUsers(_ context.Context, f admin.UserFilter) ([]admin.User, int, error) {
	var rows []admin.User
	total := 0
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(BucketUsers)).ForEach(func(_, v []byte) error {
			var u admin.User
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			if (f.Role != "" && u.Role != f.Role) || (f.Status != "" && u.Status != f.Status) {
				return nil
			}
			total++
			if total <= f.Offset || (f.Limit > 0 && len(rows) >= f.Limit) {
				return nil
			}
			rows = append(rows, u)
			return nil
		})
	})
	return rows, total, err
}

// UpdateUser implements admin.Store.
func (a *Admin) UpdateUser(ctx context.Context, id string, fn func(*admin.User) error) (admin.User, error) {
	var u admin.User
	err := a.db.UpdateAudited(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketUsers))
		found, err := GetJSON(b, []byte(id), &u)
		if err != nil {
			return err
		}
		if !found {
			return admin.ErrUserNotFound(id)
		}
		if err := fn(&u); err != nil {
			return err
		}
		return PutJSON(b, []byte(id), u)
	})
	return u, err
}

// revokeLive revokes every live token of userID inside tx.
func revokeLive(tx *bbolt.Tx, userID string, at time.Time) (int, error) {
	b := tx.Bucket([]byte(BucketTokens))
	type kv struct {
		k []byte
		t admin.Token
	}
	var live []kv
	err := b.ForEach(func(k, v []byte) error {
		var t admin.Token
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if t.UserID == userID && !t.Revoked {
			live = append(live, kv{append([]byte(nil), k...), t})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, x := range live {
		at := at.UTC()
		x.t.Revoked, x.t.RevokedAt = true, &at
		if err := PutJSON(b, x.k, x.t); err != nil {
			return 0, err
		}
	}
	return len(live), nil
}

// RotateToken implements admin.Store: old tokens stop working in the same
// transaction that stores the new one.
func (a *Admin) RotateToken(ctx context.Context, userID string, tok admin.Token, hash string) error {
	return a.db.UpdateAudited(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte(BucketUsers)).Get([]byte(userID)) == nil {
			return admin.ErrUserNotFound(userID)
		}
		if _, err := revokeLive(tx, userID, tok.CreatedAt); err != nil {
			return err
		}
		return PutJSON(tx.Bucket([]byte(BucketTokens)), []byte(hash), tok)
	})
}

// RevokeTokens implements admin.Store.
func (a *Admin) RevokeTokens(ctx context.Context, userID string, at time.Time) (int, error) {
	var n int
	err := a.db.UpdateAudited(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte(BucketUsers)).Get([]byte(userID)) == nil {
			return admin.ErrUserNotFound(userID)
		}
		var err error
		n, err = revokeLive(tx, userID, at)
		return err
	})
	return n, err
}

// LookupToken implements admin.Store.
func (a *Admin) LookupToken(_ context.Context, hash string) (admin.Token, error) {
	var t admin.Token
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		found, err := GetJSON(tx.Bucket([]byte(BucketTokens)), []byte(hash), &t)
		if err == nil && !found {
			err = errs.Msgf(errs.ErrNotFound, "unknown token")
		}
		return err
	})
	return t, err
}

// TouchToken implements admin.Store: last_used of the token, last_active of its user.
func (a *Admin) TouchToken(_ context.Context, hash string, at time.Time) error {
	return a.db.b.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketTokens))
		var t admin.Token
		found, err := GetJSON(b, []byte(hash), &t)
		if err != nil || !found {
			return err
		}
		at := at.UTC()
		t.LastUsed = &at
		if err := PutJSON(b, []byte(hash), t); err != nil {
			return err
		}
		ub := tx.Bucket([]byte(BucketUsers))
		var u admin.User
		if found, err := GetJSON(ub, []byte(t.UserID), &u); err != nil || !found {
			return err
		}
		u.LastActive = &at
		return PutJSON(ub, []byte(t.UserID), u)
	})
}

// ListTokens implements admin.Store: the user's token records (no hashes), newest first.
func (a *Admin) ListTokens(_ context.Context, userID string) ([]admin.Token, error) {
	var out []admin.Token
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(BucketTokens)).ForEach(func(_, v []byte) error {
			var t admin.Token
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("token record: %w", err)
			}
			if t.UserID == userID {
				out = append(out, t)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, err
}
