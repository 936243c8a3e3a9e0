package backup

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/storage/bolt"
)

// Ref is one file of the data dir that a stored row points at.
type Ref struct {
	Path string // slash-separated, data-dir relative
	// SHA256 and Size are what the row recorded ("" and -1 when it records
	// none: build runs record the matrix size, artifacts rows both).
	SHA256 string
	Size   int64
	// MatrixSHA is the content hash (engine/matrix Hash) a build run recorded
	// for its matrix, so a check can verify the data, not just the bytes.
	MatrixSHA string
	From      []string // the rows pointing at it, e.g. "build_runs/3"
}

// References lists every file the rows of tx point at, sorted by path: the
// artifacts registry (with the markdown beside each card), build runs'
// matrices, training runs' models, backtest runs' plots, matrices, cards and
// persisted out-of-fold predictions, sweeps' reports, cards and predictions.
// Paths outside matrices/ and artifacts/ (exports, API URLs) are left out:
// exports are archived as a tree and nothing else is a file of ours.
func References(tx *bbolt.Tx) ([]Ref, error) {
	refs := map[string]*Ref{}
	add := func(p, from, sha string, size int64) {
		p = strings.TrimPrefix(p, "./")
		if p == "" || ValidPath(p) != nil || !(strings.HasPrefix(p, "matrices/") || strings.HasPrefix(p, "artifacts/")) {
			return
		}
		r := refs[p]
		if r == nil {
			r = &Ref{Path: p, Size: -1}
			refs[p] = r
		}
		if sha != "" && r.SHA256 == "" {
			r.SHA256 = sha
		}
		if size >= 0 && r.Size < 0 {
			r.Size = size
		}
		r.From = append(r.From, from)
	}
	oof := func(key, from string) {
		if key != "" {
			add("artifacts/oof/"+key+".gob.zst", from, "", -1)
		}
	}

	err := eachRow(tx, bolt.BucketArtifacts, func(k []byte, a *engine.Artifact) {
		from := "artifacts/" + a.ID
		add(a.URI, from, a.SHA256, a.SizeBytes)
		if a.Kind == "cards" && strings.HasSuffix(a.URI, ".json") {
			add(strings.TrimSuffix(a.URI, ".json")+".md", from, "", -1)
		}
	})
	if err != nil {
		return nil, err
	}
	matrixSHA := map[string]string{}
	err = eachRow(tx, bolt.BucketBuildRuns, func(k []byte, r *engine.BuildRun) {
		if r.Status != engine.BuildCompleted {
			return
		}
		from := fmt.Sprintf("build_runs/%d", r.ID)
		add(r.MatrixURI, from, "", r.Metrics.SizeBytes)
		if r.Lineage != nil && r.Lineage.MatrixSHA != "" {
			matrixSHA[r.MatrixURI] = r.Lineage.MatrixSHA
		}
	})
	if err != nil {
		return nil, err
	}
	err = eachRow(tx, bolt.BucketTrainingRuns, func(k []byte, r *engine.TrainingRun) {
		add(r.ModelOutURI, fmt.Sprintf("training_runs/%d", r.ID), "", -1)
	})
	if err != nil {
		return nil, err
	}
	err = eachRow(tx, bolt.BucketBacktestRuns, func(k []byte, r *engine.BacktestRun) {
		from := fmt.Sprintf("backtest_runs/%d", r.ID)
		for _, p := range []string{r.PlotsURI, r.PlotPNGURI, r.DataCSVURI, r.CardURI} {
			add(p, from, "", -1)
		}
		oof(r.OOFKey, from)
	})
	if err != nil {
		return nil, err
	}
	err = eachRow(tx, bolt.BucketSweeps, func(k []byte, r *engine.SweepRecord) {
		from := fmt.Sprintf("sweeps/%d", r.ID)
		add(r.ReportPath, from, "", -1)
		add(r.CardURI, from, "", -1)
		oof(r.OOFKey, from)
	})
	if err != nil {
		return nil, err
	}
	if sb := tx.Bucket([]byte(bolt.BucketSweeps)); sb != nil {
		if rb := sb.Bucket([]byte(bolt.NestedResults)); rb != nil {
			err = rb.ForEach(func(k, v []byte) error {
				var r engine.SweepResult
				if v == nil || json.Unmarshal(v, &r) != nil || r.CSVURI == nil {
					return nil
				}
				add(*r.CSVURI, fmt.Sprintf("sweeps/%d/results/%d", r.SweepID, r.ID), "", -1)
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}

	out := make([]Ref, 0, len(refs))
	for p, r := range refs {
		r.MatrixSHA = matrixSHA[p]
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// eachRow decodes every JSON value of a top-level bucket into a T (nested
// buckets and rows that do not decode are skipped: a row of another shape
// references nothing we know of).
func eachRow[T any](tx *bbolt.Tx, bucket string, fn func(k []byte, v *T)) error {
	b := tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil
		}
		var row T
		if json.Unmarshal(v, &row) != nil {
			return nil
		}
		fn(k, &row)
		return nil
	})
}
