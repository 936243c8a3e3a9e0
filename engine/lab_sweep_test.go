package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/backtest"
	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
	"sigmalab/engine/sweep"
	"sigmalab/storage/bolt"
	"sigmalab/storage/files"
)

// dirArtifacts stores artifacts under a temp data dir, as the app's adapter does.
type dirArtifacts struct{ root string }

func (d dirArtifacts) WriteArtifact(_ context.Context, kind, name string, data []byte) (string, error) {
	rel := "artifacts/" + kind + "/" + name
	return rel, files.WriteFile(filepath.Join(d.root, rel), data)
}

func (d dirArtifacts) ReadArtifact(_ context.Context, kind, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.root, "artifacts", kind, name))
}

type sweepEnv struct {
	dir string
	db  *bolt.DB
	lab *engine.Lab
}

func openSweepEnv(t testing.TB, dir string) *sweepEnv {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "sigmalab.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	now := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	lab := &engine.Lab{Sweeps: db.Sweeps(), Artifacts: dirArtifacts{dir}, Now: func() time.Time { return now }}
	return &sweepEnv{dir: dir, db: db, lab: lab}
}

// testOOF builds n OOF rows over 5 folds, ET hours 9..15, with probabilities
// that carry some signal about the forward return (fixed seed).
func testOOF(t testing.TB, n int) *backtest.OOF {
	rng := rand.New(rand.NewPCG(3, 5))
	up, down, flat := make([]float64, n), make([]float64, n), make([]float64, n)
	ts, ret := make([]int64, n), make([]float64, n)
	hour := make([]int32, n)
	for i := 0; i < n; i++ {
		ts[i] = int64(i) * 3_600_000
		hour[i] = int32(9 + i%7)
		r := rng.NormFloat64() * 0.002
		ret[i] = r
		s := 0.5 + 40*r + rng.NormFloat64()*0.1
		u := math.Min(math.Max(s, 0.01), 0.98) * 0.8
		d := (1 - u) * 0.7
		up[i], down[i], flat[i] = u, d, 1-u-d
	}
	oof, err := backtest.NewOOF(&backtest.OOF{Classes: []string{"DOWN", "FLAT", "UP"}, Probs: [][]float64{down, flat, up},
		TS: ts, Hour: hour, Ret: ret, FoldStart: []int{0, n / 5, 2 * n / 5, 3 * n / 5, 4 * n / 5, n}})
	if err != nil {
		t.Fatal(err)
	}
	return oof
}

// savedRuns records what a sweep stores as backtest runs.
type savedRuns struct {
	mu   sync.Mutex
	next int64
	runs []engine.SweepCellRun
}

func (s *savedRuns) save(_ context.Context, runs []engine.SweepCellRun) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, len(runs))
	for i := range runs {
		s.next++
		ids[i] = s.next
	}
	s.runs = append(s.runs, runs...)
	return ids, nil
}

func TestRunSweepStoresRanksAndReports(t *testing.T) {
	env := openSweepEnv(t, t.TempDir())
	saved := &savedRuns{}
	src := engine.SweepSource{OOF: testOOF(t, 3500), Base: backtest.TradeParams{SlippageBps: 1}, OOFKey: "k1",
		TrainingMS: 1234, SaveRuns: saved.save}
	req := engine.SweepRequest{ModelID: "spy_opt_0dte_hourly",
		ThresholdsVariants: []string{"0.50,0.52,0.54", "0.55,0.60,0.65"}, AllowedHoursVariants: []string{"13,14,15", ""},
		TopPctVariants: []float64{0.1}, MinTrades: 50}
	var last float64
	resp, err := env.lab.RunSweep(context.Background(), req, src, engine.SweepOptions{Progress: func(f float64, _ string) { last = f }})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != 6 || resp.Cells != 6 || resp.Status != engine.SweepCompleted || resp.SweepID != 1 || last != 1 || resp.TrainingMS != 1234 {
		t.Fatalf("%+v", resp)
	}
	if resp.Filtered == 0 || resp.Filtered > 6 || len(resp.Runs) != resp.Filtered {
		t.Fatalf("filtered %d runs %d", resp.Filtered, len(resp.Runs))
	}
	for i := 1; i < len(resp.Runs); i++ {
		a, b := resp.Runs[i-1].Metrics, resp.Runs[i].Metrics
		if a.BestSharpeHourly < b.BestSharpeHourly || resp.Runs[i].Rank != i+1 {
			t.Fatalf("runs not ranked: %+v then %+v", resp.Runs[i-1], resp.Runs[i])
		}
	}
	for _, r := range resp.Runs {
		if r.Metrics.Trades < 50 || r.BacktestRunID == 0 {
			t.Fatalf("guardrail or run id: %+v", r)
		}
		var res struct {
			Summary struct {
				Trades int `json:"total_trades"`
			} `json:"_summary"`
			Mode string `json:"mode"`
		}
		if err := json.Unmarshal(r.Result, &res); err != nil || res.Summary.Trades != r.Metrics.Trades || res.Mode == "" {
			t.Fatalf("result %s: %v", r.Result, err)
		}
	}
	if len(saved.runs) != 6 || saved.runs[0].Tag != "sweep" || saved.runs[0].SweepID != 1 {
		t.Fatalf("saved runs %d %+v", len(saved.runs), saved.runs[0])
	}
	// The stored sweep and its rows agree with the response.
	rec, rows, err := env.lab.GetSweep(context.Background(), resp.SweepID)
	if err != nil || rec.Status != engine.SweepCompleted || rec.Count != 6 || rec.Filtered != resp.Filtered || len(rows) != 6 {
		t.Fatalf("%+v %d %v", rec, len(rows), err)
	}
	if rec.Spec.ThresholdsVariants[0] != "0.50,0.52,0.54" || rec.Spec.Cells != 6 || rec.FinishedAt == nil {
		t.Fatalf("spec %+v", rec.Spec)
	}
	ranked := 0
	for i, r := range rows {
		if r.ID != int64(i+1) || r.Params.Index != i || r.BacktestRunID == 0 {
			t.Fatalf("row %d %+v", i, r)
		}
		if r.Passed != (r.Rank > 0) || (!r.Passed && r.Reason == "") {
			t.Fatalf("row %d pass/rank %+v", i, r)
		}
		if r.Passed {
			ranked++
		}
	}
	if ranked != resp.Filtered {
		t.Fatalf("ranked rows %d, filtered %d", ranked, resp.Filtered)
	}
	// The report artifact is where the response says, complete and parseable.
	if resp.ReportPath == nil || *resp.ReportPath != "artifacts/reports/sweep_1.json" {
		t.Fatalf("report path %v", resp.ReportPath)
	}
	data, err := os.ReadFile(filepath.Join(env.dir, *resp.ReportPath))
	if err != nil {
		t.Fatal(err)
	}
	var rep engine.SweepReport
	if err := json.Unmarshal(data, &rep); err != nil || rep.Count != 6 || len(rep.Table) != 6 || len(rep.Runs) != resp.Filtered ||
		len(rep.Rejected) != 6-resp.Filtered {
		t.Fatalf("report %+v %v", rep, err)
	}
	list, total, err := env.lab.ListSweeps(context.Background(), engine.SweepFilter{ModelID: "spy_opt_0dte_hourly", Tag: "sweep"})
	if err != nil || total != 1 || list[0].ID != 1 {
		t.Fatalf("list %+v %d %v", list, total, err)
	}
}

func TestRunSweepValidation(t *testing.T) {
	env := openSweepEnv(t, t.TempDir())
	src := engine.SweepSource{OOF: testOOF(t, 700)}
	var v *errs.Validation
	for _, req := range []engine.SweepRequest{
		{},
		{ModelID: "Bad Id"},
		{ModelID: "m", ThresholdsVariants: []string{"0.5,abc"}},
		{ModelID: "m", AllowedHoursVariants: []string{"25"}},
		{ModelID: "m", TopPctVariants: []float64{2}},
		{ModelID: "m", Splits: 1},
		{ModelID: "m", Calibration: "magic"},
	} {
		if _, err := env.lab.RunSweep(context.Background(), req, src, engine.SweepOptions{}); !errors.As(err, &v) {
			t.Fatalf("%+v: %v", req, err)
		}
	}
	if _, err := env.lab.RunSweep(context.Background(), engine.SweepRequest{ModelID: "m"}, engine.SweepSource{}, engine.SweepOptions{}); !errors.Is(err, errs.ErrNoData) {
		t.Fatalf("no OOF: %v", err)
	}
	// Defaults: two threshold variants × the 13,14,15 hours.
	resp, err := env.lab.RunSweep(context.Background(), engine.SweepRequest{ModelID: "m"}, src, engine.SweepOptions{})
	if err != nil || resp.Count != 2 {
		t.Fatalf("%+v %v", resp, err)
	}
	rec, rows, _ := env.lab.GetSweep(context.Background(), resp.SweepID)
	if rec.PackID != "zerosigma" || rows[0].Params.HoursText != "13,14,15" || rows[1].Params.ThresholdsText != "0.55,0.6,0.65" {
		t.Fatalf("%+v %+v", rec, rows)
	}
}

// bigGrid is a 1,000-cell request (10 threshold + 10 top-pct variants × 50 hour sets).
func bigGrid() engine.SweepRequest {
	req := engine.SweepRequest{ModelID: "m", Tag: "big"}
	for i := 0; i < 10; i++ {
		b := 0.50 + 0.01*float64(i)
		req.ThresholdsVariants = append(req.ThresholdsVariants, sweep.FormatFloats([]float64{b, b + 0.02, b + 0.04}))
		req.TopPctVariants = append(req.TopPctVariants, 0.05+0.02*float64(i))
	}
	for i := 0; i < 50; i++ {
		var hs []int
		for h := 9; h <= 15; h++ {
			if (i>>(h-9))&1 == 1 || i == 0 {
				hs = append(hs, h)
			}
		}
		req.AllowedHoursVariants = append(req.AllowedHoursVariants, sweep.FormatHours(hs))
	}
	return req
}

func TestRunSweepCancelKeepsFinishedCells(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates a few hundred cells over 100k rows")
	}
	env := openSweepEnv(t, t.TempDir())
	src := engine.SweepSource{OOF: testOOF(t, 100_000)}
	ctx, cancel := context.WithCancel(context.Background())
	var cancelledAt time.Time
	var once sync.Once
	resp, err := env.lab.RunSweep(ctx, bigGrid(), src, engine.SweepOptions{Workers: 2, Progress: func(f float64, _ string) {
		if f >= 0.1 {
			once.Do(func() { cancelledAt = time.Now(); cancel() })
		}
	}})
	if !errors.Is(err, errs.ErrCancelled) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(cancelledAt); d > time.Second {
		t.Fatalf("stopped %v after cancel", d)
	}
	if resp.Status != engine.SweepCancelled || resp.Count < 100 || resp.Count >= 1000 || resp.Cells != 1000 {
		t.Fatalf("%+v", resp)
	}
	rec, rows, err := env.lab.GetSweep(context.Background(), resp.SweepID)
	if err != nil || rec.Status != engine.SweepCancelled || len(rows) != resp.Count || rec.Count != resp.Count || resp.ReportPath == nil {
		t.Fatalf("%+v rows %d %v", rec, len(rows), err)
	}
}

// TestSweepJobCrashAndResume kills the process mid-sweep (the database is
// closed under the running job, as kill -9 leaves it), restarts, sees the job
// and the sweep interrupted, retries the job and checks that it resumes: the
// cells stored before the crash are kept, the rest are evaluated, and the
// finished sweep has every cell exactly once.
func TestSweepJobCrashAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates 1,000 cells over 100k rows")
	}
	dir := t.TempDir()
	oof := testOOF(t, 100_000)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	register := func(env *sweepEnv, r *jobs.Runner, crashAt float64, crash func()) {
		var once sync.Once
		jobs.Register(r, engine.SweepJobKind, jobs.Heavy, func(ctx context.Context, tk *jobs.Task, req engine.SweepRequest) (any, error) {
			return env.lab.RunSweep(ctx, req, engine.SweepSource{OOF: oof}, engine.SweepOptions{JobID: tk.JobID, Workers: 1,
				Progress: func(f float64, msg string) {
					tk.Progress(f, msg)
					if crashAt > 0 && strings.HasPrefix(msg, "cell ") {
						// Cells are evaluated before they are stored, and
						// storing 1,000 is faster than a flush period: slow
						// it so the crash finds several batches stored.
						time.Sleep(time.Millisecond)
						if f >= crashAt {
							once.Do(crash)
						}
					}
				}})
		})
	}

	env1 := openSweepEnv(t, dir)
	r1 := jobs.New(env1.db, jobs.Options{Logger: quiet})
	if _, err := r1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	crashed := make(chan struct{})
	register(env1, r1, 0.3, func() { _ = env1.db.Close(); close(crashed) })
	job, err := r1.Submit(context.Background(), engine.SweepJobKind, "alice", bigGrid())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-crashed:
	case <-time.After(2 * time.Minute): // generous: the race detector slows evaluation ~20x
		t.Fatal("sweep never reached the crash point")
	}
	defer func() { _ = r1.Close(context.Background()) }()

	// Restart: the app marks left-over jobs and sweeps interrupted.
	env2 := openSweepEnv(t, dir)
	r2 := jobs.New(env2.db, jobs.Options{Logger: quiet})
	if n, err := r2.Start(context.Background()); err != nil || n != 1 {
		t.Fatalf("interrupted jobs %d %v", n, err)
	}
	if n, err := env2.db.Sweeps().InterruptSweeps(context.Background(), time.Now()); err != nil || n != 1 {
		t.Fatalf("interrupted sweeps %d %v", n, err)
	}
	defer func() { _ = r2.Close(context.Background()) }()
	register(env2, r2, 0, nil)
	if j, _ := r2.Get(context.Background(), job.ID); j.Status != jobs.Interrupted {
		t.Fatalf("job after restart %+v", j)
	}
	rec, kept, err := env2.lab.GetSweep(context.Background(), 1)
	if err != nil || rec.Status != engine.SweepInterrupted || len(kept) == 0 || len(kept) >= 1000 {
		t.Fatalf("sweep after restart %+v kept %d %v", rec, len(kept), err)
	}

	if _, err := r2.Retry(context.Background(), job.ID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j, err := r2.Wait(ctx, job.ID)
	if err != nil || j.Status != jobs.Completed || j.Attempts != 2 {
		t.Fatalf("retried job %+v %v", j, err)
	}
	var resp engine.SweepResponse
	if err := json.Unmarshal(j.Result, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.SweepID != 1 || resp.Count != 1000 || resp.Resumed != len(kept) || resp.Status != engine.SweepCompleted {
		t.Fatalf("resumed sweep %+v (kept %d)", resp, len(kept))
	}
	rec, rows, _ := env2.lab.GetSweep(context.Background(), 1)
	if rec.Status != engine.SweepCompleted || len(rows) != 1000 || rec.JobID != job.ID {
		t.Fatalf("%+v rows %d", rec, len(rows))
	}
	for i, r := range rows {
		if r.Params.Index != i {
			t.Fatalf("row %d holds cell %d", i, r.Params.Index)
		}
	}
	if list, total, _ := env2.lab.ListSweeps(context.Background(), engine.SweepFilter{}); total != 1 || list[0].ID != 1 {
		t.Fatalf("retry created another sweep: %d", total)
	}
}

// TestSweepJobCancel cancels a running sweep job through the runner: the job
// ends cancelled within a second, its result holds the finished cells, and
// the sweep row is cancelled with those cells stored and ranked.
func TestSweepJobCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates a few hundred cells over 100k rows")
	}
	env := openSweepEnv(t, t.TempDir())
	oof := testOOF(t, 100_000)
	r := jobs.New(env.db, jobs.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close(context.Background()) }()
	reached, asked := make(chan struct{}), make(chan struct{})
	var once sync.Once
	jobs.Register(r, engine.SweepJobKind, jobs.Heavy, func(ctx context.Context, tk *jobs.Task, req engine.SweepRequest) (any, error) {
		return env.lab.RunSweep(ctx, req, engine.SweepSource{OOF: oof}, engine.SweepOptions{JobID: tk.JobID, Workers: 1,
			Progress: func(f float64, msg string) {
				tk.Progress(f, msg)
				if f >= 0.2 && strings.HasPrefix(msg, "cell ") {
					// Hold the sweep here until the cancel is asked for:
					// cells are cheap, and an unheld sweep can finish all
					// 1,000 before a loaded machine delivers the cancel.
					once.Do(func() {
						close(reached)
						select {
						case <-asked:
						case <-time.After(5 * time.Second):
						}
					})
				}
			}})
	})
	job, err := r.Submit(context.Background(), engine.SweepJobKind, "", bigGrid())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(20 * time.Second):
		t.Fatal("sweep never got going")
	}
	t0 := time.Now()
	if _, err := r.Cancel(context.Background(), job.ID); err != nil {
		t.Fatal(err)
	}
	close(asked)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	j, err := r.Wait(ctx, job.ID)
	if d := time.Since(t0); err != nil || d > time.Second {
		t.Fatalf("cancel took %v: %v", d, err)
	}
	var resp engine.SweepResponse
	if j.Status != jobs.Cancelled || json.Unmarshal(j.Result, &resp) != nil || resp.Status != engine.SweepCancelled ||
		resp.Count < 200 || resp.Count >= 1000 {
		t.Fatalf("job %+v result %s", j, j.Result)
	}
	rec, rows, err := env.lab.GetSweep(context.Background(), resp.SweepID)
	if err != nil || rec.Status != engine.SweepCancelled || len(rows) != resp.Count || rec.Filtered != resp.Filtered {
		t.Fatalf("%+v rows %d %v", rec, len(rows), err)
	}
}

// TestSweepExecutionVariants: slippage and size-by-confidence variants reach
// the evaluation (same trades, costs and sizes as asked).
func TestSweepExecutionVariants(t *testing.T) {
	env := openSweepEnv(t, t.TempDir())
	src := engine.SweepSource{OOF: testOOF(t, 3500), Base: backtest.TradeParams{SlippageBps: 1}}
	resp, err := env.lab.RunSweep(context.Background(), engine.SweepRequest{ModelID: "m", ThresholdsVariants: []string{"0.5"},
		AllowedHoursVariants: []string{""}, SlippageBpsVariants: []float64{0, 50}, SizeByConfVariants: []bool{false, true}},
		src, engine.SweepOptions{})
	if err != nil || resp.Count != 4 {
		t.Fatalf("%+v %v", resp, err)
	}
	_, rows, _ := env.lab.GetSweep(context.Background(), resp.SweepID)
	// Cells: (slip 0, size off), (slip 0, size on), (slip 50, size off), (slip 50, size on).
	m := func(i int) sweep.Outcome { return rows[i].Metrics }
	if *rows[2].Params.SlippageBps != 50 || !*rows[1].Params.SizeByConf {
		t.Fatalf("params %+v %+v", rows[2].Params, rows[1].Params)
	}
	if m(0).Trades != m(2).Trades || m(0).Trades == 0 {
		t.Fatalf("slippage changed trades: %d vs %d", m(0).Trades, m(2).Trades)
	}
	if want := m(0).BestCumRet - 50e-4*float64(m(0).Trades); math.Abs(m(2).BestCumRet-want) > 1e-9 {
		t.Fatalf("50 bp slippage: cum_ret %v, want %v", m(2).BestCumRet, want)
	}
	if m(1).BestCumRet == m(0).BestCumRet {
		t.Fatal("size_by_conf made no difference")
	}
}
