// Package search holds the Bleve indexes of the data dir (SPEC §3): the model
// cards index (index/cards.bleve). Indexes are derived data: the files they
// index are the source of truth, so a missing, corrupt or lagging index is
// rebuilt or reconciled from the files when it is opened.
package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	bolterrors "go.etcd.io/bbolt/errors"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/storage/files"
)

// cardsMappingVersion names the document mapping below. It is stored in the
// index once a (re)build completed, so an index built by older code, or one
// whose rebuild was interrupted, is rebuilt on open.
const cardsMappingVersion = "cards-v2"

// mappingKey is the internal key holding cardsMappingVersion.
var mappingKey = []byte("sigmalab_mapping")

// DefaultBatchSize is how many cards go into one Bleve batch when several are
// indexed at once (rebuilds): one persisted segment per batch, not per card.
const DefaultBatchSize = 500

// DefaultLockTimeout bounds the wait for the index's lock, so a second
// process on the same data dir fails instead of hanging (and never rebuilds
// an index someone else holds).
const DefaultLockTimeout = 5 * time.Second

// CardsOptions locate the index and the card files.
type CardsOptions struct {
	// IndexPath is the index directory (<data>/index/cards.bleve). With IndexRel
	// set it is derived from Root instead, through the data dir's confinement.
	IndexPath string
	// IndexRel is the slash-separated index directory under Root
	// (index/cards.bleve). Its parent must stay in the data dir; an index that is,
	// or holds, a symlink is derived data gone wrong: it is deleted (the links, not
	// their targets) and rebuilt, so the index never reads or writes outside.
	IndexRel string
	// Root is the data dir; CardsRel the slash-separated directory of the card
	// files inside it (artifacts/cards): <id>.json plus <id>.md.
	Root     string
	CardsRel string
	// BatchSize of rebuilds (0: DefaultBatchSize).
	BatchSize int
	// LockTimeout is how long to wait for a held index (0: DefaultLockTimeout).
	LockTimeout time.Duration
	// Log receives rebuild and skipped-file notices (nil: discard).
	Log *slog.Logger
}

// Cards is the model-card index. It implements engine.CardReader; writers call
// Index after the card files are on disk.
type Cards struct {
	opt      CardsOptions
	idx      bleve.Index
	log      *slog.Logger
	closed   atomic.Bool
	failures atomic.Int64 // failed Index calls since open: files ahead of the index
	rebuilt  bool
}

// OpenCards opens the index or creates it, then makes it agree with the card
// files: a missing or unreadable index (e.g. after kill -9 during a write) is
// deleted and rebuilt; an index that lags the files (a card written but not yet
// indexed when the process died) gets the missing cards and loses the ones
// whose files are gone.
func OpenCards(opt CardsOptions) (*Cards, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = DefaultLockTimeout
	}
	c := &Cards{opt: opt, log: opt.Log}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if err := c.confineIndex(); err != nil {
		return nil, err
	}
	ids, err := c.fileIDs()
	if err != nil {
		return nil, err
	}
	idx, err := bleve.OpenUsing(opt.IndexPath, c.runtimeConfig())
	switch {
	case err == nil:
		if v, gerr := idx.GetInternal(mappingKey); gerr != nil || string(v) != cardsMappingVersion {
			c.log.Warn("cards index incomplete or from another version; rebuilding", "path", opt.IndexPath)
			_ = idx.Close()
			return c.rebuild(ids)
		}
		c.idx = idx
		if err := c.reconcile(ids); err != nil {
			_ = idx.Close()
			return nil, err
		}
		return c, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("cards index %s is locked by another process: %w", opt.IndexPath, err)
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
		return c.rebuild(ids)
	default:
		c.log.Warn("cards index unreadable; rebuilding from the card files", "path", opt.IndexPath, "err", err)
		return c.rebuild(ids)
	}
}

// confineIndex resolves IndexRel (see CardsOptions): the index folder's parent
// must be inside the data dir, and an index that is or holds a symlink is
// removed (links only) so that it is rebuilt in place.
func (c *Cards) confineIndex() error {
	if c.opt.IndexRel == "" {
		return nil
	}
	if _, err := files.Confine(c.opt.Root, path.Dir(c.opt.IndexRel)); err != nil {
		return fmt.Errorf("cards index: %w", err)
	}
	p := filepath.Join(c.opt.Root, filepath.FromSlash(c.opt.IndexRel))
	if hasSymlink(p) {
		c.log.Warn("cards index holds a symlink; removing it to rebuild", "path", c.opt.IndexRel)
		if err := os.RemoveAll(p); err != nil { // removes links, never their targets
			return fmt.Errorf("cards index: %w", err)
		}
	}
	c.opt.IndexPath = p
	return nil
}

// hasSymlink reports whether p is a symlink or a folder with one anywhere inside.
func hasSymlink(p string) bool {
	fi, err := os.Lstat(p)
	if err != nil {
		return false
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return true
	}
	found := false
	_ = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

func (c *Cards) runtimeConfig() map[string]any {
	return map[string]any{"bolt_timeout": c.opt.LockTimeout.String()}
}

// Rebuilt reports whether OpenCards had to rebuild the index from the files.
func (c *Cards) Rebuilt() bool { return c.rebuilt }

// Close flushes and closes the index; later calls are no-ops.
func (c *Cards) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.idx.Close()
}

// Check is the health probe: the index answers and has taken every card
// written since it was opened.
func (c *Cards) Check(context.Context) error {
	if c.closed.Load() {
		return errors.New("cards index is closed")
	}
	if _, err := c.idx.DocCount(); err != nil {
		return fmt.Errorf("cards index: %w", err)
	}
	if n := c.failures.Load(); n > 0 {
		return fmt.Errorf("cards index lags the card files by %d card(s); a restart reconciles it", n)
	}
	return nil
}

// Count is the number of indexed cards.
func (c *Cards) Count() (int, error) {
	n, err := c.idx.DocCount()
	return int(n), err
}

// Index adds (or replaces) cards in one batch. Callers write the card files
// first: a failure here leaves the index behind the files until the next open
// reconciles it, and is counted for the health probe.
func (c *Cards) Index(_ context.Context, cards ...IndexedCard) error {
	err := c.indexBatches(cards)
	if err != nil {
		c.failures.Add(int64(len(cards)))
	}
	return err
}

// IndexedCard is a card with its markdown rendering, as indexed.
type IndexedCard struct {
	Card     engine.ModelCard
	Markdown string
}

func (c *Cards) indexBatches(cards []IndexedCard) error {
	if c.closed.Load() {
		return bleve.ErrorIndexClosed
	}
	for lo := 0; lo < len(cards); lo += c.opt.BatchSize {
		hi := min(lo+c.opt.BatchSize, len(cards))
		b := c.idx.NewBatch()
		for _, ic := range cards[lo:hi] {
			if err := b.Index(ic.Card.ID, cardDoc(ic.Card, ic.Markdown, c.stamp(ic.Card.ID))); err != nil {
				return fmt.Errorf("index card %s: %w", ic.Card.ID, err)
			}
		}
		if err := c.idx.Batch(b); err != nil {
			return fmt.Errorf("index cards: %w", err)
		}
	}
	return nil
}

// cardsMapping: ids and enums as keywords (exact filters), created_at as a
// datetime (sort), run/policy numbers and every numeric metric as numbers
// (range queries such as metrics.auc:>0.8), features, notes and the markdown
// as analysed text. Only the identity and metrics are stored (listing rows);
// the text lives in the files.
func cardsMapping() mapping.IndexMapping {
	keyword := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store = true
		return f
	}
	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = "standard"
		f.Store = false
		f.IncludeTermVectors = false
		return f
	}
	num := bleve.NewNumericFieldMapping()
	num.Store = true
	created := bleve.NewDateTimeFieldMapping()
	created.Store = true

	doc := bleve.NewDocumentStaticMapping()
	for _, k := range []string{"id", "pack_id", "model_id", "event", "artifact_id", "ticker"} {
		doc.AddFieldMappingsAt(k, keyword())
	}
	doc.AddFieldMappingsAt("created_at", created)
	stamp := bleve.NewKeywordFieldMapping()
	stamp.Store, stamp.Index, stamp.IncludeInAll, stamp.DocValues = true, false, false, false
	doc.AddFieldMappingsAt("file_stamp", stamp)
	doc.AddFieldMappingsAt("run_id", num)
	doc.AddFieldMappingsAt("policy_version", num)
	for _, k := range []string{"features", "notes", "text"} {
		doc.AddFieldMappingsAt(k, text())
	}
	// Metric names vary by event, so the metrics object is dynamic; cardDoc
	// puts only finite numbers in it, which Bleve maps as numeric fields.
	metrics := bleve.NewDocumentMapping()
	metrics.Dynamic = true
	doc.AddSubDocumentMapping("metrics", metrics)

	im := bleve.NewIndexMapping()
	im.DefaultMapping = doc
	im.DefaultAnalyzer = "standard"
	im.StoreDynamic = true
	im.IndexDynamic = true
	im.DocValuesDynamic = true
	return im
}

// stamp identifies the version of a card's JSON file (size and modification
// time; atomic writes replace the file, so a rewrite changes it). Stored with
// the document, it lets reconcile spot a card rewritten but not re-indexed.
func (c *Cards) stamp(id string) string {
	p, err := files.Confine(c.opt.Root, path.Join(c.opt.CardsRel, id+".json"))
	if err != nil {
		return ""
	}
	fi, err := os.Stat(p)
	if err != nil {
		return ""
	}
	return fileStamp(fi)
}

func fileStamp(fi fs.FileInfo) string {
	return fmt.Sprintf("%d:%d", fi.Size(), fi.ModTime().UnixNano())
}

// cardDoc is the indexed form of a card.
func cardDoc(c engine.ModelCard, markdown, stamp string) map[string]any {
	doc := map[string]any{
		"id": c.ID, "pack_id": c.PackID, "model_id": c.ModelID, "event": c.Event,
		"created_at": c.CreatedAt.UTC(), "run_id": float64(c.RunID), "policy_version": float64(c.PolicyVersion),
		"metrics": FlattenMetrics(c.Metrics), "features": c.Features, "notes": c.Notes, "text": markdown,
		"file_stamp": stamp,
	}
	if c.ArtifactID != "" {
		doc["artifact_id"] = c.ArtifactID
	}
	if t := c.Config.Ticker; t != "" {
		doc["ticker"] = t
	}
	return doc
}

// FlattenMetrics keeps the finite numbers of a card's metrics section (booleans as 0/1),
// nested maps as dotted keys (parity.sharpe); lists and text are left to the
// full-text rendering. Values go through JSON first so a card built in memory
// (typed structs, ints) and one read back from its file index the same.
func FlattenMetrics(m any) map[string]float64 {
	out := map[string]float64{}
	if m == nil {
		return out
	}
	var generic map[string]any
	b, err := json.Marshal(m)
	if err != nil || json.Unmarshal(b, &generic) != nil {
		return out
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case float64:
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				out[prefix] = x
			}
		case bool:
			out[prefix] = 0
			if x {
				out[prefix] = 1
			}
		case map[string]any:
			for k, vv := range x {
				if k == "" || strings.ContainsAny(k, " \t\n") {
					continue
				}
				walk(prefix+"."+k, vv)
			}
		}
	}
	for k, v := range generic {
		if k == "" || strings.ContainsAny(k, " \t\n") {
			continue
		}
		walk(k, v)
	}
	return out
}

// SearchCards implements engine.CardReader.
func (c *Cards) SearchCards(ctx context.Context, q engine.CardQuery) (engine.CardPage, error) {
	var parts []query.Query
	if q.Q != "" {
		qs := bleve.NewQueryStringQuery(q.Q)
		if _, err := qs.Parse(); err != nil {
			return engine.CardPage{}, errs.Field("query", "q", "q is not a valid search query: "+err.Error())
		}
		parts = append(parts, qs)
	}
	for field, v := range map[string]string{"pack_id": q.PackID, "model_id": q.ModelID} {
		if v != "" {
			t := bleve.NewTermQuery(v)
			t.SetField(field)
			parts = append(parts, t)
		}
	}
	var qq query.Query = bleve.NewMatchAllQuery()
	if len(parts) > 0 {
		qq = bleve.NewConjunctionQuery(parts...)
	}
	req := bleve.NewSearchRequestOptions(qq, q.Limit, q.Offset, false)
	req.SortBy([]string{"-created_at", "-_id"})
	req.Fields = []string{"*"}
	res, err := c.idx.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return engine.CardPage{}, fmt.Errorf("search cards: %w: %w", errs.ErrCancelled, ctx.Err())
		}
		// Some q errors only show when the searcher is built (a bad
		// /regexp/, an unparsable date): if the index answers without q,
		// the fault is q's, and that is the client's 422, not a 500.
		if q.Q != "" {
			probe := bleve.NewSearchRequestOptions(bleve.NewMatchNoneQuery(), 1, 0, false)
			if _, perr := c.idx.SearchInContext(ctx, probe); perr == nil {
				return engine.CardPage{}, errs.Field("query", "q", "q is not a valid search query: "+err.Error())
			}
		}
		return engine.CardPage{}, fmt.Errorf("search cards: %w", err)
	}
	page := engine.CardPage{Total: int(res.Total), Rows: make([]engine.CardSummary, 0, len(res.Hits))}
	for _, h := range res.Hits {
		page.Rows = append(page.Rows, c.summary(h.ID, h.Fields))
	}
	return page, nil
}

// summary turns a hit's stored fields into a listing row.
func (c *Cards) summary(id string, f map[string]any) engine.CardSummary {
	str := func(k string) string { s, _ := f[k].(string); return s }
	num := func(k string) float64 { n, _ := f[k].(float64); return n }
	s := engine.CardSummary{ID: id, File: id + ".json", Path: path.Join(c.opt.CardsRel, id+".json"),
		PackID: str("pack_id"), ModelID: str("model_id"), Event: str("event"), ArtifactID: str("artifact_id"),
		PolicyVersion: int(num("policy_version")), RunID: int64(num("run_id")), Metrics: map[string]float64{}}
	if t, err := time.Parse(time.RFC3339Nano, str("created_at")); err == nil {
		s.CreatedAt = t.UTC()
	}
	for k, v := range f {
		if name, ok := strings.CutPrefix(k, "metrics."); ok {
			if n, ok := v.(float64); ok {
				s.Metrics[name] = n
			}
		}
	}
	return s
}

// GetCard implements engine.CardReader: it reads the files (the source of
// truth), not the index. The id must already be a plain id; the path is still
// confined to the data dir, so a symlinked card file cannot point outside it.
func (c *Cards) GetCard(_ context.Context, id string) (engine.StoredCard, error) {
	if !engine.ValidCardID(id) {
		return engine.StoredCard{}, errs.Field("query", "id", "id must match ^[a-z0-9][a-z0-9_\\-]{0,63}$")
	}
	card, md, err := c.readCard(id)
	if errors.Is(err, fs.ErrNotExist) {
		return engine.StoredCard{}, errs.NotFoundf("card %s", id)
	}
	if err != nil {
		return engine.StoredCard{}, err
	}
	return engine.StoredCard{Card: card, Markdown: md, JSONPath: path.Join(c.opt.CardsRel, id+".json"),
		MDPath: path.Join(c.opt.CardsRel, id+".md")}, nil
}

// readCard reads <id>.json and <id>.md (the markdown may be missing: then it
// is rendered again from the JSON).
func (c *Cards) readCard(id string) (engine.ModelCard, string, error) {
	var card engine.ModelCard
	jp, err := files.Confine(c.opt.Root, path.Join(c.opt.CardsRel, id+".json"))
	if err != nil {
		return card, "", err
	}
	b, err := os.ReadFile(jp)
	if err != nil {
		return card, "", err
	}
	if err := json.Unmarshal(b, &card); err != nil {
		return card, "", fmt.Errorf("card %s: %w", id, err)
	}
	if card.ID == "" {
		card.ID = id
	}
	if card.ID != id {
		return card, "", fmt.Errorf("card file %s.json holds card %q", id, card.ID)
	}
	md := ""
	if mp, err := files.Confine(c.opt.Root, path.Join(c.opt.CardsRel, id+".md")); err == nil {
		if mb, err := os.ReadFile(mp); err == nil {
			md = string(mb)
		}
	}
	if md == "" {
		md = engine.RenderCardMarkdown(card)
	}
	return card, md, nil
}

// fileIDs lists the card ids present as <id>.json (temp files of atomic writes
// start with a dot and are skipped), sorted, with their file stamps. A cards
// folder that leads out of the data dir holds no card (logged): the index
// opens empty rather than reading outside.
func (c *Cards) fileIDs() ([]cardFile, error) {
	dir, err := files.Confine(c.opt.Root, c.opt.CardsRel)
	if err != nil {
		c.log.Warn("cards folder not indexed", "err", err)
		return nil, nil
	}
	ents, err := os.ReadDir(dir) // sorted by name
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list cards: %w", err)
	}
	var out []cardFile
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !e.Type().IsRegular() || !engine.ValidCardID(id) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, cardFile{id: id, stamp: fileStamp(fi)})
	}
	return out, nil
}

// cardFile is a card JSON file found on disk.
type cardFile struct{ id, stamp string }

func idsOf(fs []cardFile) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.id
	}
	return out
}

// load reads the listed cards; unreadable files are logged and skipped (they
// stay out of the index until fixed).
func (c *Cards) load(ids []string) []IndexedCard {
	out := make([]IndexedCard, 0, len(ids))
	for _, id := range ids {
		card, md, err := c.readCard(id)
		if err != nil {
			c.log.Warn("card file skipped by the index", "id", id, "err", err)
			continue
		}
		out = append(out, IndexedCard{Card: card, Markdown: md})
	}
	return out
}

// rebuild deletes whatever is at the index path, creates an empty index and
// indexes every card file in batches. The mapping version is written last:
// it marks the rebuild as complete.
func (c *Cards) rebuild(found []cardFile) (*Cards, error) {
	if err := os.RemoveAll(c.opt.IndexPath); err != nil {
		return nil, fmt.Errorf("remove cards index: %w", err)
	}
	idx, err := bleve.NewUsing(c.opt.IndexPath, cardsMapping(), scorch.Name, scorch.Name, c.runtimeConfig())
	if err != nil {
		return nil, fmt.Errorf("create cards index: %w", err)
	}
	c.idx, c.rebuilt = idx, true
	if err := c.indexBatches(c.load(idsOf(found))); err != nil {
		_ = idx.Close()
		return nil, err
	}
	if err := idx.SetInternal(mappingKey, []byte(cardsMappingVersion)); err != nil {
		_ = idx.Close()
		return nil, fmt.Errorf("cards index: %w", err)
	}
	c.log.Info("cards index rebuilt", "path", c.opt.IndexPath, "cards", len(found))
	return c, nil
}

// reconcile makes an opened index hold exactly the card files: the indexed
// ids and file stamps are compared with the files (equal counts prove
// nothing: a card may have been added and another removed, or rewritten), new
// or changed cards are indexed and removed ones deleted, in batches. Cards
// whose stamps agree are not read.
func (c *Cards) reconcile(found []cardFile) error {
	n, err := c.idx.DocCount()
	if err != nil {
		return fmt.Errorf("cards index: %w", err)
	}
	indexed, err := c.indexedStamps(int(n))
	if err != nil {
		return err
	}
	want := make(map[string]bool, len(found))
	var stale []string
	for _, f := range found {
		want[f.id] = true
		if st, ok := indexed[f.id]; !ok || st != f.stamp {
			stale = append(stale, f.id)
		}
	}
	del := c.idx.NewBatch()
	for id := range indexed {
		if !want[id] {
			del.Delete(id)
		}
	}
	dropped := del.Size()
	if len(stale) == 0 && dropped == 0 {
		return nil
	}
	if dropped > 0 {
		if err := c.idx.Batch(del); err != nil {
			return fmt.Errorf("cards index: drop removed cards: %w", err)
		}
	}
	if err := c.indexBatches(c.load(stale)); err != nil {
		return err
	}
	c.log.Info("cards index reconciled with the card files", "indexed", len(stale), "dropped", dropped)
	return nil
}

// indexedStamps lists every document id in the index with its file stamp.
func (c *Cards) indexedStamps(n int) (map[string]string, error) {
	out := make(map[string]string, n)
	const page = 10_000
	for from := 0; ; from += page {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), page, from, false)
		req.SortBy([]string{"_id"})
		req.Fields = []string{"file_stamp"}
		res, err := c.idx.Search(req)
		if err != nil {
			return nil, fmt.Errorf("cards index: list ids: %w", err)
		}
		for _, h := range res.Hits {
			st, _ := h.Fields["file_stamp"].(string)
			out[h.ID] = st
		}
		if len(res.Hits) < page {
			return out, nil
		}
	}
}
