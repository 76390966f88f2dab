package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/nemesis"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/workloads"
)

type optionJSON struct {
	Name    string `json:"name"`
	Default string `json:"default"`
	Help    string `json:"help"`
}

type bugJSON struct {
	Name    string   `json:"name"`
	Help    string   `json:"help"`
	Nemesis []string `json:"nemesis"`
	// NemesisOpts aim those faults (--nemesis-opt), when the bug needs it.
	NemesisOpts map[string]string `json:"nemesis_opts,omitempty"`
}

type targetJSON struct {
	Name    string       `json:"name"`
	Summary string       `json:"summary"`
	Options []optionJSON `json:"options"`
	Bugs    []bugJSON    `json:"bugs"`
}

func newTargetsCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "targets",
		Short:   "List the targets, their options and their seeded bugs",
		Example: "  $ faultline targets\n  $ faultline targets --json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var all []targetJSON
			for _, n := range targets.Names() {
				i, _ := targets.Lookup(n)
				t := targetJSON{Name: i.Name, Summary: i.Summary, Options: []optionJSON{}, Bugs: []bugJSON{}}
				for _, o := range i.Options {
					t.Options = append(t.Options, optionJSON(o))
				}
				for _, b := range i.Bugs {
					t.Bugs = append(t.Bugs, bugJSON{Name: b.Name, Help: b.Help, Nemesis: append([]string{}, b.Nemesis...), NemesisOpts: b.NemesisOpts})
				}
				all = append(all, t)
			}
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(all)
			}
			w := c.OutOrStdout()
			for _, t := range all {
				fmt.Fprintf(w, "%s — %s\n", t.Name, t.Summary)
				tw := listTable(w)
				tw.Header("option", "default", "meaning")
				for _, o := range t.Options {
					tw.Append(o.Name, o.Default, o.Help)
				}
				for _, b := range t.Bugs {
					tw.Append("bug="+b.Name, "", b.Help+" (exposed by: "+strings.Join(b.Nemesis, ", ")+optsSuffix(b.NemesisOpts)+")")
				}
				if err := tw.Render(); err != nil {
					return err
				}
				fmt.Fprintln(w)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return c
}

func newWorkloadsCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "workloads",
		Short:   "List the workloads and their options",
		Example: "  $ faultline workloads",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			tw := listTable(c.OutOrStdout())
			tw.Header("workload", "option", "default", "meaning")
			for _, n := range workloads.Names() {
				w, _ := workloads.Lookup(n)
				i := w.Info()
				tw.Append(i.Name, "", "", i.Summary)
				for _, o := range i.Options {
					tw.Append("", o.Name, o.Default, o.Help)
				}
			}
			return tw.Render()
		},
	}
}

func newNemesesCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "nemeses",
		Short:   "List the faults the nemesis can inject and their options (--nemesis-opt NAME=VALUE)",
		Example: "  $ faultline nemeses",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			tw := listTable(c.OutOrStdout())
			tw.Header("nemesis", "option", "default", "meaning")
			for _, i := range nemesis.Infos() {
				tw.Append(i.Name, "", "", i.Summary)
				for _, o := range i.Options {
					def := o.Default
					if def == "" {
						def = "--nemesis-interval"
					}
					tw.Append("", o.Name, def, o.Help)
				}
			}
			return tw.Render()
		},
	}
}

// optsSuffix shows a bug's nemesis options as " with k=v k=v", sorted.
func optsSuffix(opts map[string]string) string {
	if len(opts) == 0 {
		return ""
	}
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		kv = append(kv, k+"="+opts[k])
	}
	return " with " + strings.Join(kv, " ")
}

// listTable is the table the list commands print: long help texts wrap
// instead of stretching the table past the terminal.
func listTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w, tablewriter.WithRowMaxWidth(72))
}
