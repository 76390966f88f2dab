package cmd

import (
	"github.com/spf13/cobra"
)

// NewRootCmd builds the whole command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "faultline",
		Short: "Jepsen-style fault injection and linearizability checking for clusters in Docker",
		Long: `faultline starts a cluster of the system under test as Docker containers, drives
concurrent clients against it while a nemesis injects faults (partitions,
crashes, pauses), records every operation, and checks the history for
linearizability with Porcupine.

Exit codes:
  0    valid: every checker passed
  1    invalid: a checker found an anomaly
  2    unknown: a checker could not decide (e.g. it timed out)
  254  bad usage or input (flags, config files, histories)
  255  the harness or its infrastructure failed`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return flagErr{err} })
	for _, newCmd := range commands {
		root.AddCommand(newCmd())
	}
	return root
}

// commands are the subcommands; each file adds its own from init, so
// commands can be added without touching this file.
var commands []func() *cobra.Command

func addCommand(f func() *cobra.Command) { commands = append(commands, f) }

func init() {
	addCommand(newRunCmd)
	addCommand(newCheckCmd)
	addCommand(newReportCmd)
	addCommand(newCleanCmd)
	addCommand(newTargetsCmd)
	addCommand(newWorkloadsCmd)
	addCommand(newNemesesCmd)
	addCommand(newVersionCmd)
	addCommand(newNodeCmd)
}
