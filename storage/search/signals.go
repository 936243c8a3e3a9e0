package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bolterrors "go.etcd.io/bbolt/errors"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/signals"
	"sigmalab/storage/files"
)

// signalsMappingVersion names the document mapping of the signals index;
// an index built by other code is rebuilt on open.
const signalsMappingVersion = "signals-v1"

// seqKey is the internal key holding the store sequence the index has taken
// in (decimal); "" marks an index that missed a write (rebuilt on open).
var seqKey = []byte("sigmalab_signals_seq")

// SignalSource is the store the signals index is derived from.
type SignalSource interface {
	ForEachSignal(ctx context.Context, fn func(signals.Signal) error) (uint64, error)
	Seq() (uint64, error)
}

// SignalsOptions locate the index and its source.
type SignalsOptions struct {
	Root        string // data dir
	IndexRel    string // slash-separated index dir under Root (index/signals.bleve)
	Source      SignalSource
	BatchSize   int           // 0: DefaultBatchSize
	LockTimeout time.Duration // 0: DefaultLockTimeout
	Log         *slog.Logger
}

// SignalsIndex is the full-text index of signals. It implements
// engine.SignalIndex. The bbolt store is the truth: the index records the
// store's write sequence with each batch, and is rebuilt from the store at
// open when it is missing, unreadable, from another mapping, or at another
// sequence (a write committed to bbolt but not indexed before a kill -9).
type SignalsIndex struct {
	opt     SignalsOptions
	path    string
	idx     bleve.Index
	log     *slog.Logger
	mu      sync.Mutex // orders batches and the recorded sequence
	seq     uint64     // highest sequence indexed
	dirty   bool       // a write failed: keep the recorded sequence invalid
	closed  atomic.Bool
	rebuilt bool
}

var _ engine.SignalIndex = (*SignalsIndex)(nil)

// OpenSignals opens the index, rebuilding it from the source when needed.
func OpenSignals(ctx context.Context, opt SignalsOptions) (*SignalsIndex, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = DefaultLockTimeout
	}
	s := &SignalsIndex{opt: opt, log: opt.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if _, err := files.Confine(opt.Root, path.Dir(opt.IndexRel)); err != nil {
		return nil, fmt.Errorf("signals index: %w", err)
	}
	s.path = filepath.Join(opt.Root, filepath.FromSlash(opt.IndexRel))
	if hasSymlink(s.path) {
		s.log.Warn("signals index holds a symlink; removing it to rebuild", "path", opt.IndexRel)
		if err := os.RemoveAll(s.path); err != nil {
			return nil, fmt.Errorf("signals index: %w", err)
		}
	}
	want, err := opt.Source.Seq()
	if err != nil {
		return nil, fmt.Errorf("signals index: %w", err)
	}
	idx, err := bleve.OpenUsing(s.path, map[string]any{"bolt_timeout": opt.LockTimeout.String()})
	switch {
	case err == nil:
		v, _ := idx.GetInternal(mappingKey)
		sq, _ := idx.GetInternal(seqKey)
		if string(v) == signalsMappingVersion && string(sq) == strconv.FormatUint(want, 10) {
			s.idx, s.seq = idx, want
			return s, nil
		}
		s.log.Warn("signals index behind the store or from another version; rebuilding", "path", opt.IndexRel,
			"index_seq", string(sq), "store_seq", want)
		_ = idx.Close()
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("signals index %s is locked by another process: %w", opt.IndexRel, err)
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
	default:
		s.log.Warn("signals index unreadable; rebuilding from the store", "path", opt.IndexRel, "err", err)
	}
	return s, s.rebuild(ctx)
}

// rebuild recreates the index from every stored signal.
func (s *SignalsIndex) rebuild(ctx context.Context) error {
	if err := os.RemoveAll(s.path); err != nil {
		return fmt.Errorf("remove signals index: %w", err)
	}
	idx, err := bleve.NewUsing(s.path, signalsMapping(), scorch.Name, scorch.Name,
		map[string]any{"bolt_timeout": s.opt.LockTimeout.String()})
	if err != nil {
		return fmt.Errorf("create signals index: %w", err)
	}
	s.idx, s.rebuilt = idx, true
	b := idx.NewBatch()
	n := 0
	seq, err := s.opt.Source.ForEachSignal(ctx, func(r signals.Signal) error {
		if err := b.Index(r.ID, signalDoc(r)); err != nil {
			return err
		}
		n++
		if b.Size() >= s.opt.BatchSize {
			if err := idx.Batch(b); err != nil {
				return err
			}
			b.Reset()
		}
		return nil
	})
	if err == nil {
		b.SetInternal(mappingKey, []byte(signalsMappingVersion))
		b.SetInternal(seqKey, []byte(strconv.FormatUint(seq, 10)))
		err = idx.Batch(b)
	}
	if err != nil {
		_ = idx.Close()
		return fmt.Errorf("rebuild signals index: %w", err)
	}
	s.seq = seq
	s.log.Info("signals index rebuilt", "path", s.opt.IndexRel, "signals", n, "seq", seq)
	return nil
}

// Rebuilt reports whether OpenSignals rebuilt the index.
func (s *SignalsIndex) Rebuilt() bool { return s.rebuilt }

// Close closes the index; later calls are no-ops.
func (s *SignalsIndex) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.idx.Close()
}

// Check is the health probe.
func (s *SignalsIndex) Check(context.Context) error {
	if s.closed.Load() {
		return errors.New("signals index is closed")
	}
	if _, err := s.idx.DocCount(); err != nil {
		return fmt.Errorf("signals index: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dirty {
		return errors.New("signals index missed a write; a restart rebuilds it")
	}
	return nil
}

// IndexSignals indexes rows in batches; the last batch records seq (when it
// is the highest seen), so the index and the store agree exactly when the
// process stops between writes.
func (s *SignalsIndex) IndexSignals(_ context.Context, rows []signals.Signal, seq uint64) error {
	if s.closed.Load() {
		return bleve.ErrorIndexClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.indexLocked(rows, seq)
	if err != nil && !s.dirty {
		s.dirty = true
		_ = s.idx.SetInternal(seqKey, []byte("")) // the next open rebuilds
	}
	return err
}

func (s *SignalsIndex) indexLocked(rows []signals.Signal, seq uint64) error {
	for lo := 0; lo < len(rows) || lo == 0; lo += s.opt.BatchSize {
		hi := min(lo+s.opt.BatchSize, len(rows))
		b := s.idx.NewBatch()
		for _, r := range rows[lo:hi] {
			if err := b.Index(r.ID, signalDoc(r)); err != nil {
				return fmt.Errorf("index signal %s: %w", r.ID, err)
			}
		}
		if hi == len(rows) && !s.dirty && seq > s.seq {
			b.SetInternal(seqKey, []byte(strconv.FormatUint(seq, 10)))
		}
		if err := s.idx.Batch(b); err != nil {
			return fmt.Errorf("index signals: %w", err)
		}
		if hi == len(rows) {
			break
		}
	}
	if seq > s.seq {
		s.seq = seq
	}
	return nil
}

// SearchSignals returns the ids of the signals matching q (Bleve query
// string syntax: words, "phrases", field:value on model_id, ticker, tag,
// side, risk_profile, pack_id, source, status, date).
func (s *SignalsIndex) SearchSignals(ctx context.Context, q string, max int) ([]string, error) {
	qs := bleve.NewQueryStringQuery(q)
	if _, err := qs.Parse(); err != nil {
		return nil, errs.Field("query", "q", "q is not a valid search query: "+err.Error())
	}
	req := bleve.NewSearchRequestOptions(qs, max, 0, false)
	res, err := s.idx.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("search signals: %w: %w", errs.ErrCancelled, ctx.Err())
		}
		probe := bleve.NewSearchRequestOptions(bleve.NewMatchNoneQuery(), 1, 0, false)
		if _, perr := s.idx.SearchInContext(ctx, probe); perr == nil {
			return nil, errs.Field("query", "q", "q is not a valid search query: "+err.Error())
		}
		return nil, fmt.Errorf("search signals: %w", err)
	}
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids, nil
}

// Count is the number of indexed signals.
func (s *SignalsIndex) Count() (int, error) {
	n, err := s.idx.DocCount()
	return int(n), err
}

// signalsMapping: identity and filter fields as keywords (exact, lower-case
// where the values are), and one analysed text field with the same words so
// plain queries (spy, demo, sell) find them whatever the case.
func signalsMapping() mapping.IndexMapping {
	doc := bleve.NewDocumentStaticMapping()
	for _, k := range []string{"model_id", "pack_id", "ticker", "tag", "side", "risk_profile", "source", "status", "date"} {
		f := bleve.NewKeywordFieldMapping()
		f.Store, f.DocValues = false, false
		doc.AddFieldMappingsAt(k, f)
	}
	text := bleve.NewTextFieldMapping()
	text.Analyzer, text.Store, text.IncludeTermVectors = "standard", false, false
	doc.AddFieldMappingsAt("text", text)
	im := bleve.NewIndexMapping()
	im.DefaultMapping = doc
	im.DefaultAnalyzer = "standard"
	im.StoreDynamic, im.IndexDynamic, im.DocValuesDynamic = false, false, false
	return im
}

func signalDoc(r signals.Signal) map[string]any {
	return map[string]any{"model_id": r.ModelID, "pack_id": r.PackID, "ticker": r.Ticker, "tag": r.Tag, "side": r.Side,
		"risk_profile": r.RiskProfile, "source": r.Source, "status": r.Status, "date": r.Date,
		"text": r.Text() + " " + r.ModelID + " " + r.Tag}
}
