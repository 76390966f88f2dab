package models

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
)

// A mutex, as Knossos models it: acquire takes it when free, release frees
// it when held; who holds it is not tracked. The state is a bool (held).
func newMutex(init json.RawMessage) (*linearizable.Model, error) {
	held := false
	switch v := string(bytes.TrimSpace(init)); v {
	case "", "null", "false", `"unlocked"`:
	case "true", `"locked"`:
		held = true
	default:
		return nil, fmt.Errorf("initial state %s is not nil, false, true, :locked or :unlocked", v)
	}
	m := &linearizable.Model{Name: Mutex, Init: describeMutex(held), Noun: "mutex"}
	m.NewReader = func() linearizable.Reader { return &mutexReader{init: held} }
	return m, nil
}

type mutexOp struct {
	release bool
	unknown bool // may or may not have happened
}

// Inputs and outputs are the same four values, so no op allocates.
var mutexOps = [2][2]mutexOp{{{false, false}, {false, true}}, {{true, false}, {true, true}}}

type mutexReader struct{ init bool }

func (r *mutexReader) Read(inv, comp *history.Op) (any, any, error) {
	var release bool
	switch inv.F {
	case "acquire":
	case "release":
		release = true
	default:
		return nil, nil, fmt.Errorf("f %q is not an operation of the mutex model (acquire, release): %w", inv.F, linearizable.ErrNotModelOp)
	}
	unknown := comp == nil || comp.Type != history.OK
	op := &mutexOps[b2i(release)][b2i(unknown)]
	return op, op, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (r *mutexReader) Spec() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return r.init },
		Step: func(s, in, _ any) (bool, any) {
			held := s.(bool)
			op := in.(*mutexOp)
			if op.release == held { // acquire when free, release when held
				return true, !held
			}
			// An indeterminate op linearized where it cannot succeed is one
			// that did not take effect.
			return op.unknown, held
		},
		Equal: func(a, b any) bool { return a.(bool) == b.(bool) },
		DescribeOperation: func(in, _ any) string {
			op := in.(*mutexOp)
			s := "acquire"
			if op.release {
				s = "release"
			}
			if op.unknown {
				s += " ?"
			}
			return s
		},
		DescribeState: func(s any) string { return describeMutex(s.(bool)) },
	}
}

func describeMutex(held bool) string {
	if held {
		return "locked"
	}
	return "unlocked"
}
