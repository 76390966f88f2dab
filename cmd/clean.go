package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/targets/dockerrt"
)

func newCleanCmd() *cobra.Command {
	var opts dockerrt.CleanOptions
	c := &cobra.Command{
		Use:   "clean",
		Short: "Remove every container and network faultline created (e.g. after a crash)",
		Long: `Clean removes the containers and networks that carry faultline's label
(io.faultline.owner=faultline), from every run or from one run, and with
--images also the node images faultline built. Runs already remove what they
create, even on Ctrl-C; clean is for what a killed controller left behind.
Nothing else on the Docker daemon is touched.`,
		Example: `  $ faultline clean
  $ faultline clean --run k3x9q2ab
  $ faultline clean --images`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			rt, err := dockerrt.Connect(c.Context())
			if err != nil {
				return err
			}
			defer rt.Close()
			rep, err := rt.Clean(c.Context(), opts)
			fmt.Fprintf(c.OutOrStdout(), "removed %s\n", rep)
			return err
		},
	}
	c.Flags().StringVar(&opts.RunID, "run", "", "only the objects of this run id")
	c.Flags().BoolVar(&opts.Images, "images", false, "also remove faultline's node images")
	return c
}
