package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/targets"
)

// newNodeCmd runs a program inside a node container; users never call it.
func newNodeCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "node PROGRAM [ARGS...]",
		Short:              "Run a program inside a node container (internal)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("node: name a program (have: %s)", strings.Join(targets.NodeProgramNames(), ", "))
			}
			p, ok := targets.LookupNodeProgram(args[0])
			if !ok {
				return usageErrorf("node: unknown program %q (have: %s)", args[0], strings.Join(targets.NodeProgramNames(), ", "))
			}
			if err := p(c.Context(), args[1:]); err != nil {
				return fmt.Errorf("node %s: %w", args[0], err)
			}
			return nil
		},
	}
}
