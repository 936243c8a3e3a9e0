package bolt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sigmalab.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, path
}

func TestOpenCreatesBucketsAndSchema(t *testing.T) {
	db, path := openTemp(t)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	err := db.View(func(tx *bbolt.Tx) error {
		for _, b := range Buckets {
			if tx.Bucket([]byte(b)) == nil {
				return fmt.Errorf("bucket %s missing", b)
			}
		}
		if _, err := BucketAt(tx, BucketBacktestRuns, NestedFolds); err != nil {
			return err
		}
		v, err := SchemaVersion(tx)
		if v != currentSchema() {
			return fmt.Errorf("schema %d", v)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Reopen is idempotent.
	_ = db.Close()
	db2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := db2.Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	db, path := openTemp(t)
	_ = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(BucketMeta)).Put(keySchemaVersion, U64(currentSchema()+1))
	})
	_ = db.Close()
	if _, err := Open(path); err == nil {
		t.Fatal("opened a database from the future")
	}
}

func TestKeysAndListing(t *testing.T) {
	db, _ := openTemp(t)
	err := db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketJobs))
		for i := 0; i < 300; i++ {
			id, k, err := NextID(b)
			if err != nil {
				return err
			}
			if err := PutJSON(b, k, map[string]uint64{"id": id}); err != nil {
				return err
			}
		}
		s := tx.Bucket([]byte(BucketSignals))
		for _, k := range [][]byte{Key("a", "x"), Key("a-b", "y"), Key("a", "z"), Key("b", "q")} {
			if err := s.Put(k, []byte(`{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketJobs))
		var got []uint64
		total, err := List(b, ListOpts{Reverse: true, Offset: 2, Limit: 3}, func(k, _ []byte) error {
			got = append(got, ParseU64(k))
			return nil
		})
		if err != nil || total != 300 || fmt.Sprint(got) != "[298 297 296]" {
			t.Errorf("reverse page: %v total %d err %v", got, total, err)
		}
		var m map[string]uint64
		if found, err := GetJSON(b, U64(256), &m); !found || err != nil || m["id"] != 256 {
			t.Errorf("get 256: %v %v %v", found, err, m)
		}
		s := tx.Bucket([]byte(BucketSignals))
		var keys [][]string
		total, _ = List(s, ListOpts{Prefix: Prefix("a")}, func(k, _ []byte) error {
			keys = append(keys, SplitKey(k))
			return nil
		})
		if total != 2 || fmt.Sprint(keys) != "[[a x] [a z]]" {
			t.Errorf("prefix: %v %d", keys, total)
		}
		keys = nil
		List(s, ListOpts{Prefix: Prefix("a"), Reverse: true}, func(k, _ []byte) error {
			keys = append(keys, SplitKey(k))
			return nil
		})
		if fmt.Sprint(keys) != "[[a z] [a x]]" {
			t.Errorf("reverse prefix: %v", keys)
		}
		if k, _ := LastWithPrefix(s, Prefix("a")); string(k) != string(Key("a", "z")) {
			t.Errorf("last: %q", k)
		}
		if k, _ := LastWithPrefix(s, Prefix("c")); k != nil {
			t.Errorf("last of absent prefix: %q", k)
		}
		return nil
	})
	parts, n := SplitKeyU64(Key("pack", "model", uint64(258)))
	if n != 258 || fmt.Sprint(parts) != "[pack model]" {
		t.Error(parts, n)
	}
}

func TestSortableFloat(t *testing.T) {
	vals := []float64{3, -1, 0, -100.5, 2.25, math.Inf(1), math.Inf(-1), -0.001}
	keys := make([]string, len(vals))
	for i, v := range vals {
		keys[i] = string(SortableFloat(v))
	}
	sort.Float64s(vals)
	sort.Strings(keys)
	for i, v := range vals {
		if keys[i] != string(SortableFloat(v)) {
			t.Fatalf("order broken at %d (%v)", i, v)
		}
	}
}

func TestConfigsStore(t *testing.T) {
	db, path := openTemp(t)
	c := db.Configs()
	ctx := context.Background()
	m := engine.ModelRecord{ModelID: "spy_opt_0dte_hourly", PackID: "zerosigma", Config: map[string]any{"a": 1.0}}
	if _, err := c.CreateModel(ctx, m, engine.PolicyRecord{ModelID: m.ModelID, PackID: m.PackID, Policy: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateModel(ctx, m, engine.PolicyRecord{}); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	m.Config["b"] = 2.0
	m.PackID = "swingsigma"
	got, err := c.PutModel(ctx, m)
	if err != nil || got.Version != 2 {
		t.Fatal(got, err)
	}
	for _, p := range []struct {
		pack string
		n    int
	}{{"", 1}, {"swingsigma", 1}, {"zerosigma", 0}} {
		rows, total, err := c.ListModels(ctx, p.pack, 0, 10)
		if err != nil || total != p.n || len(rows) != p.n {
			t.Errorf("list %q: %d %d %v", p.pack, total, len(rows), err)
		}
	}
	for i, bump := range []bool{true, true, false} {
		rec, err := c.PutPolicy(ctx, engine.PolicyRecord{ModelID: "m1", PackID: "p", Policy: map[string]any{"i": float64(i)}}, bump)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{1, 2, 2}[i]; rec.Version != want {
			t.Errorf("put %d: version %d want %d", i, rec.Version, want)
		}
	}
	if _, err := c.LatestPolicy(ctx, "p", "m"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("prefix leak: %v", err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.PutIndicatorSet(ctx, engine.IndicatorSetRecord{PackID: "p", Scope: "pack", Key: "s", Data: map[string]any{"v": float64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()
	db2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	c = db2.Configs()
	if got, err := c.GetModel(ctx, m.ModelID); err != nil || got.Config["b"] != 2.0 || got.Version != 2 {
		t.Errorf("after reopen: %+v %v", got, err)
	}
	if pol, err := c.LatestPolicy(ctx, "p", "m1"); err != nil || pol.Policy["i"] != 2.0 || pol.Version != 2 {
		t.Errorf("policy after reopen: %+v %v", pol, err)
	}
	if is, err := c.LatestIndicatorSet(ctx, "p", "pack", "s"); err != nil || is.Version != 2 || is.Data["v"] != 1.0 {
		t.Errorf("indicator set: %+v %v", is, err)
	}
}
