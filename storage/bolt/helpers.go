package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine/errs"
)

// Sep separates the parts of composite keys. \x00 sorts before every printable
// byte, so "a|b" sorts right after "a" and before "a-b": prefix scans stay exact.
const Sep = 0x00

// U64 encodes n big-endian so byte order equals numeric order.
func U64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// ParseU64 decodes an 8-byte big-endian key; it returns 0 for other lengths.
func ParseU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// SortableFloat encodes f so that byte order equals numeric order (negative
// numbers included); NaN sorts first. Used by leaderboard index keys.
func SortableFloat(f float64) []byte {
	if math.IsNaN(f) {
		return U64(0)
	}
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	return U64(u)
}

// Key joins parts with Sep. Parts may be strings or []byte (e.g. U64(id)).
func Key(parts ...any) []byte {
	var buf bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			buf.WriteByte(Sep)
		}
		switch v := p.(type) {
		case string:
			buf.WriteString(v)
		case []byte:
			buf.Write(v)
		case uint64:
			buf.Write(U64(v))
		default:
			panic(fmt.Sprintf("bolt.Key: unsupported part type %T", p))
		}
	}
	return buf.Bytes()
}

// Prefix is Key(parts...) followed by Sep: the scan prefix of every key that
// starts with exactly these parts.
func Prefix(parts ...any) []byte { return append(Key(parts...), Sep) }

// SplitKey splits a composite key of string parts. Binary parts (U64) may contain
// Sep bytes, so keys with a trailing be(n) should be split with SplitKeyU64.
func SplitKey(k []byte) []string {
	fs := bytes.Split(k, []byte{Sep})
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

// SplitKeyU64 splits a key of the form parts…|be(n): string parts and the trailing number.
func SplitKeyU64(k []byte) ([]string, uint64) {
	if len(k) < 9 {
		return SplitKey(k), 0
	}
	n := binary.BigEndian.Uint64(k[len(k)-8:])
	return SplitKey(k[:len(k)-9]), n
}

// BucketAt returns the bucket at path (top-level name, then nested names), or an
// error wrapping errs.ErrNotFound.
func BucketAt(tx *bbolt.Tx, path ...string) (*bbolt.Bucket, error) {
	if len(path) == 0 {
		return nil, fmt.Errorf("empty bucket path")
	}
	b := tx.Bucket([]byte(path[0]))
	for _, p := range path[1:] {
		if b == nil {
			break
		}
		b = b.Bucket([]byte(p))
	}
	if b == nil {
		return nil, fmt.Errorf("bucket %v: %w", path, errs.ErrNotFound)
	}
	return b, nil
}

// PutJSON stores v as JSON under key in bucket.
func PutJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return b.Put(key, data)
}

// GetJSON decodes the value at key into dst; found is false when the key is absent.
func GetJSON(b *bbolt.Bucket, key []byte, dst any) (found bool, err error) {
	v := b.Get(key)
	if v == nil {
		return false, nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return true, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// NextID returns the bucket's next sequence number (1, 2, …) and its key.
func NextID(b *bbolt.Bucket) (uint64, []byte, error) {
	id, err := b.NextSequence()
	if err != nil {
		return 0, nil, err
	}
	return id, U64(id), nil
}

// LastWithPrefix returns the last key/value whose key starts with prefix (e.g. the
// latest version of a versioned record), or nil, nil.
func LastWithPrefix(b *bbolt.Bucket, prefix []byte) (k, v []byte) {
	c := b.Cursor()
	// Seek to the first key past the prefix range, then step back.
	end := prefixEnd(prefix)
	if end == nil {
		k, v = c.Last()
	} else if k, _ = c.Seek(end); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k != nil && bytes.HasPrefix(k, prefix) {
		return k, v
	}
	return nil, nil
}

// prefixEnd is the smallest key greater than every key with prefix p (nil when none).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// ListOpts selects a page of keys.
type ListOpts struct {
	Prefix  []byte // only keys with this prefix (nil: all)
	Reverse bool   // newest first for be(id) keys
	Offset  int    // rows to skip
	Limit   int    // max rows to visit (0: no limit)
	// Filter, when set, decides whether a row counts at all (for total, offset and
	// limit). Leave nil for the fast path.
	Filter func(k, v []byte) bool
}

// List calls fn for each key/value of the page and returns the total number of
// matching keys. fn must not keep k or v beyond the transaction.
func List(b *bbolt.Bucket, o ListOpts, fn func(k, v []byte) error) (total int, err error) {
	c := b.Cursor()
	var k, v []byte
	var step func() ([]byte, []byte)
	if o.Reverse {
		step = c.Prev
		if end := prefixEnd(o.Prefix); len(o.Prefix) == 0 || end == nil {
			k, v = c.Last()
		} else if k, _ = c.Seek(end); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		step = c.Next
		if len(o.Prefix) == 0 {
			k, v = c.First()
		} else {
			k, v = c.Seek(o.Prefix)
		}
	}
	for ; k != nil; k, v = step() {
		if !bytes.HasPrefix(k, o.Prefix) {
			break
		}
		if v == nil { // nested bucket
			continue
		}
		if o.Filter != nil && !o.Filter(k, v) {
			continue
		}
		idx := total
		total++
		if idx < o.Offset || (o.Limit > 0 && idx >= o.Offset+o.Limit) {
			continue
		}
		if err := fn(k, v); err != nil {
			return total, err
		}
	}
	return total, nil
}
