package cmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/reports"
)

func init() { addCommand(newIndexCmd) }

func newIndexCmd() *cobra.Command {
	var storeDir, out string
	c := &cobra.Command{
		Use:   "index [--store DIR] [-o FILE]",
		Short: "Write the index of stored runs as one static HTML page (for CI pages)",
		Long: `Index writes the page 'faultline serve' shows at / — every run in the store with
its time, verdict, duration and faults, and every suite record — as a static HTML
file whose links are relative to where it is written, so the store and the page can
be uploaded together as a CI artefact or published as static pages.`,
		Example: `  $ faultline index                       # writes store/index.html
  $ faultline index --store /tmp/store -o /tmp/site/index.html`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			if st, err := os.Stat(storeDir); err != nil || !st.IsDir() {
				return usageErrorf("--store %s: not a directory", storeDir)
			}
			if out == "" {
				out = filepath.Join(storeDir, "index.html")
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return fmt.Errorf("index: %w", err)
			}
			if err := reports.WriteIndexFile(storeDir, out); err != nil {
				return fmt.Errorf("index: %w", err)
			}
			fmt.Fprintln(c.OutOrStdout(), out)
			return nil
		},
	}
	c.Flags().StringVar(&storeDir, "store", "store", "directory that keeps runs")
	c.Flags().StringVarP(&out, "output", "o", "", "file to write (default <store>/index.html)")
	return c
}
