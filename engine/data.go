package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
	"sigmalab/engine/market"
)

// market returns the market store or a typed error when none is wired.
func (l *Lab) marketStore() (market.Store, error) {
	if l.Market == nil {
		return nil, fmt.Errorf("market data store is not configured: %w", errs.ErrNoData)
	}
	return l.Market, nil
}

// ImportMarket imports files into the market store (see market.Importer): files[i] is
// read, names[i] is how it is reported and decides its format. onProgress may be nil.
func (l *Lab) ImportMarket(ctx context.Context, files, names []string, opts market.ImportOptions, onProgress func(market.Progress)) (market.ImportResult, error) {
	st, err := l.marketStore()
	if err != nil {
		return market.ImportResult{}, err
	}
	im := &market.Importer{Store: st, OpenParquet: l.MarketTables, OnProgress: onProgress}
	res, err := im.ImportFiles(ctx, files, names, opts)
	// files are server paths (the data dir, upload temp files); clients only
	// ever see the names they gave.
	return res, scrubPaths(err, files, names)
}

// ImportDataPath imports a file or directory named relative to the data dir. Only
// exports/ and the imports/ inbox are import sources (ResolveDataPath enforces it:
// any other path, ".", market/…, a symlink out, is ErrInvalid naming the path); a
// directory walk follows no symlink and reports the ones it skipped as rejected.
func (l *Lab) ImportDataPath(ctx context.Context, rel string, opts market.ImportOptions, onProgress func(market.Progress)) (market.ImportResult, error) {
	if l.ResolveDataPath == nil {
		return market.ImportResult{}, fmt.Errorf("server-side import paths are not available: %w", errs.ErrInvalid)
	}
	full, err := l.ResolveDataPath(rel)
	if err != nil {
		return market.ImportResult{}, scrubPaths(err, nil, nil)
	}
	files, skipped, err := market.ExpandPaths([]string{full})
	if err != nil {
		return market.ImportResult{}, scrubPaths(fmt.Errorf("import %s: %w", rel, err), []string{full}, []string{rel})
	}
	name := func(f string) string {
		if f == full {
			return rel
		}
		return strings.TrimSuffix(rel, "/") + f[len(full):]
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = name(f)
	}
	res, err := l.ImportMarket(ctx, files, names, opts, onProgress)
	if len(skipped) > 0 {
		for i := range skipped {
			skipped[i].File = name(skipped[i].File)
		}
		res.Rejected = append(skipped, res.Rejected...)
	}
	return res, err
}

// UploadFile creates the temp file an uploaded import body streams into: a hidden
// temp file in the data dir's imports/ inbox (on the data disk, not in a possibly
// memory-backed /tmp; directory imports skip hidden files, and the next start
// removes one a kill left), or in the system temp dir when no data dir is wired.
// The caller removes it.
func (l *Lab) UploadFile(ext string) (*os.File, error) {
	dir := ""
	if l.ResolveDataPath != nil {
		if d, err := l.ResolveDataPath("imports"); err == nil {
			dir = d
		}
	}
	return os.CreateTemp(dir, ".upload.tmp-*"+ext)
}

// scrubPaths rewrites err's message so that no server path shows: each
// paths[i] becomes names[i], and any other absolute path left (the data dir,
// a temp dir) is cut to its base name. errors.Is still sees the original
// chain, so the HTTP status is unchanged; a validation error is rebuilt with
// scrubbed fields because its detail is shown as is.
func scrubPaths(err error, paths, names []string) error {
	if err == nil {
		return nil
	}
	// Longest paths first, so a directory does not eat its files' prefixes.
	idx := make([]int, len(paths))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return len(paths[idx[a]]) > len(paths[idx[b]]) })
	scrub := func(msg string) string {
		for _, i := range idx {
			if paths[i] != "" {
				msg = strings.ReplaceAll(msg, paths[i], names[i])
			}
		}
		return absPathRE.ReplaceAllStringFunc(msg, func(p string) string {
			lead := ""
			if p[0] != '/' {
				lead, p = p[:1], p[1:]
			}
			return lead + filepath.Base(p)
		})
	}
	var v *errs.Validation
	if errors.As(err, &v) {
		out := &errs.Validation{Fields: make([]errs.FieldError, len(v.Fields))}
		for i, f := range v.Fields {
			loc := make([]string, len(f.Loc))
			for j, x := range f.Loc {
				loc[j] = scrub(x)
			}
			out.Fields[i] = errs.FieldError{Loc: loc, Msg: scrub(f.Msg), Type: f.Type}
		}
		return out
	}
	msg := err.Error()
	if clean := scrub(msg); clean != msg {
		return &scrubbedErr{msg: clean, err: err}
	}
	return err
}

// absPathRE matches an absolute path of at least two components (a lone
// "/" in prose such as "a/b" or "1/2" does not match).
var absPathRE = regexp.MustCompile(`(^|[\s"'(:=])(/[^\s"'/:]+){2,}`)

// scrubbedErr carries a client-safe message over the original error.
type scrubbedErr struct {
	msg string
	err error
}

func (e *scrubbedErr) Error() string { return e.msg }
func (e *scrubbedErr) Unwrap() error { return e.err }

// ImportJobKind is the job kind of asynchronous data-dir imports.
const ImportJobKind = "import"

// ImportRequest is the JSON body of POST /data/import and of `sigmalab import
// --body`: a file or directory of the data dir (under exports/ or imports/)
// and how to read it. Multipart uploads carry the same fields (but path) as
// form fields.
type ImportRequest struct {
	Path      string `json:"path"`
	Ticker    string `json:"ticker,omitempty"`    // of files without a ticker column or ticker-named file
	Timeframe string `json:"timeframe,omitempty"` // 1m|5m|1h|1d; "" = inferred from the timestamps
	Timezone  string `json:"timezone,omitempty"`  // of timestamps without an offset: UTC (default), ET or an IANA name
	Partial   bool   `json:"partial,omitempty"`   // import the valid rows of files that have invalid ones
	Async     bool   `json:"async,omitempty"`
}

// Normalize trims the fields, upper-cases the ticker and validates what can be
// checked without the data dir (422 naming body fields).
func (r ImportRequest) Normalize() (ImportRequest, error) {
	v := &errs.Validation{}
	if r.Path = strings.TrimSpace(r.Path); r.Path == "" {
		v.Add("body", "path", "Field required", "missing")
	}
	if t := strings.TrimSpace(r.Ticker); t != "" {
		var ok bool
		if r.Ticker, ok = NormalizeTicker(t); !ok {
			v.Add("body", "ticker", fmt.Sprintf("invalid ticker %q: must match ^[A-Z][A-Z0-9.-]{0,9}$ after upper-casing", clipValue(t)), "value_error")
		}
	}
	switch r.Timeframe = strings.TrimSpace(r.Timeframe); r.Timeframe {
	case "", market.TF1m, market.TF5m, market.TF1h, market.TF1d:
	default:
		v.Add("body", "timeframe", fmt.Sprintf("must be one of %s|%s|%s|%s, got %q",
			market.TF1m, market.TF5m, market.TF1h, market.TF1d, clipValue(r.Timeframe)), "enum")
	}
	r.Timezone = strings.TrimSpace(r.Timezone)
	return r, v.Err()
}

// Options are the importer's options of the request.
func (r ImportRequest) Options() market.ImportOptions {
	return market.ImportOptions{Ticker: r.Ticker, Timeframe: r.Timeframe, Timezone: r.Timezone, Partial: r.Partial}
}

// JobParams are the parameters of the request's import job.
func (r ImportRequest) JobParams() ImportJobParams {
	return ImportJobParams{Path: r.Path, Options: r.Options()}
}

// clipValue shortens echoed input so error messages stay small.
func clipValue(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// ImportJobParams are the parameters of an import job.
type ImportJobParams struct {
	Path    string               `json:"path"`
	Options market.ImportOptions `json:"options"`
}

// ImportJob runs ImportDataPath as a background job, reporting progress by bytes read.
func (l *Lab) ImportJob(ctx context.Context, t *jobs.Task, p ImportJobParams) (any, error) {
	return l.ImportDataPath(ctx, p.Path, p.Options, func(pr market.Progress) {
		frac := 1.0
		if pr.BytesTotal > 0 {
			frac = float64(pr.BytesDone) / float64(pr.BytesTotal)
		}
		t.Progress(frac, fmt.Sprintf("file %d/%d", pr.FilesDone, pr.FilesTotal))
	})
}

// MarketCoverage lists the stored series.
func (l *Lab) MarketCoverage(ctx context.Context) ([]market.CoverageEntry, error) {
	st, err := l.marketStore()
	if err != nil {
		return nil, err
	}
	return st.Coverage(ctx)
}

// Expirations lists the option expiries known for ticker.
func (l *Lab) Expirations(ctx context.Context, ticker string) ([]market.Expiry, error) {
	st, err := l.marketStore()
	if err != nil {
		return nil, err
	}
	return st.Expirations(ctx, ticker)
}
