package engine

import (
	"context"
	"fmt"
	"math"
)

// DefaultMaxSyncWork is the training work (matrix rows × folds × boosting
// rounds) above which a synchronous backtest or sweep runs as a job instead:
// about 3·10⁸ row-rounds, some 30 s of training on two cores (a 10k-row, 5-fold,
// 300-tree backtest is 1.5·10⁷ and takes 1.5–2 s).
const DefaultMaxSyncWork = 3e8

// TrainingWork estimates the cross-validated training a request would do on
// the model's matrix (build "" = latest): rows × folds × rounds. It is 0 when
// it cannot be told cheaply (no such model or build yet): the request then
// runs as asked and fails as it would have.
func (l *Lab) TrainingWork(ctx context.Context, modelID, packID, buildID string, splits int, hyperparams map[string]any) float64 {
	if l.Configs == nil || l.BuildRuns == nil {
		return 0
	}
	rec, err := l.GetModelConfig(ctx, modelID, packID)
	if err != nil {
		return 0
	}
	cfg, _ := DecodeModelConfig(rec.Config)
	p, _, err := gbdtParams(cfg, hyperparams)
	if err != nil {
		return 0
	}
	rows := 0
	const page = 100
	for off := 0; off < 10*page && rows == 0; off += page {
		runs, _, err := l.ListBuildRuns(ctx, BuildRunFilter{ModelID: modelID, Status: BuildCompleted}, off, page)
		if err != nil || len(runs) == 0 {
			return 0
		}
		for _, r := range runs {
			if buildID == "" || buildID == "latest" || r.BuildID == buildID {
				rows = r.Rows
				break
			}
		}
	}
	return float64(rows) * float64(max(splits, 1)) * float64(p.NEstimators)
}

// SyncTooLong says whether work exceeds the synchronous bound (Lab.MaxSyncWork,
// 0: DefaultMaxSyncWork) and, if so, why, for the 202 answer.
func (l *Lab) SyncTooLong(work float64) (string, bool) {
	limit := l.MaxSyncWork
	if limit <= 0 {
		limit = DefaultMaxSyncWork
	}
	if work <= limit {
		return "", false
	}
	return fmt.Sprintf("running as a job: about %.0f s of training (%.2g row-rounds) is beyond the synchronous bound of %.0f s; "+
		"poll GET /jobs/{id}", math.Round(work/1e7), work, math.Round(limit/1e7)), true
}
