package linearizable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/harness/history"
)

// Register model names.
const (
	CASRegisterModel = "cas-register"
	RegisterModel    = "register"
)

// defaultModel is what New checks with unless told otherwise: CAS
// registers that start with no value, as the register workload's keys do.
var defaultModel = func() *Model {
	m, err := NewRegister(true, nil)
	if err != nil {
		panic(err)
	}
	return m
}()

// NewRegister returns the model of a register of integers, one per key:
// reads and writes, and compare-and-set ([from, to]) when cas is true.
// init is every register's initial value as JSON: an integer, or null or
// empty for "no value".
//
// A read of nil (null, or no value) matches a register that holds no
// value. When the initial value is not nil a register can never hold nil,
// so a nil read is taken as Knossos takes it: a read whose value is not
// known, which matches any state. A write of nil empties the register.
func NewRegister(cas bool, init json.RawMessage) (*Model, error) {
	name, noun := RegisterModel, "register"
	if cas {
		name = CASRegisterModel
	}
	var st state
	if v := bytes.TrimSpace(init); len(v) > 0 && string(v) != "null" {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: initial value %s is not an integer or nil", name, v)
		}
		st = state{set: true, v: n}
	}
	m := &Model{Name: name, Init: st.String(), Noun: noun}
	m.NewReader = func() Reader { return &registerReader{model: m, cas: cas, init: st} }
	return m, nil
}

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
	nilWrite bool  // write of nil
	from, to int64 // cas
}

// output is what it answered (porcupine Operation.Output, always an
// *output).
type output struct {
	unknown  bool  // write or cas that may or may not have taken effect
	found    bool  // read: the register had a value
	anyValue bool  // read of nil where nil tells nothing (Knossos): matches any state
	v        int64 // read: that value
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

// rec holds what a porcupine operation points to; they are allocated in
// chunks to keep the allocation count low.
type rec struct {
	in  input
	out output
}

type registerReader struct {
	model *Model
	cas   bool
	init  state
	chunk []rec
}

func (r *registerReader) next() *rec {
	if len(r.chunk) == 0 {
		r.chunk = make([]rec, 1024)
	}
	x := &r.chunk[0]
	r.chunk = r.chunk[1:]
	return x
}

func (r *registerReader) Read(inv, comp *history.Op) (any, any, error) {
	var k kind
	switch inv.F {
	case "read":
		k = kRead
	case "write":
		k = kWrite
	case "cas":
		if !r.cas {
			return nil, nil, fmt.Errorf("f %q is not an operation of the %s model (read, write): %w", inv.F, r.model.Name, ErrNotModelOp)
		}
		k = kCas
	default:
		ops := "read, write"
		if r.cas {
			ops += ", cas"
		}
		return nil, nil, fmt.Errorf("f %q is not an operation of the %s model (%s): %w", inv.F, r.model.Name, ops, ErrNotModelOp)
	}
	indet := comp == nil || comp.Type != history.OK
	if indet && k == kRead {
		return nil, nil, ErrTellsNothing
	}
	x := r.next()
	x.in = input{kind: k, key: inv.Key}
	x.out.unknown = indet
	switch k {
	case kWrite:
		if isNull(inv.Value) {
			x.in.nilWrite = true
			break
		}
		v, ok := inv.IntValue()
		if !ok {
			return nil, nil, fmt.Errorf("write value %s is not an integer", orNull(inv.Value))
		}
		x.in.v = v
	case kCas:
		from, to, ok := casArgs(inv.Value)
		if !ok {
			return nil, nil, fmt.Errorf("cas value %s is not [from, to] integers", orNull(inv.Value))
		}
		x.in.from, x.in.to = from, to
	case kRead:
		if isNull(comp.Value) {
			x.out.anyValue = r.init.set
			break
		}
		v, ok := comp.IntValue()
		if !ok {
			return nil, nil, fmt.Errorf("read result %s is neither an integer nor null", comp.Value)
		}
		x.out.found, x.out.v = true, v
	}
	return &x.in, &x.out, nil
}

func (r *registerReader) Spec() porcupine.Model {
	init := any(r.init)
	if r.init.set {
		init = box(r.init.v)
	}
	return porcupine.Model{
		Init:              func() any { return init },
		Step:              step,
		Equal:             func(a, b any) bool { return a.(state) == b.(state) },
		Hash:              hashState,
		DescribeOperation: describeOp,
		DescribeState:     func(s any) string { return s.(state).String() },
	}
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }

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
		if o.anyValue || (o.found == st.set && (!o.found || o.v == st.v)) {
			return true, s
		}
		return false, nil
	case kWrite:
		if i.nilWrite {
			return true, state{}
		}
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
	return mix64(uint64(st.v))
}

// mix64 is the splitmix64 finalizer.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
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
	key := ""
	if i.key != "" {
		key = " " + i.key
	}
	switch i.kind {
	case kRead:
		got := state{set: o.found, v: o.v}.String()
		if o.anyValue {
			got = "? (nil: value unknown)"
		}
		return "read" + key + " → " + got
	case kWrite:
		if i.nilWrite {
			fmt.Fprintf(&b, "write%s nil", key)
		} else {
			fmt.Fprintf(&b, "write%s %d", key, i.v)
		}
	case kCas:
		fmt.Fprintf(&b, "cas%s %d→%d", key, i.from, i.to)
		if !o.unknown {
			b.WriteString(" ok")
		}
	}
	if o.unknown {
		b.WriteString(" ?")
	}
	return b.String()
}

// casArgs reads [from, to]: two integers.
func casArgs(v json.RawMessage) (from, to int64, ok bool) {
	b := bytes.TrimSpace(v)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return 0, 0, false
	}
	a, c, found := bytes.Cut(b[1:len(b)-1], []byte{','})
	if !found {
		return 0, 0, false
	}
	from, err1 := strconv.ParseInt(string(bytes.TrimSpace(a)), 10, 64)
	to, err2 := strconv.ParseInt(string(bytes.TrimSpace(c)), 10, 64)
	return from, to, err1 == nil && err2 == nil
}

func orNull(v json.RawMessage) string {
	if len(v) == 0 {
		return "null"
	}
	return string(v)
}
