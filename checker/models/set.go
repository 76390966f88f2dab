package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
)

// A set, as Knossos models it: add puts an element in, read returns the
// whole set (nil reads as the empty set, as Clojure's (set nil) is #{}).
// Elements are any JSON values, compared by their compact JSON text.
//
// The state is the sorted elements joined by NUL bytes (which compact JSON
// never contains), so states compare with == and hash cheaply.
func newSet(init json.RawMessage) (*linearizable.Model, error) {
	elems, err := setElems(init)
	if err != nil {
		return nil, fmt.Errorf("initial state: %w", err)
	}
	st := joinSet(elems)
	m := &linearizable.Model{Name: Set, Init: describeSet(st), Noun: "set"}
	m.NewReader = func() linearizable.Reader { return &setReader{init: st} }
	return m, nil
}

// setElems reads a JSON array (or null) as sorted, distinct elements.
func setElems(v json.RawMessage) ([]string, error) {
	if len(bytes.TrimSpace(v)) == 0 || string(bytes.TrimSpace(v)) == "null" {
		return nil, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return nil, fmt.Errorf("%s is not a vector or set of elements", v)
	}
	elems := make([]string, len(raw))
	for i, e := range raw {
		elems[i] = compact(e)
	}
	slices.Sort(elems)
	return slices.Compact(elems), nil
}

func compact(v json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return string(v)
	}
	return b.String()
}

func joinSet(elems []string) string { return strings.Join(elems, "\x00") }

func splitSet(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

func describeSet(s string) string {
	return "#{" + strings.Join(splitSet(s), " ") + "}"
}

type setOp struct {
	read    bool
	elem    string // add
	set     string // read: the set it returned, joined
	unknown bool
}

type setReader struct{ init string }

func (r *setReader) Read(inv, comp *history.Op) (any, any, error) {
	unknown := comp == nil || comp.Type != history.OK
	op := &setOp{unknown: unknown}
	switch inv.F {
	case "add":
		if len(inv.Value) == 0 {
			return nil, nil, fmt.Errorf("add has no value")
		}
		op.elem = compact(inv.Value)
	case "read":
		if unknown {
			return nil, nil, linearizable.ErrTellsNothing
		}
		elems, err := setElems(comp.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("read result: %w", err)
		}
		op.read, op.set = true, joinSet(elems)
	default:
		return nil, nil, fmt.Errorf("f %q is not an operation of the set model (add, read): %w", inv.F, linearizable.ErrNotModelOp)
	}
	return op, op, nil
}

func (r *setReader) Spec() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return r.init },
		Step: func(s, in, _ any) (bool, any) {
			st := s.(string)
			op := in.(*setOp)
			if op.read {
				return st == op.set, s
			}
			elems := splitSet(st)
			i, found := slices.BinarySearch(elems, op.elem)
			if found {
				return true, s
			}
			return true, joinSet(slices.Insert(elems, i, op.elem))
		},
		Equal: func(a, b any) bool { return a.(string) == b.(string) },
		Hash:  func(s any) uint64 { return maphash.String(seed, s.(string)) },
		DescribeOperation: func(in, _ any) string {
			op := in.(*setOp)
			if op.read {
				return "read → " + describeSet(op.set)
			}
			s := "add " + op.elem
			if op.unknown {
				s += " ?"
			}
			return s
		},
		DescribeState: func(s any) string { return describeSet(s.(string)) },
	}
}
