package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// File names inside a run directory.
const (
	RunFile     = "run.json"
	HistoryFile = "history.jsonl"
	ResultsFile = "results.json"
	ReportFile  = "report.html"
	NodesDir    = "nodes"
	LinearDir   = "linearizable"
	LatestLink  = "latest"
)

// TimestampLayout names run directories; it sorts by time.
const TimestampLayout = "20060102T150405.000Z0700"

// RunInfo is run.json: everything needed to understand and reproduce a run.
type RunInfo struct {
	Name       string            `json:"name"` // test name: <target>-<workload>
	RunID      string            `json:"run_id"`
	Target     string            `json:"target"`
	TargetOpts map[string]string `json:"target_opts,omitempty"`
	Workload   string            `json:"workload"`
	// WorkloadOpts hold workload settings that are not flags of their own.
	WorkloadOpts      map[string]string `json:"workload_opts,omitempty"`
	Nemesis           []string          `json:"nemesis"`
	NemesisIntervalNS int64             `json:"nemesis_interval_ns"`
	Nodes             int               `json:"nodes"`
	Concurrency       int               `json:"concurrency"`
	Balance           string            `json:"balance"` // how clients pick nodes
	Rate              float64           `json:"rate"`    // ops/s over all clients; 0 = unlimited
	TimeLimitNS       int64             `json:"time_limit_ns"`
	OpTimeoutNS       int64             `json:"op_timeout_ns"`
	Seed              int64             `json:"seed"`
	Command           []string          `json:"command,omitempty"` // argv that reproduces the run
	Version           string            `json:"version"`
	GoVersion         string            `json:"go_version"`
	Start             time.Time         `json:"start"`
	End               time.Time         `json:"end,omitzero"`
	Interrupted       bool              `json:"interrupted,omitempty"`
	TargetInfo        map[string]string `json:"target_info,omitempty"`
	// Error is set when the harness failed; the history may be partial.
	Error string `json:"error,omitempty"`
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// NewRunDir creates <root>/<name>/<timestamp>/ and returns its path.
func NewRunDir(root, name string, now time.Time) (string, error) {
	if !safeName.MatchString(name) {
		return "", fmt.Errorf("test name %q: use letters, digits, '.', '_' and '-'", name)
	}
	base := filepath.Join(root, name)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("create store %s: %w", base, err)
	}
	for i := 0; ; i++ {
		stamp := now.UTC().Format(TimestampLayout)
		if i > 0 {
			stamp = fmt.Sprintf("%s-%d", stamp, i)
		}
		dir := filepath.Join(base, stamp)
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) || i > 100 {
			return "", fmt.Errorf("create run dir %s: %w", dir, err)
		}
	}
}

// SetLatest points <root>/latest at dir (relative, so the store can move).
func SetLatest(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return fmt.Errorf("link latest: %w", err)
	}
	link := filepath.Join(root, LatestLink)
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(rel, tmp); err != nil {
		return fmt.Errorf("link latest: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		return fmt.Errorf("link latest: %w", err)
	}
	return nil
}

// WriteJSON writes v as indented JSON to path atomically (temp + rename),
// so a reader never sees half a file.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	b = append(b, '\n')
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadRunInfo reads run.json from a run directory.
func ReadRunInfo(dir string) (RunInfo, error) {
	var ri RunInfo
	b, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return ri, fmt.Errorf("read run info: %w", err)
	}
	if err := json.Unmarshal(b, &ri); err != nil {
		return ri, fmt.Errorf("%s: %w", filepath.Join(dir, RunFile), err)
	}
	return ri, nil
}
