package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-io/faultline/reports"
)

func init() { addCommand(newServeCmd) }

func newServeCmd() *cobra.Command {
	var storeDir, addr string
	c := &cobra.Command{
		Use:   "serve [--store DIR] [--addr 127.0.0.1:8080]",
		Short: "Browse the stored runs over HTTP, read-only",
		Long: `Serve answers HTTP on --addr with an index of the runs in the store (name, time,
verdict, duration, faults; suites too) linking to each run's report and files, and
serves the store's files read-only. Only GET and HEAD are answered, and nothing
outside the store can be reached: not with "..", encoded or not, nor through a
symbolic link that points outside it.

It listens on loopback by default; another address makes every run readable by
whoever can reach it, and says so. Ctrl-C stops it.`,
		Example: `  $ faultline serve
  $ faultline serve --store /var/lib/faultline --addr 127.0.0.1:9000
  $ faultline serve --addr 127.0.0.1:0        # any free port; the address is printed`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			return serve(c.Context(), c, storeDir, addr)
		},
	}
	c.Flags().StringVar(&storeDir, "store", "store", "directory that keeps runs")
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (host:port)")
	return c
}

func serve(ctx context.Context, c *cobra.Command, storeDir, addr string) error {
	if st, err := os.Stat(storeDir); err != nil || !st.IsDir() {
		return usageErrorf("--store %s: not a directory (run something first, or name the store)", storeDir)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("--addr %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(c.ErrOrStderr(), "warning: --addr %s is not a loopback address: anyone who can reach it can read every run\n", addr)
	}
	srv, err := reports.NewServer(storeDir)
	if err != nil {
		return usageErrorf("--store %s: %v", storeDir, err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(c.OutOrStdout(), "serving %s read-only at http://%s/ (Ctrl-C to stop)\n", storeDir, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop serving: %w", err)
	}
	return nil
}
