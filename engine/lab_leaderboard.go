package engine

import (
	"context"
	"fmt"

	"sigmalab/engine/errs"
)

// LeaderboardAppender is an optional fast path of a BacktestStore: it appends
// a page's stored run documents, comma-separated, straight into dst (no
// decoding, no per-row slices). storage/bolt implements it.
type LeaderboardAppender interface {
	AppendLeaderboardJSON(ctx context.Context, dst []byte, q LeaderboardQuery) (out []byte, rows, total int, err error)
}

// AppendLeaderboard is the leaderboard use case: it appends one page of runs
// (their stored JSON documents, comma-separated, best first in q's order) to
// dst and returns the rows on the page and the number of matching runs.
func (l *Lab) AppendLeaderboard(ctx context.Context, dst []byte, q LeaderboardQuery) ([]byte, int, int, error) {
	if l.Backtests == nil {
		return dst, 0, 0, fmt.Errorf("leaderboard: no backtest store: %w", errs.ErrNotFound)
	}
	if a, ok := l.Backtests.(LeaderboardAppender); ok {
		return a.AppendLeaderboardJSON(ctx, dst, q)
	}
	rows, total, err := l.Backtests.LeaderboardJSON(ctx, q)
	if err != nil {
		return dst, 0, 0, err
	}
	for i, r := range rows {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, r...)
	}
	return dst, len(rows), total, nil
}
