package market

import "context"

// WriteStats counts rows written: Added are new timestamps (or keys), Replaced are rows
// that overwrote an existing row with the same key.
type WriteStats struct {
	Added    int `json:"added"`
	Replaced int `json:"replaced"`
}

// Add accumulates s2 into s.
func (s *WriteStats) Add(s2 WriteStats) { s.Added += s2.Added; s.Replaced += s2.Replaced }

// Coverage kinds.
const (
	KindBars    = "bars"
	KindOptions = "options"
	KindChains  = "chains"
)

// CoverageEntry describes one stored series: a ticker's bars at one timeframe, its option
// minute bars, or its chain snapshots.
type CoverageEntry struct {
	Ticker     string `json:"ticker"`
	Kind       string `json:"kind"`                // bars | options | chains
	Timeframe  string `json:"timeframe,omitempty"` // bars only
	Source     string `json:"source"`
	Rows       int64  `json:"rows"`
	Partitions int    `json:"partitions"`
	FirstTS    int64  `json:"first_ts"` // unix ms UTC
	LastTS     int64  `json:"last_ts"`
	Start      string `json:"start"` // ET session date of FirstTS
	End        string `json:"end"`   // ET session date of LastTS
}

// Expiry is one option expiration known from stored data. Contracts is the largest
// number of distinct contracts (type × strike) seen for it in one partition.
type Expiry struct {
	Date      string `json:"date"`
	HasChain  bool   `json:"has_chain"`
	HasBars   bool   `json:"has_bars"`
	Contracts int    `json:"count"`
}

// Store is the market-data port. Implementations keep demo and real data apart: every
// series carries its source, and writing real rows over a ticker's demo rows (or demo
// over real) is an errs.ErrConflict — callers delete the demo data first (see Importer).
// Real sources (file, polygon) may replace each other's rows.
//
// Time ranges are half-open [from, to) in unix ms UTC; to <= 0 means "no upper bound".
type Store interface {
	// WriteBars merges b into the store, replacing rows with the same timestamp.
	WriteBars(ctx context.Context, b *Bars) (WriteStats, error)
	// ReadBars returns the bars of ticker/timeframe in [from, to), touching only the
	// partitions that overlap the range. A missing series is an empty result, not an error.
	ReadBars(ctx context.Context, ticker, timeframe string, from, to int64) (*Bars, error)
	// ScanBars streams the same rows partition by partition, in time order, so callers can
	// process long histories without holding them in memory. fn must not retain the chunk.
	ScanBars(ctx context.Context, ticker, timeframe string, from, to int64, fn func(*Bars) error) error

	// WriteOptionBars merges option minute bars, replacing rows with the same (symbol, ts).
	WriteOptionBars(ctx context.Context, ob *OptionBars) (WriteStats, error)
	// ReadOptionBars returns every option bar of underlying traded on session date (YYYY-MM-DD).
	ReadOptionBars(ctx context.Context, underlying, date string) (*OptionBars, error)
	// ReadContractBars returns the bars of one OCC contract in [from, to).
	ReadContractBars(ctx context.Context, symbol string, from, to int64) (*OptionBars, error)

	// WriteChain merges chain snapshot rows, replacing rows with the same
	// (snapshot time, expiry, type, strike).
	WriteChain(ctx context.Context, c *Chain) (WriteStats, error)
	// ReadChains returns the chain rows of underlying with snapshot time in [from, to).
	ReadChains(ctx context.Context, underlying string, from, to int64) (*Chain, error)

	// Coverage lists every stored series.
	Coverage(ctx context.Context) ([]CoverageEntry, error)
	// Expirations lists the expiries known from option bars and chains, ascending.
	Expirations(ctx context.Context, underlying string) ([]Expiry, error)
	// DeleteSource removes every series of ticker (bars, options, chains) whose source is
	// source, and reports how many rows went.
	DeleteSource(ctx context.Context, ticker, source string) (int64, error)
}

// Writer is the write half of Store.
type Writer interface {
	WriteBars(ctx context.Context, b *Bars) (WriteStats, error)
	WriteOptionBars(ctx context.Context, ob *OptionBars) (WriteStats, error)
	WriteChain(ctx context.Context, c *Chain) (WriteStats, error)
	DeleteSource(ctx context.Context, ticker, source string) (int64, error)
}

// Tx is an import transaction: its writes and deletions are staged and become
// visible together at Commit (or never, after Rollback or a crash before the
// commit point), so a reader sees the store before the import or after it.
type Tx interface {
	Writer
	Commit(ctx context.Context) error
	Rollback() error
}

// Transactional is a Store that can stage writes into a Tx. The Importer uses
// it when the store offers it.
type Transactional interface {
	Begin(ctx context.Context) (Tx, error)
}
