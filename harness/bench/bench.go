package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/nemesis"
	"github.com/faultline-io/faultline/targets"
)

// Defaults of Options.
const (
	DefaultSeeds           = 5
	DefaultTimeLimit       = 60 * time.Second
	DefaultNodes           = 5
	DefaultNemesisInterval = 5 * time.Second
	DefaultWorkload        = "register"
)

// Options say which cases to run and how.
type Options struct {
	// Targets to benchmark; empty means every registered target that has
	// seeded bugs.
	Targets []string
	// Bugs to run, by name (a name may be qualified as target:bug); empty
	// means every bug of the chosen targets.
	Bugs []string
	// SkipBugs leaves out every buggy case (only correct targets run).
	SkipBugs bool
	// SkipCorrect leaves out the correct-target cases.
	SkipCorrect bool

	Seeds           int   // seeds per case: FirstSeed … FirstSeed+Seeds-1
	FirstSeed       int64 // default 1
	TimeLimit       time.Duration
	Nodes           int
	NemesisInterval time.Duration
	Store           string // where run directories (and per-run logs) go
	Version         string
	// Log receives a line per run; nil discards.
	Log io.Writer
	// Runner performs one run; nil means harness.Run. Tests replace it.
	Runner func(ctx context.Context, cfg harness.Config) (*harness.Outcome, error)
}

func (o *Options) defaults() error {
	if o.Seeds == 0 {
		o.Seeds = DefaultSeeds
	}
	if o.Seeds < 1 || o.Seeds > 1000 {
		return fmt.Errorf("--seeds %d: want 1 to 1000", o.Seeds)
	}
	if o.FirstSeed == 0 {
		o.FirstSeed = 1
	}
	if o.TimeLimit == 0 {
		o.TimeLimit = DefaultTimeLimit
	}
	if o.TimeLimit < time.Second || o.TimeLimit > 24*time.Hour {
		return fmt.Errorf("--time-limit %v: want 1s to 24h", o.TimeLimit)
	}
	if o.Nodes == 0 {
		o.Nodes = DefaultNodes
	}
	if o.Nodes < 1 || o.Nodes > harness.MaxNodes {
		return fmt.Errorf("--nodes %d: want 1 to %d", o.Nodes, harness.MaxNodes)
	}
	if o.NemesisInterval == 0 {
		o.NemesisInterval = DefaultNemesisInterval
	}
	if o.NemesisInterval < 100*time.Millisecond || o.NemesisInterval > time.Hour {
		return fmt.Errorf("--nemesis-interval %v: want 100ms to 1h", o.NemesisInterval)
	}
	if o.Store == "" {
		o.Store = "store"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Runner == nil {
		o.Runner = harness.Run
	}
	if o.SkipBugs && o.SkipCorrect {
		return errors.New("--no-bugs and --no-correct leave nothing to run")
	}
	return nil
}

// Validate fills in opts's defaults and returns the cases it asks for. A
// bad option or name is a *harness.ConfigError. Run calls it; a CLI calls
// it first to refuse bad flags before anything starts.
func Validate(opts *Options) ([]Case, error) {
	if err := opts.defaults(); err != nil {
		return nil, &harness.ConfigError{Err: err}
	}
	cases, err := Plan(*opts)
	if err != nil {
		return nil, &harness.ConfigError{Err: err}
	}
	return cases, nil
}

// Case is one row of the benchmark: a target, with a seeded bug or
// correct, under the faults that should expose the bug.
type Case struct {
	Target  string   `json:"target"`
	Bug     string   `json:"bug,omitempty"` // "" for the correct target
	Nemesis []string `json:"nemesis"`
	// NemesisOpts aim the faults (--nemesis-opt), as the bug asks.
	NemesisOpts map[string]string `json:"nemesis_opts,omitempty"`
	// FaultsOf, on a correct target's case, names the bug whose aimed
	// faults it runs under ("" for the union of the bugs' plain faults).
	FaultsOf string `json:"faults_of,omitempty"`
	// Unsupported, when set, says why the case cannot run here (e.g. a
	// fault that is not available); it is reported, never run.
	Unsupported string `json:"unsupported,omitempty"`
}

// Name is how the case is shown: target/bug, or target (correct).
func (c Case) Name() string {
	if c.Bug == "" && c.FaultsOf != "" {
		return c.Target + " (correct, " + c.FaultsOf + " faults)"
	}
	if c.Bug == "" {
		return c.Target + " (correct)"
	}
	return c.Target + "/" + c.Bug
}

// runName names the case's runs in the store.
func (c Case) runName() string {
	b := c.Bug
	if b == "" {
		b = "correct"
		if c.FaultsOf != "" {
			b += "-" + c.FaultsOf
		}
	}
	return "bench-" + c.Target + "-" + b
}

// Plan lists the cases opts asks for: every selected bug with its nemesis
// list (and options), and each selected target without a bug under the
// union of its bugs' faults, plus, for every selected bug whose faults are
// aimed by options, the target without a bug under exactly those faults.
// It checks every name and touches nothing.
func Plan(opts Options) ([]Case, error) {
	names := opts.Targets
	if len(names) == 0 {
		for _, n := range targets.Names() {
			if i, _ := targets.Lookup(n); len(i.Bugs) > 0 {
				names = append(names, n)
			}
		}
	}
	wanted := map[string]bool{}
	for _, b := range opts.Bugs {
		wanted[b] = true
	}
	used := map[string]bool{}
	var cases []Case
	for _, tn := range names {
		info, ok := targets.Lookup(tn)
		if !ok {
			return nil, fmt.Errorf("unknown target %q (have: %s)", tn, strings.Join(targets.Names(), ", "))
		}
		var union []string
		var aimed []Case // correct-target cases under a bug's aimed faults
		for _, b := range info.Bugs {
			for _, n := range b.Nemesis {
				if !slices.Contains(union, n) {
					union = append(union, n)
				}
			}
			pick := len(wanted) == 0 || wanted[b.Name] || wanted[tn+":"+b.Name]
			if wanted[b.Name] {
				used[b.Name] = true
			}
			if wanted[tn+":"+b.Name] {
				used[tn+":"+b.Name] = true
			}
			if pick && !opts.SkipBugs {
				cases = append(cases, newCase(tn, b.Name, b.Nemesis, b.NemesisOpts))
			}
			if pick && len(b.NemesisOpts) > 0 {
				c := newCase(tn, "", b.Nemesis, b.NemesisOpts)
				c.FaultsOf = b.Name
				aimed = append(aimed, c)
			}
		}
		if len(union) == 0 {
			union = []string{"partition", "kill", "pause"}
		}
		sort.Strings(union)
		if !opts.SkipCorrect {
			cases = append(cases, newCase(tn, "", union, nil))
			cases = append(cases, aimed...)
		}
	}
	var unknown []string
	for b := range wanted {
		if !used[b] {
			unknown = append(unknown, b)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown bug %s for targets %s (see 'faultline targets')", strings.Join(unknown, ", "), strings.Join(names, ", "))
	}
	if len(cases) == 0 {
		return nil, errors.New("no case to run")
	}
	return cases, nil
}

func newCase(target, bug string, nem []string, nemOpts map[string]string) Case {
	c := Case{Target: target, Bug: bug, Nemesis: slices.Clone(nem), NemesisOpts: maps.Clone(nemOpts)}
	for _, n := range nem {
		if _, err := nemesis.ParseList(n); err != nil {
			c.Unsupported = fmt.Sprintf("fault %s is not available in this build: %v", n, err)
		}
	}
	return c
}

// Result is one run of a case.
type Result struct {
	Seed    int64  `json:"seed"`
	Verdict string `json:"verdict"` // valid, invalid, unknown, or error (the harness failed)
	// FirstAnomaly is the time from the first client operation to the end
	// of the earliest operation the checker could not linearize; nil when
	// the run found none.
	FirstAnomaly *Seconds `json:"first_anomaly_s,omitempty"`
	InvalidKeys  int      `json:"invalid_keys,omitempty"`
	Ops          int      `json:"ops"` // client operations (invocations)
	Dir          string   `json:"dir,omitempty"`
	Command      string   `json:"command"` // reproduces the run
	Error        string   `json:"error,omitempty"`
	Duration     Seconds  `json:"duration_s"` // wall time of the whole run (start-up, load, heal, check)
}

// Row is a case with its runs and their summary.
type Row struct {
	Case
	Results []Result `json:"results"`
	Runs    int      `json:"runs"`
	Invalid int      `json:"invalid"`
	Valid   int      `json:"valid"`
	Unknown int      `json:"unknown"`
	Errors  int      `json:"errors"`
	// DetectionRate is Invalid / Runs, for a buggy case.
	DetectionRate *float64 `json:"detection_rate,omitempty"`
	// MedianFirstAnomaly is the median of the runs' FirstAnomaly over the
	// runs that found one.
	MedianFirstAnomaly *Seconds `json:"median_first_anomaly_s,omitempty"`
	// FalseAlarms counts invalid verdicts of a correct target.
	FalseAlarms *int `json:"false_alarms,omitempty"`
}

// Report is a whole benchmark.
type Report struct {
	Version         string    `json:"version,omitempty"`
	Workload        string    `json:"workload"`
	Seeds           []int64   `json:"seeds"`
	TimeLimit       Seconds   `json:"time_limit_s"`
	Nodes           int       `json:"nodes"`
	NemesisInterval Seconds   `json:"nemesis_interval_s"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	Interrupted     bool      `json:"interrupted,omitempty"`
	Rows            []Row     `json:"rows"`
}

// Seconds is a duration that is a number of seconds in JSON.
type Seconds float64

func seconds(d time.Duration) Seconds { return Seconds(float64(d.Round(time.Millisecond)) / 1e9) }

// Run runs every case of the plan over the seeds, one run at a time (a
// run needs the machine to itself for its timing to mean anything), and
// summarises them. Ctrl-C (ctx) stops after the run in progress; the
// report then holds what finished and Interrupted is set.
func Run(ctx context.Context, opts Options) (*Report, error) {
	cases, err := Validate(&opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Version: opts.Version, Workload: DefaultWorkload, TimeLimit: seconds(opts.TimeLimit), Nodes: opts.Nodes,
		NemesisInterval: seconds(opts.NemesisInterval), Start: time.Now().UTC(),
	}
	for i := range opts.Seeds {
		rep.Seeds = append(rep.Seeds, opts.FirstSeed+int64(i))
	}
	logDir := filepath.Join(opts.Store, "bench-logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	total := len(cases) * opts.Seeds
	n := 0
	for _, c := range cases {
		row := Row{Case: c}
		if c.Unsupported != "" {
			fmt.Fprintf(opts.Log, "%s: skipped: %s\n", c.Name(), c.Unsupported)
			rep.Rows = append(rep.Rows, summarize(row))
			continue
		}
		for _, seed := range rep.Seeds {
			if ctx.Err() != nil {
				rep.Interrupted = true
				break
			}
			n++
			r := runOne(ctx, opts, c, seed, logDir)
			fmt.Fprintf(opts.Log, "[%d/%d] %s seed %d: %s%s (%.0fs)\n", n, total, c.Name(), seed, r.Verdict, anomalyNote(r), float64(r.Duration))
			if r.Verdict == "interrupted" {
				rep.Interrupted = true
				break
			}
			row.Results = append(row.Results, r)
		}
		rep.Rows = append(rep.Rows, summarize(row))
		if rep.Interrupted {
			break
		}
	}
	rep.End = time.Now().UTC()
	return rep, nil
}

func anomalyNote(r Result) string {
	switch {
	case r.Error != "":
		return ": " + r.Error
	case r.FirstAnomaly != nil:
		return fmt.Sprintf(", first anomaly after %.1fs", float64(*r.FirstAnomaly))
	}
	return ""
}

// Command is the faultline invocation that repeats one run of c.
func Command(c Case, seed int64, opts Options) []string {
	args := []string{"faultline", "run", "--target", c.Target}
	if c.Bug != "" {
		args = append(args, "--target-opt", "bug="+c.Bug)
	}
	nem := strings.Join(c.Nemesis, ",")
	if nem == "" {
		nem = "none"
	}
	for _, k := range slices.Sorted(maps.Keys(c.NemesisOpts)) {
		args = append(args, "--nemesis-opt", k+"="+c.NemesisOpts[k])
	}
	return append(args, "--workload", DefaultWorkload, "--nemesis", nem,
		"--nodes", strconv.Itoa(opts.Nodes), "--nemesis-interval", opts.NemesisInterval.String(),
		"--time-limit", opts.TimeLimit.String(), "--seed", strconv.FormatInt(seed, 10))
}

func runOne(ctx context.Context, opts Options, c Case, seed int64, logDir string) Result {
	cmd := Command(c, seed, opts)
	r := Result{Seed: seed, Command: strings.Join(cmd, " ")}
	cfg := harness.Config{
		Name: c.runName(), Target: c.Target, Workload: DefaultWorkload, Nemesis: c.Nemesis, NemesisOpts: maps.Clone(c.NemesisOpts),
		NemesisInterval: opts.NemesisInterval, Nodes: opts.Nodes, TimeLimit: opts.TimeLimit,
		Seed: seed, Store: opts.Store, Command: cmd, Version: opts.Version,
	}
	if c.Bug != "" {
		cfg.TargetOpts = map[string]string{"bug": c.Bug}
	}
	logPath := filepath.Join(logDir, fmt.Sprintf("%s-seed%d.log", c.runName(), seed))
	lf, err := os.Create(logPath)
	if err != nil {
		r.Verdict, r.Error = "error", fmt.Sprintf("create run log: %v", err)
		return r
	}
	defer lf.Close()
	cfg.Log = lf
	start := time.Now()
	out, err := opts.Runner(ctx, cfg)
	r.Duration = seconds(time.Since(start))
	if out != nil {
		r.Dir = out.Dir
	}
	switch {
	case errors.Is(err, harness.ErrInterrupted) || (out != nil && out.Interrupted):
		r.Verdict = "interrupted"
		return r
	case err != nil:
		r.Verdict, r.Error = "error", err.Error()
		return r
	}
	r.Verdict = out.Results.Valid.String()
	a, err := Anomalies(out.Dir)
	if err != nil {
		r.Error = fmt.Sprintf("reading the run's anomalies: %v", err)
		return r
	}
	r.Ops, r.InvalidKeys = a.Ops, a.InvalidKeys
	if a.Found {
		s := seconds(a.First)
		r.FirstAnomaly = &s
	}
	return r
}

// summarize counts a row's verdicts.
func summarize(row Row) Row {
	var times []float64
	for _, r := range row.Results {
		row.Runs++
		switch r.Verdict {
		case "invalid":
			row.Invalid++
		case "valid":
			row.Valid++
		case "unknown":
			row.Unknown++
		default:
			row.Errors++
		}
		if r.FirstAnomaly != nil {
			times = append(times, float64(*r.FirstAnomaly))
		}
	}
	if row.Unsupported != "" {
		return row
	}
	if row.Bug == "" {
		fa := row.Invalid
		row.FalseAlarms = &fa
	} else if row.Runs > 0 {
		rate := float64(row.Invalid) / float64(row.Runs)
		row.DetectionRate = &rate
	}
	if m, ok := median(times); ok {
		s := Seconds(m)
		row.MedianFirstAnomaly = &s
	}
	return row
}

func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}
