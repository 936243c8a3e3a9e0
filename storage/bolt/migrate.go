package bolt

import (
	"fmt"

	bbolt "go.etcd.io/bbolt"
)

// migration moves the schema from version-1 to version. Migrations run in order
// inside the Open transaction; append new ones, never edit shipped ones.
type migration struct {
	version uint64
	name    string
	apply   func(tx *bbolt.Tx) error
}

// migrations is the ordered list of schema steps. Version 1 is the initial layout,
// whose buckets setup already created.
var migrations = []migration{
	{version: 1, name: "initial buckets", apply: func(*bbolt.Tx) error { return nil }},
	{version: 2, name: "leaderboard index by deflated Sharpe", apply: indexLeaderboardDSR},
}

func currentSchema() uint64 { return migrations[len(migrations)-1].version }

func migrate(tx *bbolt.Tx) error {
	have, err := SchemaVersion(tx)
	if err != nil {
		return err
	}
	if have > currentSchema() {
		return fmt.Errorf("database schema %d is newer than this binary (%d)", have, currentSchema())
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		if err := m.apply(tx); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		have = m.version
	}
	return tx.Bucket([]byte(BucketMeta)).Put(keySchemaVersion, U64(have))
}
