package engine

import (
	"context"
	"time"
)

// ModelRecord is a model's configuration as stored (latest version).
type ModelRecord struct {
	ModelID   string         `json:"model_id"`
	PackID    string         `json:"pack_id"`
	Version   int            `json:"version"`
	Config    map[string]any `json:"config"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// PolicyRecord is one version of a model's trading policy.
type PolicyRecord struct {
	ModelID   string         `json:"model_id"`
	PackID    string         `json:"pack_id"`
	Version   int            `json:"version"`
	Policy    map[string]any `json:"policy"`
	CreatedAt time.Time      `json:"created_at"`
}

// Indicator-set scopes.
const (
	ScopePack  = "pack"
	ScopeModel = "model"
)

// IndicatorSetRecord is one version of a stored indicator set. Key is the set's
// name for scope "pack" and the model id for scope "model".
type IndicatorSetRecord struct {
	PackID    string         `json:"pack_id"`
	Scope     string         `json:"scope"`
	Key       string         `json:"key"`
	Version   int            `json:"version"`
	Data      map[string]any `json:"data"`
	CreatedAt time.Time      `json:"created_at"`
}

// ConfigStore is the port for model configs, policies and indicator sets.
// Not-found lookups return errors wrapping ErrNotFound.
type ConfigStore interface {
	// GetModel returns the latest config of modelID (model ids are unique across packs).
	GetModel(ctx context.Context, modelID string) (ModelRecord, error)
	// CreateModel stores a new model and its first policy atomically; ErrConflict
	// if the model id exists.
	CreateModel(ctx context.Context, m ModelRecord, p PolicyRecord) (ModelRecord, error)
	// PutModel stores rec as the next version of the model (creating it when
	// absent; moving it to rec.PackID when that changed) and returns what was stored.
	PutModel(ctx context.Context, rec ModelRecord) (ModelRecord, error)
	// ListModels lists models ordered by (pack_id, model_id); packID "" means all.
	ListModels(ctx context.Context, packID string, offset, limit int) ([]ModelRecord, int, error)

	// LatestPolicy returns the highest version of the (pack, model) policy.
	LatestPolicy(ctx context.Context, packID, modelID string) (PolicyRecord, error)
	// PutPolicy stores a policy: a new version when bump (or none exists), else
	// it overwrites the latest version in place. Version and CreatedAt are set.
	PutPolicy(ctx context.Context, rec PolicyRecord, bump bool) (PolicyRecord, error)

	// LatestIndicatorSet returns the latest version of (pack, scope, key).
	LatestIndicatorSet(ctx context.Context, packID, scope, key string) (IndicatorSetRecord, error)
	// PutIndicatorSet appends a new version and returns it.
	PutIndicatorSet(ctx context.Context, rec IndicatorSetRecord) (IndicatorSetRecord, error)
}
