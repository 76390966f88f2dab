package linearizable

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/harness/history"
)

// kind is what a register op does.
type kind uint8

const (
	kRead kind = iota
	kWrite
	kCas
)

// input is what a client asked of the register (porcupine Operation.Input,
// always a *input).
type input struct {
	kind     kind
	key      string
	v        int64 // write
	from, to int64 // cas
}

// output is what it answered (porcupine Operation.Output, always an
// *output).
type output struct {
	unknown bool  // write or cas that may or may not have taken effect
	found   bool  // read: the register had a value
	v       int64 // read: that value
}

// state is the register: absent, or an integer.
type state struct {
	set bool
	v   int64
}

func (s state) String() string {
	if !s.set {
		return "nil"
	}
	return strconv.FormatInt(s.v, 10)
}

// meta ties a porcupine operation back to the history (Operation.Metadata,
// always a *meta).
type meta struct {
	invoke   int64 // history index of the invocation
	complete int64 // history index of the completion; -1 when none
	process  history.Process
	typ      history.Type // type of the completion; Invoke when it never completed
	node     string
	err      string
}

// boxed holds the states of small values already in interfaces, so steps
// to them do not allocate.
var boxed = func() (b [1024]any) {
	for i := range b {
		b[i] = state{set: true, v: int64(i)}
	}
	return b
}()

func box(v int64) any {
	if v >= 0 && v < int64(len(boxed)) {
		return boxed[v]
	}
	return state{set: true, v: v}
}

func step(s, in, out any) (bool, any) {
	st := s.(state)
	i := in.(*input)
	o := out.(*output)
	switch i.kind {
	case kRead:
		if o.found == st.set && (!o.found || o.v == st.v) {
			return true, s
		}
		return false, nil
	case kWrite:
		return true, box(i.v)
	case kCas:
		if st.set && st.v == i.from {
			return true, box(i.to)
		}
		// An indeterminate cas linearized where the register does not hold
		// "from" is a cas that did not swap: still a legal step.
		return o.unknown, s
	}
	return false, nil
}

func hashState(s any) uint64 {
	st := s.(state)
	if !st.set {
		return 0x5bd1e9955bd1e995
	}
	// splitmix64 finalizer
	z := uint64(st.v) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func describeOp(in, out any) string {
	i, _ := in.(*input)
	o, _ := out.(*output)
	if i == nil || o == nil {
		return fmt.Sprintf("%v -> %v", in, out)
	}
	var b strings.Builder
	switch i.kind {
	case kRead:
		b.WriteString("read ")
		b.WriteString(i.key)
		b.WriteString(" → ")
		b.WriteString(state{set: o.found, v: o.v}.String())
		return b.String()
	case kWrite:
		fmt.Fprintf(&b, "write %s %d", i.key, i.v)
	case kCas:
		fmt.Fprintf(&b, "cas %s %d→%d", i.key, i.from, i.to)
		if !o.unknown {
			b.WriteString(" ok")
		}
	}
	if o.unknown {
		b.WriteString(" ?")
	}
	return b.String()
}

func describeState(s any) string {
	if st, ok := s.(state); ok {
		return st.String()
	}
	return fmt.Sprint(s)
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

// Model returns the per-key CAS register model the checker uses: its state
// is one register (no value, or an integer). Its Step is pure, so it can be
// given to porcupine.Visualize with the linearization info in Details.
func Model() porcupine.Model {
	return porcupine.Model{
		Init:                      func() any { return state{} },
		Step:                      step,
		Equal:                     func(a, b any) bool { return a.(state) == b.(state) },
		Hash:                      hashState,
		DescribeOperation:         describeOp,
		DescribeState:             describeState,
		DescribeOperationMetadata: describeMeta,
	}
}
