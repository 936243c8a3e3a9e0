package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/engine/signals"
)

// Signals live in three buckets:
//
//	signals              date|hh|model_id|ticker → signals.Signal (the upsert key; hh is the
//	                     2-digit ET hour, so a reverse walk lists newest first)
//	idx_signals_by_model model_id|date|hh|ticker → "" (a model's rows without a full scan)
//	option_signals       date|hh|model_id|ticker|occ → signals.OptionSignal
//
// The signals bucket's sequence counts committed writes: the Bleve index
// records the sequence it has seen and is rebuilt when they differ.

// Signals returns the engine.SignalStore over db.
func (db *DB) Signals() *Signals { return &Signals{db: db} }

// Signals implements engine.SignalStore.
type Signals struct{ db *DB }

var _ engine.SignalStore = (*Signals)(nil)

func signalKey(s signals.Signal) []byte {
	return Key(s.Date, hh(s.HourET), s.ModelID, s.Ticker)
}

func hh(h int) string { return fmt.Sprintf("%02d", h) }

// keyOfID turns a signal id (model:date:hh:ticker) into its bucket key.
func keyOfID(id string) ([]byte, bool) {
	p := strings.Split(id, ":")
	if len(p) != 4 {
		return nil, false
	}
	if _, err := strconv.Atoi(p[2]); err != nil {
		return nil, false
	}
	return Key(p[1], p[2], p[0], p[3]), true
}

// UpsertSignals stores rows (replacing same-key rows) and bumps the sequence.
func (s *Signals) UpsertSignals(_ context.Context, rows []signals.Signal) (uint64, error) {
	var seq uint64
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b, idx := tx.Bucket([]byte(BucketSignals)), tx.Bucket([]byte(BucketIdxSignalsByModel))
		for _, r := range rows {
			if r.ID != signals.Key(r.ModelID, r.Date, r.HourET, r.Ticker) {
				return fmt.Errorf("signal id %q does not match its key fields", r.ID)
			}
			if err := PutJSON(b, signalKey(r), r); err != nil {
				return err
			}
			if err := idx.Put(Key(r.ModelID, r.Date, hh(r.HourET), r.Ticker), []byte{}); err != nil {
				return err
			}
		}
		var err error
		seq, err = b.NextSequence()
		return err
	})
	return seq, err
}

// GetSignals returns the stored rows among ids.
func (s *Signals) GetSignals(_ context.Context, ids []string) (map[string]signals.Signal, error) {
	out := make(map[string]signals.Signal, len(ids))
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketSignals))
		for _, id := range ids {
			k, ok := keyOfID(id)
			if !ok {
				continue
			}
			var r signals.Signal
			found, err := GetJSON(b, k, &r)
			if err != nil {
				return err
			}
			if found {
				out[id] = r
			}
		}
		return nil
	})
	return out, err
}

// ListSignals returns the rows matching f. A model filter walks that model's
// index prefix; ids (search hits) are looked up directly; otherwise the
// bucket is scanned (from the start date when there is one).
func (s *Signals) ListSignals(ctx context.Context, f engine.SignalFilter) ([]signals.Signal, error) {
	var out []signals.Signal
	keep := func(r signals.Signal) {
		if f.Match(r) {
			out = append(out, r)
		}
	}
	if f.IDs != nil {
		m, err := s.GetSignals(ctx, f.IDs)
		if err != nil {
			return nil, err
		}
		for _, r := range m {
			keep(r)
		}
		return out, nil
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketSignals))
		if f.ModelID != "" {
			c := tx.Bucket([]byte(BucketIdxSignalsByModel)).Cursor()
			pre := Prefix(f.ModelID)
			for k, _ := c.Seek(pre); k != nil && hasPrefix(k, pre); k, _ = c.Next() {
				p := SplitKey(k[len(pre):])
				if len(p) != 3 || !signals.InWindow(p[0], f.Start, f.End) || (f.Date != "" && p[0] != f.Date) {
					continue
				}
				var r signals.Signal
				found, err := GetJSON(b, Key(p[0], p[1], f.ModelID, p[2]), &r)
				if err != nil {
					return err
				}
				if found {
					keep(r)
				}
			}
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		if f.Start != "" {
			k, v = c.Seek([]byte(f.Start))
		} else {
			k, v = c.First()
		}
		for ; k != nil; k, v = c.Next() {
			var r signals.Signal
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode signal %q: %w", k, err)
			}
			if f.End != "" && r.Date > f.End {
				break
			}
			keep(r)
		}
		return nil
	})
	return out, err
}

func hasPrefix(k, pre []byte) bool { return len(k) >= len(pre) && string(k[:len(pre)]) == string(pre) }

// ForEachSignal streams every row in key order from one read transaction
// and returns the sequence of that snapshot.
func (s *Signals) ForEachSignal(_ context.Context, fn func(signals.Signal) error) (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketSignals))
		seq = b.Sequence()
		return b.ForEach(func(k, v []byte) error {
			var r signals.Signal
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode signal %q: %w", k, err)
			}
			return fn(r)
		})
	})
	return seq, err
}

// Seq is the signals bucket's write sequence.
func (s *Signals) Seq() (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bbolt.Tx) error {
		seq = tx.Bucket([]byte(BucketSignals)).Sequence()
		return nil
	})
	return seq, err
}

// ReplaceOptionSignals deletes the overlays of signalIDs and stores rows.
func (s *Signals) ReplaceOptionSignals(_ context.Context, signalIDs []string, rows []signals.OptionSignal) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketOptionSignals))
		for _, id := range signalIDs {
			k, ok := keyOfID(id)
			if !ok {
				return fmt.Errorf("bad signal id %q", id)
			}
			pre := append(k, Sep)
			c := b.Cursor()
			var del [][]byte
			for ck, _ := c.Seek(pre); ck != nil && hasPrefix(ck, pre); ck, _ = c.Next() {
				del = append(del, append([]byte(nil), ck...))
			}
			for _, dk := range del {
				if err := b.Delete(dk); err != nil {
					return err
				}
			}
		}
		for _, r := range rows {
			k, ok := keyOfID(r.SignalID)
			if !ok {
				return fmt.Errorf("bad signal id %q", r.SignalID)
			}
			if err := PutJSON(b, append(append(k, Sep), r.OCCSymbol...), r); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListOptionSignals returns the overlays matching f.
func (s *Signals) ListOptionSignals(_ context.Context, f engine.OptionSignalFilter) ([]signals.OptionSignal, error) {
	var out []signals.OptionSignal
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(BucketOptionSignals)).ForEach(func(k, v []byte) error {
			var r signals.OptionSignal
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode option signal %q: %w", k, err)
			}
			if (f.ModelID != "" && r.ModelID != f.ModelID) || (f.Expiry != "" && r.Expiry != f.Expiry) ||
				(f.OCCSymbol != "" && r.OCCSymbol != f.OCCSymbol) {
				return nil
			}
			if len(f.SignalIDs) > 0 && !containsStr(f.SignalIDs, r.SignalID) {
				return nil
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

func containsStr(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
