package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/nemesis"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/workloads"
)

// suiteFile is a suite's YAML: a matrix of targets × workloads × nemeses ×
// seeds and the settings every combination shares.
//
//	name: raft-faults
//	targets: [raft]                 # or {name: raft, options: {bug: stale-read}, expect: invalid}
//	workloads: [register]           # or {name: register, options: {keys: 8}}
//	nemeses: [partition, kill, "partition,pause", none]
//	nemesis_options: {partition: "halves,bridge"}   # as --nemesis-opt
//	seeds: [1, 2]
//	nodes: 3
//	time_limit: 10s
//	expect: valid                   # valid | invalid | unknown | any
type suiteFile struct {
	Name            string            `yaml:"name"`
	Description     string            `yaml:"description"`
	Store           string            `yaml:"store"`
	Targets         []suiteTarget     `yaml:"targets"`
	Workloads       []suiteWorkload   `yaml:"workloads"`
	Nemeses         []suiteNemesis    `yaml:"nemeses"`
	NemesisOptions  map[string]string `yaml:"nemesis_options"` // as --nemesis-opt, for every combination
	Seeds           []int64           `yaml:"seeds"`
	Expect          string            `yaml:"expect"`
	Nodes           int               `yaml:"nodes"`
	Concurrency     int               `yaml:"concurrency"`
	Rate            *float64          `yaml:"rate"`
	TimeLimit       yamlDuration      `yaml:"time_limit"`
	OpTimeout       yamlDuration      `yaml:"op_timeout"`
	NemesisInterval yamlDuration      `yaml:"nemesis_interval"`
	RecoveryTimeout yamlDuration      `yaml:"recovery_timeout"`
	CheckTimeout    yamlDuration      `yaml:"check_timeout"`
	Balance         string            `yaml:"balance"`

	path  string
	lines map[string]int // top-level field -> line
}

// suiteTarget is one target of the matrix: a name, or a mapping with
// options and the verdict expected of it.
type suiteTarget struct {
	Name    string            `yaml:"name"`
	Options map[string]string `yaml:"options"`
	Expect  string            `yaml:"expect"`
	line    int
}

// suiteWorkload is one workload of the matrix: a name, or a mapping with
// options.
type suiteWorkload struct {
	Name    string            `yaml:"name"`
	Options map[string]string `yaml:"options"`
	line    int
}

// suiteNemesis is one nemesis setting of the matrix: a comma-separated
// list ("partition,kill"), a YAML list, "all" or "none".
type suiteNemesis struct {
	Faults []string
	Text   string
	line   int
}

// yamlDuration is a Go duration string ("30s", "2m").
type yamlDuration struct {
	D    time.Duration
	line int
}

// The expectations a suite can state.
const (
	expectValid   = "valid"
	expectInvalid = "invalid"
	expectUnknown = "unknown"
	expectAny     = "any"
)

var expectations = []string{expectValid, expectInvalid, expectUnknown, expectAny}

// checkFields makes a mapping with a field outside known an error: the
// decoder's KnownFields does not reach into custom unmarshalers.
func checkFields(n *yaml.Node, what string, known ...string) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) {
			return fmt.Errorf("line %d: unknown field %q in a %s (have: %s)", k.Line, k.Value, what, strings.Join(known, ", "))
		}
	}
	return nil
}

func (t *suiteTarget) UnmarshalYAML(n *yaml.Node) error {
	t.line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		t.Name = n.Value
		return nil
	case yaml.MappingNode:
		if err := checkFields(n, "target", "name", "options", "expect"); err != nil {
			return err
		}
		type plain suiteTarget
		var p plain
		if err := n.Decode(&p); err != nil {
			return err
		}
		*t = suiteTarget(p)
		t.line = n.Line
		return nil
	}
	return fmt.Errorf("line %d: a target is a name or a mapping with name, options and expect", n.Line)
}

func (w *suiteWorkload) UnmarshalYAML(n *yaml.Node) error {
	w.line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		w.Name = n.Value
		return nil
	case yaml.MappingNode:
		if err := checkFields(n, "workload", "name", "options"); err != nil {
			return err
		}
		type plain suiteWorkload
		var p plain
		if err := n.Decode(&p); err != nil {
			return err
		}
		*w = suiteWorkload(p)
		w.line = n.Line
		return nil
	}
	return fmt.Errorf("line %d: a workload is a name or a mapping with name and options", n.Line)
}

func (s *suiteNemesis) UnmarshalYAML(n *yaml.Node) error {
	s.line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		s.Text = n.Value
	case yaml.SequenceNode:
		var names []string
		if err := n.Decode(&names); err != nil {
			return err
		}
		s.Text = strings.Join(names, ",")
	default:
		return fmt.Errorf("line %d: a nemesis is a fault list such as \"partition,kill\", a YAML list, \"all\" or \"none\"", n.Line)
	}
	faults, err := nemesis.ParseList(s.Text)
	if err != nil {
		return fmt.Errorf("line %d: nemeses: %v", n.Line, err)
	}
	s.Faults = faults
	if len(faults) == 0 {
		s.Text = "none"
	}
	return nil
}

func (d *yamlDuration) UnmarshalYAML(n *yaml.Node) error {
	d.line = n.Line
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("line %d: %q is not a duration (write it like 30s, 2m or 1m30s)", n.Line, n.Value)
	}
	d.D = v
	return nil
}

// yamlTypeErr matches the decoder's message for a field that is not in
// the struct, to say it in the suite's terms.
var yamlTypeErr = regexp.MustCompile(`field (\S+) not found in type \S+`)

// readSuiteFile reads and checks a suite file. Every error names the file
// and, where it can, the line and the field.
func readSuiteFile(path string) (*suiteFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("suite file: %w", err)
	}
	sf, err := parseSuite(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sf.path = path
	if sf.Name == "" {
		sf.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if err := sf.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sf, nil
}

func parseSuite(b []byte) (*suiteFile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var sf suiteFile
	if err := dec.Decode(&sf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty; a suite needs at least targets")
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]string, len(te.Errors))
			hint := ""
			for i, m := range te.Errors {
				msgs[i] = yamlTypeErr.ReplaceAllString(m, `unknown field $1`)
				if msgs[i] != m {
					hint = " (fields: " + strings.Join(suiteFields(), ", ") + ")"
				}
			}
			return nil, errors.New(strings.Join(msgs, "; ") + hint)
		}
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	// Lines of the top-level fields, to name them in later errors.
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err == nil && len(root.Content) == 1 {
		m := root.Content[0]
		sf.lines = map[string]int{}
		for i := 0; i+1 < len(m.Content); i += 2 {
			sf.lines[m.Content[i].Value] = m.Content[i].Line
		}
	}
	return &sf, nil
}

// at names a top-level field and its line.
func (sf *suiteFile) at(field string) string {
	if l, ok := sf.lines[field]; ok {
		return fmt.Sprintf("line %d: %s", l, field)
	}
	return field
}

var safeSuiteName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// check fills defaults and rejects what cannot run.
func (sf *suiteFile) check() error {
	if !safeSuiteName.MatchString(sf.Name) {
		return fmt.Errorf("%s: %q: use letters, digits, '.', '_' and '-'", sf.at("name"), sf.Name)
	}
	if len(sf.Targets) == 0 {
		return fmt.Errorf("%s: at least one target is needed (have: %s)", sf.at("targets"), strings.Join(targets.Names(), ", "))
	}
	for _, t := range sf.Targets {
		if _, ok := targets.Lookup(t.Name); !ok {
			return fmt.Errorf("line %d: targets: unknown target %q (have: %s)", t.line, t.Name, strings.Join(targets.Names(), ", "))
		}
		if t.Expect != "" && !slices.Contains(expectations, t.Expect) {
			return fmt.Errorf("line %d: expect: %q: want one of %s", t.line, t.Expect, strings.Join(expectations, ", "))
		}
	}
	if len(sf.Workloads) == 0 {
		sf.Workloads = []suiteWorkload{{Name: "register"}}
	}
	for _, w := range sf.Workloads {
		wl, err := workloads.Lookup(w.Name)
		if err != nil {
			return fmt.Errorf("line %d: workloads: %v", w.line, err)
		}
		if err := workloads.CheckOptionNames(wl, w.Options); err != nil {
			return fmt.Errorf("line %d: workloads: %v", w.line, err)
		}
	}
	if len(sf.Nemeses) == 0 {
		faults, _ := nemesis.ParseList("partition,kill,pause")
		sf.Nemeses = []suiteNemesis{{Faults: faults, Text: "partition,kill,pause"}}
	}
	if len(sf.Seeds) == 0 {
		sf.Seeds = []int64{1}
	}
	switch {
	case sf.Expect == "":
		sf.Expect = expectValid
	case !slices.Contains(expectations, sf.Expect):
		return fmt.Errorf("%s: %q: want one of %s", sf.at("expect"), sf.Expect, strings.Join(expectations, ", "))
	}
	if sf.Rate != nil && *sf.Rate < 0 {
		return fmt.Errorf("%s: %v: want 0 (unlimited) or more ops/s", sf.at("rate"), *sf.Rate)
	}
	// Every combination must pass what harness.Run checks before it
	// starts anything, so a typo in the last one does not surface after
	// an hour of runs.
	for _, c := range sf.combinations("") {
		if err := sf.preflight(c); err != nil {
			return err
		}
	}
	return nil
}

// combination is one cell of the matrix.
type combination struct {
	target   suiteTarget
	workload suiteWorkload
	nemesis  suiteNemesis
	seed     int64
	expect   string
	cfg      harness.Config
}

func (c combination) label() string {
	t := c.target.Name
	if o := mapArg(c.target.Options); o != "" {
		t += "[" + o + "]"
	}
	w := c.workload.Name
	if o := mapArg(c.workload.Options); o != "" {
		w += "[" + o + "]"
	}
	return fmt.Sprintf("%s/%s/%s/seed=%d", t, w, c.nemesis.Text, c.seed)
}

func mapArg(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// combinations expands the matrix, targets outermost and seeds innermost,
// with each combination's harness configuration. storeDir overrides the
// file's store when not empty.
func (sf *suiteFile) combinations(storeDir string) []combination {
	if storeDir == "" {
		storeDir = sf.Store
	}
	var out []combination
	for _, t := range sf.Targets {
		for _, w := range sf.Workloads {
			for _, n := range sf.Nemeses {
				for _, seed := range sf.Seeds {
					c := combination{target: t, workload: w, nemesis: n, seed: seed, expect: sf.Expect}
					if t.Expect != "" {
						c.expect = t.Expect
					}
					c.cfg = harness.Config{
						Target: t.Name, TargetOpts: t.Options, Workload: w.Name, WorkloadOpts: w.Options,
						Nemesis: n.Faults, NemesisOpts: sf.NemesisOptions, NemesisInterval: sf.NemesisInterval.D, Nodes: sf.Nodes,
						Concurrency: sf.Concurrency, Rate: 200, TimeLimit: sf.TimeLimit.D, OpTimeout: sf.OpTimeout.D,
						RecoveryTimeout: sf.RecoveryTimeout.D, CheckTimeout: sf.CheckTimeout.D, Balance: sf.Balance,
						Seed: seed, Store: storeDir,
					}
					if sf.Rate != nil {
						c.cfg.Rate = *sf.Rate
					}
					if c.cfg.CheckTimeout == 0 {
						c.cfg.CheckTimeout = 5 * time.Minute // as 'faultline run' does
					}
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// flagFields maps the flags harness.Config.Validate names to suite fields.
var flagFields = map[string]string{
	"--nodes": "nodes", "--concurrency": "concurrency", "--rate": "rate", "--time-limit": "time_limit",
	"--op-timeout": "op_timeout", "--nemesis-interval": "nemesis_interval", "--check-timeout": "check_timeout",
	"--balance": "balance", "--nemesis": "nemeses", "nemesis option": "nemesis_options",
}

// preflight runs, for one combination, the checks harness.Run makes before
// it starts a cluster: the configuration, the target's options, the
// workload's options and what the workload needs of the target. Nothing
// touches Docker.
func (sf *suiteFile) preflight(c combination) error {
	cfg := c.cfg
	if err := cfg.Validate(); err != nil {
		msg := err.Error()
		for flag, field := range flagFields {
			if strings.Contains(msg, flag) {
				return fmt.Errorf("%s: %s", sf.at(field), strings.ReplaceAll(msg, "\n", "; "))
			}
		}
		return fmt.Errorf("%s: %s", c.label(), strings.ReplaceAll(msg, "\n", "; "))
	}
	target, err := targets.New(cfg.Target, targets.Setup{RunID: "preflight", Nodes: cfg.Nodes, NodeLogs: io.Discard}, cfg.TargetOpts)
	if err != nil {
		return fmt.Errorf("line %d: targets: %v", c.target.line, err)
	}
	w, err := workloads.Lookup(cfg.Workload)
	if err != nil {
		return fmt.Errorf("line %d: workloads: %v", c.workload.line, err)
	}
	if _, err := w.NewGenerator(rand.New(rand.NewPCG(1, 1)), workloads.Params{Concurrency: cfg.Concurrency, Nodes: cfg.Nodes, Options: cfg.WorkloadOpts}); err != nil {
		return fmt.Errorf("line %d: workloads: %s: %v", c.workload.line, cfg.Workload, err)
	}
	if err := w.Requires(target); err != nil {
		return fmt.Errorf("line %d: %v", c.workload.line, err)
	}
	return nil
}

// suiteFields lists the top-level fields of a suite file, from its struct
// tags, for error messages.
func suiteFields() []string {
	var names []string
	t := reflect.TypeFor[suiteFile]()
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" {
			names = append(names, tag)
		}
	}
	return names
}
