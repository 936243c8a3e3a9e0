package engine

import (
	"context"
	"fmt"
	"path/filepath"
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
	return im.ImportFiles(ctx, files, names, opts)
}

// ImportDataPath imports a file or directory named relative to the data dir; the path is
// confined to the data dir (.., absolute paths and symlinks out are ErrInvalid).
func (l *Lab) ImportDataPath(ctx context.Context, rel string, opts market.ImportOptions, onProgress func(market.Progress)) (market.ImportResult, error) {
	if l.ResolveDataPath == nil {
		return market.ImportResult{}, fmt.Errorf("server-side import paths are not available: %w", errs.ErrInvalid)
	}
	full, err := l.ResolveDataPath(rel)
	if err != nil {
		return market.ImportResult{}, err
	}
	if first, _, _ := strings.Cut(filepath.ToSlash(filepath.Clean(rel)), "/"); first == "market" {
		return market.ImportResult{}, errs.Invalidf("path %q is inside the market store; import from another folder of the data dir", rel)
	}
	files, err := market.ExpandPaths([]string{full})
	if err != nil {
		return market.ImportResult{}, fmt.Errorf("import %s: %w", rel, err)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = rel
		if len(files) > 1 || f != full {
			names[i] = rel + f[len(full):]
		}
	}
	return l.ImportMarket(ctx, files, names, opts, onProgress)
}

// ImportJobKind is the job kind of asynchronous data-dir imports.
const ImportJobKind = "import"

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
