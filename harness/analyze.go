package harness

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/workloads"
)

// AnalyzeOptions tune a check of a stored run.
type AnalyzeOptions struct {
	CheckTimeout time.Duration // 0 = no limit
	// Warnf receives notes about the stored files (e.g. a truncated
	// history); nil = discard.
	Warnf func(format string, a ...any)
}

// BadRunError says a stored run cannot be checked because its files are
// missing or malformed: bad input, not a harness failure.
type BadRunError struct{ Err error }

func (e *BadRunError) Error() string { return e.Err.Error() }
func (e *BadRunError) Unwrap() error { return e.Err }

// Analyze checks the history stored in a run directory with the checkers of
// its workload, and writes results.json and the visualisations of failing
// keys beside it. It reads nothing but the run directory.
func Analyze(ctx context.Context, dir string, opts AnalyzeOptions) (checker.Results, error) {
	var res checker.Results
	info, err := store.ReadRunInfo(dir)
	if err != nil {
		return res, &BadRunError{fmt.Errorf("%s is not a run directory: %w", dir, err)}
	}
	w, err := workloads.Lookup(info.Workload)
	if err != nil {
		return res, &BadRunError{fmt.Errorf("run.json: %w", err)}
	}
	ops, err := history.ReadFile(filepath.Join(dir, store.HistoryFile))
	if err != nil {
		if !errors.Is(err, history.ErrTruncated) {
			return res, &BadRunError{err}
		}
		if opts.Warnf != nil {
			opts.Warnf("%v; checking the %d ops before it", err, len(ops))
		}
	}
	res = checker.Run(ctx, ops, w.Checkers(workloads.CheckOptions{Timeout: int64(opts.CheckTimeout), Workload: info.WorkloadOpts})...)
	if err := checker.WriteResults(filepath.Join(dir, store.ResultsFile), res); err != nil {
		return res, err
	}
	for _, r := range res.Checkers {
		if r.Checker != "linearizable" {
			continue
		}
		if _, err := linearizable.WriteVisualizations(r, filepath.Join(dir, store.LinearDir)); err != nil {
			return res, fmt.Errorf("write linearizability visualisations: %w", err)
		}
	}
	return res, nil
}
