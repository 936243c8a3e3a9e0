package market

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigmalab/engine/errs"
)

// Reject is one refused row (Line ≥ 1; for JSON files the 1-based record number) or a
// refused file (Line 0).
type Reject struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// SeriesCount says what a file contributed to one stored series.
type SeriesCount struct {
	File      string `json:"file"`
	Ticker    string `json:"ticker"`
	Kind      string `json:"kind"`
	Timeframe string `json:"timeframe,omitempty"`
	Rows      int    `json:"rows"`
}

// ImportResult is the outcome of an import. Added/Replaced count stored rows; Rejected
// lists every refused row or file with its reason.
type ImportResult struct {
	Files       int           `json:"files"`
	Added       int           `json:"added"`
	Replaced    int           `json:"replaced"`
	Rejected    []Reject      `json:"rejected"`
	Series      []SeriesCount `json:"series"`
	DemoRemoved int64         `json:"demo_removed"`
}

// ImportOptions tune how files are read.
type ImportOptions struct {
	// Ticker names the series of files that carry no ticker column and no ticker in
	// their name (CSV/Parquet). Upper-cased.
	Ticker string `json:"ticker"`
	// Timeframe forces 1m|5m|1h|1d; empty infers it from the spacing of the timestamps.
	Timeframe string `json:"timeframe"`
	// Timezone is the zone of timestamps that carry no offset: "UTC" (default), "ET"
	// (America/New_York wall clock, as many US vendors write), or any IANA name.
	Timezone string `json:"timezone"`
	// Partial imports the valid rows of a file that has invalid ones. By default a file
	// with any invalid row changes nothing.
	Partial bool `json:"partial"`
	// Source recorded with the rows; default "file". "demo" is refused: imports are real data.
	Source string `json:"source"`
}

// TableReader yields the rows of a tabular file as strings with a header; Parquet files
// reach the CSV rules through it (the engine does not read Parquet itself). Next returns
// io.EOF at the end; line is the 1-based row number used in rejects.
type TableReader interface {
	Header() []string
	Next() (rec []string, line int, err error)
}

// TableOpener opens a tabular file of a format the engine does not parse itself.
type TableOpener func(path string) (TableReader, io.Closer, error)

// Progress reports import progress after each file.
type Progress struct {
	File       string
	FilesDone  int
	FilesTotal int
	BytesDone  int64
	BytesTotal int64
}

// Importer reads files into a Store. Each file is parsed and validated fully before any
// write; a file with rejected rows writes nothing unless ImportOptions.Partial is set.
// Before real rows of a ticker are written, that ticker's demo data is deleted, so demo
// and real data never mix. When the Store is Transactional, one import (every file,
// demo removal included) is one transaction: it becomes visible at once when the last
// file is done, and an import that fails or is cancelled leaves the store as it was.
type Importer struct {
	Store Store
	// OpenParquet decodes .parquet files (injected by the storage layer); nil refuses them.
	OpenParquet TableOpener
	// OnProgress, when set, is called after each file.
	OnProgress func(Progress)
}

// Parsed is the validated content of one file.
type Parsed struct {
	Bars    []*Bars
	Options []*OptionBars
	Chains  []*Chain
}

// Rows counts the rows of p.
func (p *Parsed) Rows() int {
	n := 0
	for _, b := range p.Bars {
		n += b.Len()
	}
	for _, o := range p.Options {
		n += o.Len()
	}
	for _, c := range p.Chains {
		n += c.Len()
	}
	return n
}

func (p *Parsed) tickers() []string {
	set := map[string]bool{}
	for _, b := range p.Bars {
		set[b.Ticker] = true
	}
	for _, o := range p.Options {
		set[o.Underlying] = true
	}
	for _, c := range p.Chains {
		set[c.Underlying] = true
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ExpandPaths turns files and directories into the sorted list of importable files
// (.csv, .json, .parquet, case-insensitive; hidden files skipped). A walk never
// follows a symbolic link: a linked file or folder met inside a directory is left
// out and listed in skipped, so a directory import cannot be led out of its tree.
// The paths given are taken as named.
func ExpandPaths(paths []string) (files []string, skipped []Reject, err error) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, errs.ErrNotFound)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if q == p {
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			switch {
			case d.Type()&fs.ModeSymlink != 0:
				skipped = append(skipped, Reject{File: q, Reason: "symbolic link: not followed by a directory import"})
			case d.Type().IsRegular() && importable(q):
				found = append(found, q)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, skipped, nil
}

func importable(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".csv", ".json", ".parquet":
		return true
	}
	return false
}

// ImportPaths imports files and directories (see ExpandPaths); display names in the
// result are the paths as given, and the symlinks a walk skipped are listed as rejected.
func (im *Importer) ImportPaths(ctx context.Context, paths []string, opts ImportOptions) (ImportResult, error) {
	files, skipped, err := ExpandPaths(paths)
	if err != nil {
		return ImportResult{Rejected: []Reject{}}, err
	}
	names := make([]string, len(files))
	copy(names, files)
	res, err := im.ImportFiles(ctx, files, names, opts)
	if len(skipped) > 0 {
		res.Rejected = append(skipped, res.Rejected...)
	}
	return res, err
}

// ImportFiles imports files in order; names[i] is how files[i] is reported (an upload's
// original name, say) and decides the format and the Polygon cache patterns.
func (im *Importer) ImportFiles(ctx context.Context, files, names []string, opts ImportOptions) (ImportResult, error) {
	res := ImportResult{Rejected: []Reject{}, Series: []SeriesCount{}}
	if len(names) != len(files) {
		names = files
	}
	if opts.Source == "" {
		opts.Source = SourceFile
	}
	if opts.Source == SourceDemo {
		return res, errs.Invalidf("imports are real data; source %q is reserved", SourceDemo)
	}
	if opts.Timeframe != "" && !ValidTimeframe(opts.Timeframe) {
		return res, errs.Invalidf("bad timeframe %q (want 1m, 5m, 1h or 1d)", opts.Timeframe)
	}
	if _, err := naiveZone(opts.Timezone); err != nil {
		return res, fmt.Errorf("%v: %w", err, errs.ErrInvalid)
	}
	var total int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	ts, ok := im.Store.(Transactional)
	if !ok {
		err := im.importInto(ctx, im.Store, files, names, opts, total, &res)
		return res, err
	}
	tx, err := ts.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	err = im.importInto(ctx, tx, files, names, opts, total, &res)
	if err == nil {
		if err = tx.Commit(ctx); err != nil {
			err = fmt.Errorf("import commit: %w", err)
		}
	}
	if err != nil {
		_ = tx.Rollback()
		// Nothing of a rolled-back import was written.
		res.Added, res.Replaced, res.DemoRemoved, res.Series = 0, 0, 0, []SeriesCount{}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("import: %w", errs.ErrCancelled)
		}
	}
	return res, err
}

// importInto parses files in order and writes them to store.
func (im *Importer) importInto(ctx context.Context, store Writer, files, names []string, opts ImportOptions, total int64, res *ImportResult) error {
	var done int64
	demoGone := map[string]bool{}
	// Option bars and chains usually arrive as many small files (one per contract and
	// day) that land in the same partitions: batch them across files so each partition
	// is rewritten once, not once per file. Later files still win on duplicate keys.
	batch := &Parsed{}
	batchRows := 0
	flush := func() error {
		if batchRows == 0 {
			return nil
		}
		err := im.write(ctx, store, "", batch, opts, demoGone, res)
		batch, batchRows = &Parsed{}, 0
		return err
	}
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("import: %w", errs.ErrCancelled)
		}
		name := names[i]
		res.Files++
		p, rejects, err := im.ParseFile(f, name, opts)
		if err != nil {
			res.Rejected = append(res.Rejected, Reject{File: name, Reason: err.Error()})
		}
		res.Rejected = append(res.Rejected, rejects...)
		if err == nil && (len(rejects) == 0 || opts.Partial) {
			for _, o := range p.Options {
				res.Series = append(res.Series, SeriesCount{File: name, Ticker: o.Underlying, Kind: KindOptions, Rows: o.Len()})
				batchRows += o.Len()
				batch.Options = appendOptions(batch.Options, o)
			}
			for _, c := range p.Chains {
				res.Series = append(res.Series, SeriesCount{File: name, Ticker: c.Underlying, Kind: KindChains, Rows: c.Len()})
				batchRows += c.Len()
				batch.Chains = appendChain(batch.Chains, c)
			}
			p.Options, p.Chains = nil, nil
			if err := im.write(ctx, store, name, p, opts, demoGone, res); err != nil {
				return err
			}
			if batchRows >= importBatchRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if st, err := os.Stat(f); err == nil {
			done += st.Size()
		}
		if im.OnProgress != nil {
			im.OnProgress(Progress{File: name, FilesDone: i + 1, FilesTotal: len(files), BytesDone: done, BytesTotal: total})
		}
	}
	return flush()
}

// importBatchRows bounds the option/chain rows held before a flush.
const importBatchRows = 1 << 21

// appendOptions adds o to the batch entry of its underlying.
func appendOptions(list []*OptionBars, o *OptionBars) []*OptionBars {
	for _, x := range list {
		if x.Underlying == o.Underlying {
			for i := range o.TS {
				x.AppendFrom(o, i)
			}
			return list
		}
	}
	cp := &OptionBars{Underlying: o.Underlying}
	for i := range o.TS {
		cp.AppendFrom(o, i)
	}
	return append(list, cp)
}

// appendChain adds c to the batch entry of its underlying.
func appendChain(list []*Chain, c *Chain) []*Chain {
	for _, x := range list {
		if x.Underlying == c.Underlying {
			for i := 0; i < c.Len(); i++ {
				x.Append(c.Row(i))
			}
			return list
		}
	}
	cp := &Chain{Underlying: c.Underlying}
	for i := 0; i < c.Len(); i++ {
		cp.Append(c.Row(i))
	}
	return append(list, cp)
}

func (im *Importer) write(ctx context.Context, store Writer, name string, p *Parsed, opts ImportOptions, demoGone map[string]bool, res *ImportResult) error {
	for _, t := range p.tickers() {
		if demoGone[t] {
			continue
		}
		n, err := store.DeleteSource(ctx, t, SourceDemo)
		if err != nil {
			return fmt.Errorf("remove demo data of %s: %w", t, err)
		}
		res.DemoRemoved += n
		demoGone[t] = true
	}
	for _, b := range p.Bars {
		b.Source = opts.Source
		st, err := store.WriteBars(ctx, b)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		res.Added += st.Added
		res.Replaced += st.Replaced
		res.Series = append(res.Series, SeriesCount{File: name, Ticker: b.Ticker, Kind: KindBars, Timeframe: b.Timeframe, Rows: b.Len()})
	}
	for _, o := range p.Options {
		o.Source = opts.Source
		st, err := store.WriteOptionBars(ctx, o)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		res.Added += st.Added
		res.Replaced += st.Replaced
	}
	for _, c := range p.Chains {
		c.Source = opts.Source
		st, err := store.WriteChain(ctx, c)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		res.Added += st.Added
		res.Replaced += st.Replaced
	}
	return nil
}

// ParseFile reads and validates one file without writing. name (base name used) decides
// the format: Polygon cache JSON patterns, other JSON (chain snapshots), .csv, .parquet.
// err is a file-level refusal; rejects are per-row.
func (im *Importer) ParseFile(path, name string, opts ImportOptions) (*Parsed, []Reject, error) {
	base := filepath.Base(name)
	switch strings.ToLower(filepath.Ext(base)) {
	case ".json":
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("open: %w", err)
		}
		defer f.Close()
		return parsePolygonJSON(f, base, name, opts)
	case ".csv":
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("open: %w", err)
		}
		defer f.Close()
		tr, err := newCSVTable(f)
		if err != nil {
			return nil, nil, err
		}
		return parseTable(tr, base, name, opts)
	case ".parquet":
		if im.OpenParquet == nil {
			return nil, nil, errors.New("parquet import is not available")
		}
		tr, c, err := im.OpenParquet(path)
		if err != nil {
			return nil, nil, fmt.Errorf("parquet: %w", err)
		}
		defer c.Close()
		return parseTable(tr, base, name, opts)
	}
	return nil, nil, fmt.Errorf("unsupported file type %q (want .csv, .json or .parquet)", filepath.Ext(base))
}
