package app

import (
	"context"
	"fmt"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/jobs"
)

// jobsShutdownGrace is how long Close waits for running jobs to notice their
// cancellation before the database closes under them.
const jobsShutdownGrace = 10 * time.Second

// wireJobs attaches the job runner and the sweep store to the Lab. Jobs and
// sweeps a previous process left running are marked interrupted first, so a
// kill -9 shows up as retryable work rather than work that never ends.
func (a *App) wireJobs() error {
	now := func() time.Time { return a.Cfg.Now().UTC() }
	runner := jobs.New(a.DB, jobs.Options{Now: now, Logger: a.Cfg.Log, MaxQueued: a.Cfg.MaxQueued})
	registerJobKinds(runner, a.Lab)
	ctx := context.Background()
	if _, err := runner.Start(ctx); err != nil {
		return err
	}
	sweeps := a.DB.Sweeps()
	if _, err := sweeps.InterruptSweeps(ctx, now()); err != nil {
		return fmt.Errorf("mark interrupted sweeps: %w", err)
	}
	a.Lab.Jobs = runner
	a.Lab.Sweeps = sweeps
	// Registered after the db closer, so it runs first: jobs stop, then bbolt closes.
	a.closers = append(a.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), jobsShutdownGrace)
		defer cancel()
		return runner.Close(ctx)
	})
	return nil
}

// registerJobKinds binds every job kind to its engine use case; heavy kinds
// share the heavy pool with synchronous heavy requests.
func registerJobKinds(r *jobs.Runner, lab *engine.Lab) {
	jobs.Register(r, engine.BuildMatrixJobKind, jobs.Heavy, lab.BuildMatrixJob)
	jobs.Register(r, engine.BuildStockMatrixJobKind, jobs.Heavy, lab.BuildStockMatrixJob)
	jobs.Register(r, engine.TrainJobKind, jobs.Heavy, lab.TrainJob)
	jobs.Register(r, engine.BacktestJobKind, jobs.Heavy, lab.BacktestJob)
	jobs.Register(r, engine.SweepJobKind, jobs.Heavy, lab.SweepJob)
	jobs.Register(r, engine.ImportJobKind, jobs.Light, lab.ImportJob)
	jobs.Register(r, engine.SignalsGenerateJobKind, jobs.Heavy, lab.GenerateSignalsJob)
}
