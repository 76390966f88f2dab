package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/history/edn"
	"github.com/faultline-io/faultline/harness/store"
)

func init() { addCommand(newExportCmd) }

func newExportCmd() *cobra.Command {
	var format, out, from string
	c := &cobra.Command{
		Use:   "export RUN-DIR | HISTORY-FILE",
		Short: "Write a run's history as EDN for Jepsen's tools, or as JSONL",
		Long: `Export writes the history of a stored run (its history.jsonl), or of a history
file (.edn or .jsonl), in another format:

  edn    one EDN vector of op maps, as Jepsen and Knossos read them: :process is an
         integer or :nemesis, :type and :f are keywords, values are EDN (strings that
         can be keywords become keywords, so a txn reads [[:read :x 1]]); the
         independent key of an op is its :key, and :node and :error are kept.
  jsonl  faultline's own format: one JSON op per line.

'faultline check' reads both back: exporting a run and checking the export gives
the run's verdict. Without -o the history goes to stdout.`,
		Example: `  $ faultline export store/latest --format edn -o history.edn
  $ faultline check history.edn                  # the run's verdict again
  $ faultline export knossos.edn --format jsonl  # an EDN history as JSONL`,
		Args: exactArgs(1, "RUN-DIR or a history file"),
		RunE: func(c *cobra.Command, args []string) error {
			var encode func(io.Writer, []history.Op) error
			switch format {
			case formatEDN:
				encode = edn.Encode
			case formatJSONL:
				encode = history.Encode
			default:
				return usageErrorf("--format %q: want edn or jsonl", format)
			}
			ops, err := readExportSource(c, args[0], from)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				bw := bufio.NewWriter(c.OutOrStdout())
				if err := encode(bw, ops); err != nil {
					return err
				}
				return bw.Flush()
			}
			return writeFileAtomic(out, func(w io.Writer) error { return encode(w, ops) })
		},
	}
	c.Flags().StringVar(&format, "format", formatEDN, "edn or jsonl")
	c.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	c.Flags().StringVar(&from, "from", formatAuto, "format of a history file given instead of a run directory: auto, edn or jsonl")
	return c
}

// readExportSource reads a run directory's history, or a history file. A
// torn last line of a run's history is left out, with a warning.
func readExportSource(c *cobra.Command, arg, from string) ([]history.Op, error) {
	if isHistoryFile(arg) {
		return readHistory(c, arg, from)
	}
	if _, err := store.ReadRunInfo(arg); err != nil {
		return nil, &UsageError{fmt.Errorf("%s is not a run directory or a history file: %w", arg, err)}
	}
	ops, err := history.ReadFile(filepath.Join(arg, store.HistoryFile))
	if errors.Is(err, history.ErrTruncated) {
		fmt.Fprintf(c.ErrOrStderr(), "warning: %v; exporting the %d ops before it\n", err, len(ops))
		err = nil
	}
	if err != nil {
		return nil, &UsageError{err}
	}
	return ops, nil
}

// writeFileAtomic writes a file through a temporary one, so a reader never
// sees half of it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return &UsageError{fmt.Errorf("-o: %w", err)}
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
