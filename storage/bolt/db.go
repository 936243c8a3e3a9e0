// Package bolt is the bbolt adapter: one bucket per entity, JSON values, keys that
// sort in the order listings need. It implements the engine's storage ports.
//
// Bucket and key design (values are JSON unless noted; "be(n)" is an 8-byte
// big-endian uint64, "|" is the \x00 separator of composite keys):
//
//	meta                 schema_version → be(n)
//	packs                pack_id → user-added pack {id, meta, …}
//	model_configs        model_id → latest ModelRecord (model ids are unique across packs)
//	model_config_versions model_id|be(version) → ModelRecord (history of PATCH/PUT)
//	idx_models_by_pack   pack_id|model_id → "" (pack filter of GET /models)
//	policies             pack_id|model_id|be(version) → PolicyRecord (latest = last key of the prefix)
//	indicator_sets       pack_id|scope|key|be(version) → IndicatorSetRecord (scope pack: key = name,
//	                     scope model: key = model_id; append-only history)
//	templates            pack_id|template_id|be(version) → template (versioned; publish flag inside)
//	build_runs           be(id) → build run (ids from NextSequence, so keys sort by creation)
//	training_runs        be(id) → training run
//	backtest_runs        be(id) → backtest run; nested bucket "folds": be(run_id)|be(fold) → fold
//	sweeps               be(id) → sweep; nested bucket "results": be(sweep_id)|be(cell index+1) → result row (rank inside)
//	artifacts            kind|artifact_id → artifact {path, sha256, size, …}
//	signals              date|hour|model_id|ticker → signal (the upsert key)
//	option_signals       date|hour|model_id|ticker|occ → option overlay row
//	jobs                 be(id) → job {status, progress, message, result}
//	users                user_id → user {name, role, status}
//	tokens               sha256(token) hex → {user_id, created_at} (hashes only, never clear text)
//	quotas               user_id → quota limits and counters
//	flags                key → {enabled, …}
//	risk_profiles        name → risk profile
//	audit                be(id) → audit row (who, what, when, outcome, body digest)
//	idx_leaderboard_sharpe  scope|be(sortable float)|be(run_id) → filter fields (order by sharpe_hourly)
//	idx_leaderboard_cumret  scope|be(sortable float)|be(run_id) → filter fields (order by cum_ret)
//	idx_leaderboard_created scope|be(run_id) → filter fields (order by created_at); "#"|scope → be(count)
//	idx_leaderboard_dsr     scope|be(sortable float)|be(run_id) → filter fields (order by dsr)
//	                     (scope: "*", "p="pack, "m="model, "t="tag, "r="risk_profile, "g=0|1"; see backtests.go)
//	idx_signals_by_model    model_id|date|hour|ticker → "" (signals by model/date)
//
// Every bucket above is created at Open, so readers never meet a missing bucket.
// Domains that need another bucket add its name to Buckets (and a migration
// when existing data must change).
package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// Bucket names. Keep in sync with the package doc.
const (
	BucketMeta                = "meta"
	BucketPacks               = "packs"
	BucketModelConfigs        = "model_configs"
	BucketModelConfigVersions = "model_config_versions"
	BucketIdxModelsByPack     = "idx_models_by_pack"
	BucketPolicies            = "policies"
	BucketIndicatorSets       = "indicator_sets"
	BucketTemplates           = "templates"
	BucketBuildRuns           = "build_runs"
	BucketTrainingRuns        = "training_runs"
	BucketBacktestRuns        = "backtest_runs"
	BucketSweeps              = "sweeps"
	BucketArtifacts           = "artifacts"
	BucketSignals             = "signals"
	BucketOptionSignals       = "option_signals"
	BucketJobs                = "jobs"
	BucketUsers               = "users"
	BucketTokens              = "tokens"
	BucketQuotas              = "quotas"
	BucketFlags               = "flags"
	BucketRiskProfiles        = "risk_profiles"
	BucketAudit               = "audit"
	BucketIdxLeaderSharpe     = "idx_leaderboard_sharpe"
	BucketIdxLeaderCumRet     = "idx_leaderboard_cumret"
	BucketIdxLeaderCreated    = "idx_leaderboard_created"
	BucketIdxLeaderDSR        = "idx_leaderboard_dsr"
	BucketIdxSignalsByModel   = "idx_signals_by_model"

	// Nested bucket names.
	NestedFolds   = "folds"   // inside backtest_runs
	NestedResults = "results" // inside sweeps
)

// Buckets lists every top-level bucket created at Open.
var Buckets = []string{
	BucketMeta, BucketPacks, BucketModelConfigs, BucketModelConfigVersions, BucketIdxModelsByPack,
	BucketPolicies, BucketIndicatorSets, BucketTemplates, BucketBuildRuns, BucketTrainingRuns,
	BucketBacktestRuns, BucketSweeps, BucketArtifacts, BucketSignals, BucketOptionSignals, BucketJobs,
	BucketUsers, BucketTokens, BucketQuotas, BucketFlags, BucketRiskProfiles, BucketAudit,
	BucketIdxLeaderSharpe, BucketIdxLeaderCumRet, BucketIdxSignalsByModel, BucketIdxLeaderCreated,
	BucketIdxLeaderDSR,
}

// nestedBuckets are created inside their parent at Open.
var nestedBuckets = [][2]string{{BucketBacktestRuns, NestedFolds}, {BucketSweeps, NestedResults}}

// keySchemaVersion is the meta key holding the schema version.
var keySchemaVersion = []byte("schema_version")

// DB is the opened bbolt database.
type DB struct {
	b    *bbolt.DB
	path string
}

// Open opens (creating if needed) the database at path, creates every bucket and
// runs pending migrations, all in one transaction so a crash leaves either the old
// or the new schema.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open db: %w", err)
	}
	// The timeout turns "another process holds the lock" into an error instead of a hang.
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open db %s: %w", filepath.Base(path), err)
	}
	db := &DB{b: b, path: path}
	if err := db.b.Update(db.setup); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("prepare db: %w", err)
	}
	return db, nil
}

func (db *DB) setup(tx *bbolt.Tx) error {
	for _, name := range Buckets {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	for _, nb := range nestedBuckets {
		if _, err := tx.Bucket([]byte(nb[0])).CreateBucketIfNotExists([]byte(nb[1])); err != nil {
			return fmt.Errorf("bucket %s/%s: %w", nb[0], nb[1], err)
		}
	}
	return migrate(tx)
}

// Close closes the database.
func (db *DB) Close() error {
	if db == nil || db.b == nil {
		return nil
	}
	return db.b.Close()
}

// Path is the database file path.
func (db *DB) Path() string { return db.path }

// Bolt exposes the underlying handle for adapters in this package's callers that
// need raw access (backup, stats).
func (db *DB) Bolt() *bbolt.DB { return db.b }

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(tx *bbolt.Tx) error) error { return db.b.View(fn) }

// Update runs fn in a read-write transaction: the whole batch commits or none of it.
func (db *DB) Update(fn func(tx *bbolt.Tx) error) error { return db.b.Update(fn) }

// Ping verifies the database answers a read and holds the expected schema.
func (db *DB) Ping() error {
	return db.b.View(func(tx *bbolt.Tx) error {
		v, err := SchemaVersion(tx)
		if err != nil {
			return err
		}
		if v != currentSchema() {
			return fmt.Errorf("schema version %d, want %d", v, currentSchema())
		}
		return nil
	})
}

// SchemaVersion reads the stored schema version (0 for a fresh database).
func SchemaVersion(tx *bbolt.Tx) (uint64, error) {
	b := tx.Bucket([]byte(BucketMeta))
	if b == nil {
		return 0, errors.New("meta bucket missing")
	}
	v := b.Get(keySchemaVersion)
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("corrupt schema version (%d bytes)", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}
