package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// Configs implements engine.ConfigStore on the model_configs, policies and
// indicator_sets buckets.
type Configs struct{ db *DB }

// Configs returns the config store of db.
func (db *DB) Configs() *Configs { return &Configs{db: db} }

var _ engine.ConfigStore = (*Configs)(nil)

// GetModel implements engine.ConfigStore.
func (c *Configs) GetModel(_ context.Context, modelID string) (engine.ModelRecord, error) {
	var rec engine.ModelRecord
	err := c.db.View(func(tx *bbolt.Tx) error {
		found, err := GetJSON(tx.Bucket([]byte(BucketModelConfigs)), []byte(modelID), &rec)
		if err == nil && !found {
			err = fmt.Errorf("model %s: %w", modelID, errs.ErrNotFound)
		}
		return err
	})
	return rec, err
}

// CreateModel implements engine.ConfigStore.
func (c *Configs) CreateModel(_ context.Context, m engine.ModelRecord, p engine.PolicyRecord) (engine.ModelRecord, error) {
	err := c.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte(BucketModelConfigs)).Get([]byte(m.ModelID)) != nil {
			return errs.Msgf(errs.ErrConflict, "model %s already exists", m.ModelID)
		}
		m.Version = 1
		if err := putModel(tx, m); err != nil {
			return err
		}
		_, err := putPolicy(tx, p, true)
		return err
	})
	return m, err
}

// PutModel implements engine.ConfigStore.
func (c *Configs) PutModel(_ context.Context, rec engine.ModelRecord) (engine.ModelRecord, error) {
	err := c.db.Update(func(tx *bbolt.Tx) error {
		var old engine.ModelRecord
		found, err := GetJSON(tx.Bucket([]byte(BucketModelConfigs)), []byte(rec.ModelID), &old)
		if err != nil {
			return err
		}
		rec.Version = 1
		if found {
			rec.Version = old.Version + 1
			rec.CreatedAt = old.CreatedAt
			if old.PackID != rec.PackID {
				if err := tx.Bucket([]byte(BucketIdxModelsByPack)).Delete(Key(old.PackID, old.ModelID)); err != nil {
					return err
				}
			}
		}
		return putModel(tx, rec)
	})
	return rec, err
}

func putModel(tx *bbolt.Tx, m engine.ModelRecord) error {
	if err := PutJSON(tx.Bucket([]byte(BucketModelConfigs)), []byte(m.ModelID), m); err != nil {
		return err
	}
	if err := PutJSON(tx.Bucket([]byte(BucketModelConfigVersions)), Key(m.ModelID, uint64(m.Version)), m); err != nil {
		return err
	}
	return tx.Bucket([]byte(BucketIdxModelsByPack)).Put(Key(m.PackID, m.ModelID), []byte{})
}

// ListModels implements engine.ConfigStore.
func (c *Configs) ListModels(_ context.Context, packID string, offset, limit int) ([]engine.ModelRecord, int, error) {
	var out []engine.ModelRecord
	var total int
	err := c.db.View(func(tx *bbolt.Tx) error {
		var prefix []byte
		if packID != "" {
			prefix = Prefix(packID)
		}
		models := tx.Bucket([]byte(BucketModelConfigs))
		var err error
		total, err = List(tx.Bucket([]byte(BucketIdxModelsByPack)), ListOpts{Prefix: prefix, Offset: offset, Limit: limit},
			func(k, _ []byte) error {
				parts := SplitKey(k)
				var rec engine.ModelRecord
				found, err := GetJSON(models, []byte(parts[len(parts)-1]), &rec)
				if err != nil || !found {
					return err
				}
				out = append(out, rec)
				return nil
			})
		return err
	})
	return out, total, err
}

// LatestPolicy implements engine.ConfigStore.
func (c *Configs) LatestPolicy(_ context.Context, packID, modelID string) (engine.PolicyRecord, error) {
	var rec engine.PolicyRecord
	err := c.db.View(func(tx *bbolt.Tx) error {
		_, v := LastWithPrefix(tx.Bucket([]byte(BucketPolicies)), Prefix(packID, modelID))
		if v == nil {
			return fmt.Errorf("policy %s/%s: %w", packID, modelID, errs.ErrNotFound)
		}
		return json.Unmarshal(v, &rec)
	})
	return rec, err
}

// PutPolicy implements engine.ConfigStore.
func (c *Configs) PutPolicy(_ context.Context, rec engine.PolicyRecord, bump bool) (engine.PolicyRecord, error) {
	var out engine.PolicyRecord
	err := c.db.Update(func(tx *bbolt.Tx) error {
		var err error
		out, err = putPolicy(tx, rec, bump)
		return err
	})
	return out, err
}

func putPolicy(tx *bbolt.Tx, rec engine.PolicyRecord, bump bool) (engine.PolicyRecord, error) {
	b := tx.Bucket([]byte(BucketPolicies))
	_, v := LastWithPrefix(b, Prefix(rec.PackID, rec.ModelID))
	rec.Version = 1
	if v != nil {
		var old engine.PolicyRecord
		if err := json.Unmarshal(v, &old); err != nil {
			return rec, fmt.Errorf("decode policy: %w", err)
		}
		rec.Version = old.Version
		if bump {
			rec.Version++
		}
	}
	return rec, PutJSON(b, Key(rec.PackID, rec.ModelID, uint64(rec.Version)), rec)
}

// LatestIndicatorSet implements engine.ConfigStore.
func (c *Configs) LatestIndicatorSet(_ context.Context, packID, scope, key string) (engine.IndicatorSetRecord, error) {
	var rec engine.IndicatorSetRecord
	err := c.db.View(func(tx *bbolt.Tx) error {
		_, v := LastWithPrefix(tx.Bucket([]byte(BucketIndicatorSets)), Prefix(packID, scope, key))
		if v == nil {
			return fmt.Errorf("indicator set %s/%s/%s: %w", packID, scope, key, errs.ErrNotFound)
		}
		return json.Unmarshal(v, &rec)
	})
	return rec, err
}

// PutIndicatorSet implements engine.ConfigStore.
func (c *Configs) PutIndicatorSet(_ context.Context, rec engine.IndicatorSetRecord) (engine.IndicatorSetRecord, error) {
	err := c.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketIndicatorSets))
		rec.Version = 1
		if _, v := LastWithPrefix(b, Prefix(rec.PackID, rec.Scope, rec.Key)); v != nil {
			var old engine.IndicatorSetRecord
			if err := json.Unmarshal(v, &old); err != nil {
				return fmt.Errorf("decode indicator set: %w", err)
			}
			rec.Version = old.Version + 1
		}
		return PutJSON(b, Key(rec.PackID, rec.Scope, rec.Key, uint64(rec.Version)), rec)
	})
	return rec, err
}
