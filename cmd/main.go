package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	_ "github.com/faultline-io/faultline/targets/all" // bundled targets and node programs
)

// Exit codes, as Jepsen's CLI has them.
const (
	ExitValid   = 0
	ExitInvalid = 1
	ExitUnknown = 2
	ExitUsage   = 254
	ExitFailure = 255
)

// UsageError is bad input from the user: flags, files, histories.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, a ...any) error {
	return &UsageError{fmt.Errorf(format, a...)}
}

// ExitError carries a chosen exit code with an optional message, e.g. a
// verdict of invalid (1) or unknown (2).
type ExitError struct {
	Code int
	Err  error // nil: nothing more to print
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// Main runs the command line and returns the process exit code.
func Main() int {
	ctx, stop := interruptContext(os.Stderr)
	defer stop()
	root := NewRootCmd()
	err := root.ExecuteContext(ctx)
	return exitCode(err, root)
}

// interruptContext is cancelled by the first SIGINT or SIGTERM, so a run
// stops, heals and removes its containers. A second signal is reported and
// ignored while that cleanup finishes; a third exits at once (then
// `faultline clean` removes what is left).
func interruptContext(log io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case s := <-sigs:
				n++
				switch n {
				case 1:
					fmt.Fprintf(log, "\nfaultline: %v: stopping; removing the cluster (Ctrl-C again to hurry, a third time to quit at once)\n", s)
					cancel()
				case 2:
					fmt.Fprintln(log, "faultline: still cleaning up; a third Ctrl-C exits now and leaves containers for 'faultline clean'")
				default:
					fmt.Fprintln(log, "faultline: exiting without cleanup; run 'faultline clean'")
					os.Exit(ExitFailure)
				}
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

func exitCode(err error, root *cobra.Command) int {
	if err == nil {
		return ExitValid
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(root.ErrOrStderr(), "faultline:", ee.Err)
		}
		return ee.Code
	}
	var ue *UsageError
	if errors.As(err, &ue) || isFlagError(err) {
		fmt.Fprintln(root.ErrOrStderr(), "faultline:", err)
		fmt.Fprintln(root.ErrOrStderr(), "Run 'faultline --help' for usage.")
		return ExitUsage
	}
	fmt.Fprintln(root.ErrOrStderr(), "faultline:", err)
	return ExitFailure
}

// flagErr marks errors cobra reports about flags and arguments.
type flagErr struct{ error }

func (e flagErr) Unwrap() error { return e.error }

func isFlagError(err error) bool {
	var fe flagErr
	if errors.As(err, &fe) {
		return true
	}
	// cobra reports unknown commands and stray arguments as plain errors.
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command ") || strings.HasPrefix(msg, "accepts ") ||
		strings.HasPrefix(msg, "requires at least ") || strings.HasPrefix(msg, "invalid argument ")
}
