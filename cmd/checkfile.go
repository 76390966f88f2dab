package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/checker/models"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/history/edn"
	"github.com/faultline-io/faultline/harness/store"
)

// History formats faultline reads and writes.
const (
	formatAuto  = "auto"
	formatEDN   = "edn"
	formatJSONL = "jsonl"
)

// maxListed bounds the anomalies and uninterpretable ops printed.
const maxListed = 5

// historyCheckOpts are the flags of `faultline check HISTORY-FILE`.
type historyCheckOpts struct {
	model, init, out, format string
}

func addHistoryCheckFlags(c *cobra.Command, o *historyCheckOpts) {
	c.Flags().StringVar(&o.model, "model", models.Default, "history file: the model to check against ("+strings.Join(models.Names(), ", ")+")")
	c.Flags().StringVar(&o.init, "init", "nil", "history file: every key's initial state, as EDN (0, nil, {:x 0 :y 0})")
	c.Flags().StringVar(&o.out, "out", "", "history file: write results.json and Porcupine's pages into this directory")
	c.Flags().StringVar(&o.format, "format", formatAuto, "history file: auto (by extension, else by content), edn or jsonl")
}

// modelHelp lists the models for --help.
func modelHelp() string {
	var b strings.Builder
	for _, m := range models.Infos() {
		fmt.Fprintf(&b, "  %-15s %s; --init: %s\n", m.Name, m.Ops, m.Init)
	}
	return b.String()
}

// isHistoryFile tells a history file ("-" is stdin) from a run directory.
// A path that does not exist is a history file when its name says so, else
// it is left to the run directory check, whose error says what was
// expected.
func isHistoryFile(arg string) bool {
	if arg == "-" {
		return true
	}
	fi, err := os.Stat(arg)
	if err != nil {
		switch strings.ToLower(filepath.Ext(arg)) {
		case ".edn", ".jsonl", ".json", ".ndjson":
			return true
		}
		return false
	}
	return !fi.IsDir()
}

// refuseHistoryFlags rejects the history-file flags for a run directory,
// which is checked with its own workload's checkers.
func refuseHistoryFlags(c *cobra.Command) error {
	for _, f := range []string{"model", "init", "out", "format"} {
		if c.Flags().Changed(f) {
			return usageErrorf("--%s applies to a history file; a run directory is checked with its workload's checkers", f)
		}
	}
	return nil
}

// readHistory reads a history file, or stdin for "-", in the given format
// (auto: by extension, else by content). A JSONL history whose last line
// is torn is read up to it, with a warning.
func readHistory(c *cobra.Command, arg, format string) ([]history.Op, error) {
	var b []byte
	var err error
	if arg == "-" {
		b, err = io.ReadAll(c.InOrStdin())
		arg = "stdin"
	} else {
		b, err = os.ReadFile(arg)
	}
	if err != nil {
		return nil, &UsageError{fmt.Errorf("read history: %w", err)}
	}
	switch format {
	case formatAuto:
		format = sniffFormat(arg, b)
	case formatEDN, formatJSONL:
	default:
		return nil, usageErrorf("--format %q: want auto, edn or jsonl", format)
	}
	var ops []history.Op
	if format == formatEDN {
		ops, err = edn.Parse(b)
	} else {
		ops, err = history.Decode(bytes.NewReader(b))
		if errors.Is(err, history.ErrTruncated) {
			fmt.Fprintf(c.ErrOrStderr(), "warning: %s: %v; using the %d ops before it\n", arg, err, len(ops))
			err = nil
		}
	}
	if err != nil {
		return nil, &UsageError{fmt.Errorf("%s: %w", arg, err)}
	}
	return ops, nil
}

// sniffFormat picks edn or jsonl from the file name, else from the first
// character that is not whitespace or part of a ';' comment: a JSONL line
// starts with {"; an EDN history with [, (, {: or a comment.
func sniffFormat(name string, b []byte) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".edn":
		return formatEDN
	case ".jsonl", ".json", ".ndjson":
		return formatJSONL
	}
	t := bytes.TrimLeft(b, " \t\r\n,")
	if len(t) > 0 && t[0] == '{' && len(bytes.TrimLeft(t[1:], " \t\r\n")) > 0 && bytes.TrimLeft(t[1:], " \t\r\n")[0] == '"' {
		return formatJSONL
	}
	return formatEDN
}

// checkHistoryFile checks a history file against a model, prints the
// verdict with a short explanation, writes results only when --out is
// given, and exits with the verdict.
func checkHistoryFile(c *cobra.Command, arg string, o historyCheckOpts, timeout time.Duration) error {
	init, err := edn.ToJSON([]byte(o.init))
	if err != nil {
		return usageErrorf("--init %q: %v", o.init, err)
	}
	m, err := models.New(o.model, init)
	if err != nil {
		return &UsageError{err}
	}
	ops, err := readHistory(c, arg, o.format)
	if err != nil {
		return err
	}
	res := checker.Run(c.Context(), ops, models.Checker(m, timeout))
	w := c.OutOrStdout()
	name := arg
	if arg == "-" {
		name = "stdin"
	}
	s := res.Stats
	fmt.Fprintf(w, "%s: %d ops (%d client invocations, %d nemesis), model %s, init %s\n",
		name, s.Ops, s.Client.Invoke, s.NemesisOps, m.Name, m.Init)
	r := res.Checkers[0]
	fmt.Fprintf(w, "%s: %s\n", res.Valid, r.Message)
	if d, ok := r.Details.(*linearizable.Details); ok {
		for i, a := range d.Anomalies {
			if i == maxListed {
				fmt.Fprintf(w, "  … and %d more\n", len(d.Anomalies)-i)
				break
			}
			fmt.Fprintf(w, "  %s\n", a.Explanation)
		}
		for i, msg := range d.Malformed {
			if i == maxListed {
				break
			}
			fmt.Fprintf(w, "  cannot interpret %s\n", msg)
		}
	}
	if o.out != "" {
		pages, err := writeHistoryResults(o.out, res)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "results in %s\n", filepath.Join(o.out, store.ResultsFile))
		for i, p := range pages {
			if i == maxListed {
				fmt.Fprintf(w, "… and %d more pages in %s\n", len(pages)-i, filepath.Join(o.out, store.LinearDir))
				break
			}
			fmt.Fprintf(w, "Porcupine's page: %s\n", filepath.Join(o.out, store.LinearDir, p))
		}
	}
	return verdictExit(res.Valid.String())
}

// writeHistoryResults writes results.json and Porcupine's pages (as in a
// run directory) into dir, and returns the pages' names.
func writeHistoryResults(dir string, res checker.Results) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &UsageError{fmt.Errorf("--out: %w", err)}
	}
	if err := checker.WriteResults(filepath.Join(dir, store.ResultsFile), res); err != nil {
		return nil, err
	}
	var pages []string
	for _, r := range res.Checkers {
		if r.Checker != linearizable.Name {
			continue
		}
		names, err := linearizable.WriteVisualizations(r, filepath.Join(dir, store.LinearDir))
		if err != nil {
			return nil, fmt.Errorf("write linearizability visualisations: %w", err)
		}
		pages = append(pages, names...)
	}
	return pages, nil
}
