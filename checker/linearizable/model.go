package linearizable

import (
	"errors"
	"fmt"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/harness/history"
)

// A Model is a data type the checker can check histories of: how client
// ops of the history become Porcupine operations, and Porcupine's
// sequential specification of one key.
type Model struct {
	Name string // e.g. "cas-register"
	Init string // the initial state of every key, for messages ("nil", "0", "{x 0, y 0}")
	Noun string // what one key's state is, for explanations ("register", "mutex")
	// NewReader returns a Reader for one check.
	NewReader func() Reader
}

// A Reader interprets the client operations of one history for a Model.
// The checker pairs each invocation with its completion, drops operations
// that failed, and calls Read once per remaining operation from a single
// goroutine; then it calls Spec once.
type Reader interface {
	// Read returns the Porcupine input and output of one operation. comp is
	// its completion: ok, info, or nil when it never completed; an
	// operation that is not ok is indeterminate, may take effect at any
	// time after its invocation or never, and is given an open end, so its
	// output must be one the model accepts whether or not it took effect.
	// A read's value comes from its completion. Errors wrapping
	// ErrNotModelOp or ErrTellsNothing drop the operation; any other error
	// marks it (and its key) uninterpretable.
	Read(inv, comp *history.Op) (in, out any, err error)
	// Spec is the Porcupine model of one key. Step must be pure.
	// DescribeOperation and DescribeState are used in explanations and
	// visualizations; DescribeOperationMetadata is set by the checker.
	Spec() porcupine.Model
}

var (
	// ErrNotModelOp says an op's f is not one the model knows. Unless
	// Options.Strict is set the op is ignored (counted in Details.Ignored).
	ErrNotModelOp = errors.New("not an operation of the model")
	// ErrTellsNothing says an op constrains nothing, e.g. a read that never
	// returned; it is dropped (counted in Details.DroppedReads).
	ErrTellsNothing = errors.New("tells nothing")
)

// meta ties a porcupine operation back to the history (Operation.Metadata,
// always a *meta).
type meta struct {
	invoke     int64 // history index of the invocation
	complete   int64 // history index of the completion; -1 when none
	process    history.Process
	ipos, cpos int32        // positions in the checked slice of the invocation and completion (-1)
	typ        history.Type // type of the completion; Invoke when it never completed
	f          string
	node       string
	err        string
}

// metaAlloc hands out metas from chunks, to keep the allocation count low.
type metaAlloc struct{ chunk []meta }

func (a *metaAlloc) next() *meta {
	if len(a.chunk) == 0 {
		a.chunk = make([]meta, 1024)
	}
	m := &a.chunk[0]
	a.chunk = a.chunk[1:]
	return m
}

func describeMeta(m any) string {
	md, ok := m.(*meta)
	if !ok || md == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "history #%d", md.invoke)
	if md.complete >= 0 {
		fmt.Fprintf(&b, "→#%d", md.complete)
	}
	fmt.Fprintf(&b, ", process %s, %s", md.process, outcome(md.typ))
	if md.node != "" {
		fmt.Fprintf(&b, ", node %s", md.node)
	}
	if md.err != "" {
		fmt.Fprintf(&b, ", error: %s", md.err)
	}
	return b.String()
}

// outcome names a completion type, with Invoke meaning "never completed".
func outcome(t history.Type) string {
	if t == history.Invoke {
		return "pending"
	}
	return t.String()
}

// spec is r.Spec() with the checker's metadata description and defaults
// for what a model left out.
func spec(r Reader) porcupine.Model {
	m := r.Spec()
	m.DescribeOperationMetadata = describeMeta
	if m.DescribeState == nil {
		m.DescribeState = func(s any) string { return fmt.Sprint(s) }
	}
	if m.DescribeOperation == nil {
		m.DescribeOperation = func(in, out any) string { return fmt.Sprintf("%v → %v", in, out) }
	}
	return m
}
