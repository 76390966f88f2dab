package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
)

// run is what a run directory holds.
type run struct {
	dir            string
	info           store.RunInfo
	results        checker.Results
	hasResults     bool
	ops            []history.Op
	hasHistory     bool
	stats          checker.Stats
	visualizations []string // paths relative to dir, slash-separated
	nodeLogs       []string // paths relative to dir, slash-separated
	files          []string // run.json, history.jsonl, results.json when present
	warnings       []string
}

// load reads a run directory. With withHistory false the history is read
// only when results.json is missing (for the stats).
func load(dir string, withHistory bool) (*run, error) {
	info, err := store.ReadRunInfo(dir)
	if err != nil {
		return nil, err
	}
	r := &run{dir: dir, info: info, files: []string{store.RunFile}}
	if info.Error != "" {
		r.warnings = append(r.warnings, "the harness failed: "+info.Error)
	}
	if info.Interrupted {
		r.warnings = append(r.warnings, "the run was interrupted")
	}

	rs, err := checker.ReadResults(filepath.Join(dir, store.ResultsFile))
	switch {
	case err == nil:
		r.results, r.hasResults = rs, true
		r.files = append(r.files, store.ResultsFile)
	case errors.Is(err, fs.ErrNotExist):
		r.results = checker.Results{Valid: checker.Unknown}
		r.warnings = append(r.warnings, "no "+store.ResultsFile+": the run was not checked")
	default:
		r.results = checker.Results{Valid: checker.Unknown}
		r.warnings = append(r.warnings, err.Error())
	}

	if withHistory || !r.hasResults {
		ops, err := history.ReadFile(filepath.Join(dir, store.HistoryFile))
		switch {
		case err == nil:
			r.hasHistory = true
		case errors.Is(err, fs.ErrNotExist):
			r.warnings = append(r.warnings, "no "+store.HistoryFile)
		case errors.Is(err, history.ErrTruncated):
			r.hasHistory = true
			r.warnings = append(r.warnings, fmt.Sprintf("%v; showing the %d ops before it", err, len(ops)))
		default:
			r.hasHistory = len(ops) > 0
			r.warnings = append(r.warnings, err.Error())
		}
		r.ops = ops
	}
	for _, f := range []string{store.HistoryFile, JUnitFile, MarkdownFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			r.files = append(r.files, f)
		}
	}
	switch {
	case r.hasHistory:
		r.stats = checker.ComputeStats(r.ops)
	case r.hasResults:
		r.stats = r.results.Stats
	}

	r.visualizations = listFiles(dir, store.LinearDir, func(name string) bool { return strings.HasSuffix(name, ".html") })
	r.nodeLogs = listFiles(dir, store.NodesDir, func(string) bool { return true })
	return r, nil
}

// listFiles lists the regular files under dir/sub, recursively, as
// slash-separated paths relative to dir, sorted.
func listFiles(dir, sub string, keep func(name string) bool) []string {
	var out []string
	root := filepath.Join(dir, sub)
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !keep(d.Name()) {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}
