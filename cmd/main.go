package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := NewRootCmd()
	err := root.ExecuteContext(ctx)
	return exitCode(err, root)
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
	return errors.As(err, &fe)
}
