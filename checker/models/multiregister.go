package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
)

// A multi-register, as Knossos models it: registers named by keys, and one
// operation, txn, whose value is a list of micro-ops [:read k v] and
// [:write k v] applied in order, atomically. Values are integers or nil.
//
// As with the register model, a read of nil matches a register holding
// nil, and tells nothing (matches any value) for a register whose initial
// value is not nil. The reads of a txn that did not complete ok are not
// known: they match anything, and the txn's writes may or may not have
// taken effect.
//
// The state of all registers is one string, 9 bytes per register (a
// presence byte, then the value), so states compare with == and hash
// cheaply.
func newMultiRegister(init json.RawMessage) (*linearizable.Model, error) {
	var raw map[string]json.RawMessage
	if v := bytes.TrimSpace(init); len(v) > 0 && string(v) != "null" {
		if err := json.Unmarshal(v, &raw); err != nil {
			return nil, fmt.Errorf("initial state %s is not a map of keys to integers or nil", v)
		}
	}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	slices.Sort(names)
	vals := make([]reg, len(names))
	var desc []string
	for i, k := range names {
		r, err := regValue(raw[k])
		if err != nil {
			return nil, fmt.Errorf("initial value of %s: %w", k, err)
		}
		vals[i] = r
		desc = append(desc, k+" "+r.String())
	}
	m := &linearizable.Model{Name: MultiRegister, Init: "{" + strings.Join(desc, ", ") + "}", Noun: "registers"}
	m.NewReader = func() linearizable.Reader {
		rd := &multiReader{index: map[string]int32{}}
		for i, k := range names {
			rd.intern(k)
			rd.init = append(rd.init, vals[i])
		}
		return rd
	}
	return m, nil
}

// reg is one register's value.
type reg struct {
	set bool
	v   int64
}

func (r reg) String() string {
	if !r.set {
		return "nil"
	}
	return strconv.FormatInt(r.v, 10)
}

var errNotInt = errors.New("not an integer or nil")

func regValue(v json.RawMessage) (reg, error) {
	if len(v) == 0 || string(v) == "null" {
		return reg{}, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return reg{}, fmt.Errorf("%s is %w", v, errNotInt)
	}
	return reg{true, n}, nil
}

type microOp struct {
	write    bool
	key      int32
	val      reg
	wildcard bool // a read whose value is not known
}

type txn struct {
	ops     []microOp
	unknown bool
	rd      *multiReader // for key names in descriptions
}

type multiReader struct {
	index map[string]int32
	names []string
	init  []reg // initial values of the first len(init) keys; the rest start nil
}

func (r *multiReader) intern(k string) int32 {
	if i, ok := r.index[k]; ok {
		return i
	}
	i := int32(len(r.names))
	r.index[k] = i
	r.names = append(r.names, k)
	return i
}

func (r *multiReader) initial(k int32) reg {
	if int(k) < len(r.init) {
		return r.init[k]
	}
	return reg{}
}

func (r *multiReader) Read(inv, comp *history.Op) (any, any, error) {
	if inv.F != "txn" {
		return nil, nil, fmt.Errorf("f %q is not an operation of the multi-register model (txn): %w", inv.F, linearizable.ErrNotModelOp)
	}
	unknown := comp == nil || comp.Type != history.OK
	v := inv.Value
	if !unknown && len(comp.Value) > 0 && string(comp.Value) != "null" {
		v = comp.Value // the completion knows what the reads saw
	}
	var micro [][]json.RawMessage
	if err := json.Unmarshal(v, &micro); err != nil {
		return nil, nil, fmt.Errorf("txn value %s is not a list of [f k v] micro-ops", v)
	}
	t := &txn{ops: make([]microOp, 0, len(micro)), unknown: unknown, rd: r}
	writes := false
	for _, m := range micro {
		if len(m) != 3 {
			b, _ := json.Marshal(m)
			return nil, nil, fmt.Errorf("txn micro-op %s is not [f k v]", b)
		}
		var f string
		if err := json.Unmarshal(m[0], &f); err != nil || (f != "read" && f != "write") {
			return nil, nil, fmt.Errorf("txn micro-op f %s is not :read or :write", m[0])
		}
		key, err := keyName(m[1])
		if err != nil {
			return nil, nil, err
		}
		val, err := regValue(m[2])
		if err != nil {
			return nil, nil, fmt.Errorf("txn %s of %s: value %w", f, key, err)
		}
		op := microOp{write: f == "write", key: r.intern(key), val: val}
		if !op.write && (unknown || (!val.set && r.initial(op.key).set)) {
			op.wildcard = true
		}
		writes = writes || op.write
		t.ops = append(t.ops, op)
	}
	if unknown && !writes {
		return nil, nil, linearizable.ErrTellsNothing
	}
	return t, t, nil
}

// keyName is a micro-op's key: a string or keyword's text, or a number's.
func keyName(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	if _, err := strconv.ParseFloat(string(v), 64); err == nil {
		return string(v), nil
	}
	return "", fmt.Errorf("txn key %s is not a keyword, string or number", v)
}

var seed = maphash.MakeSeed()

func (r *multiReader) Spec() porcupine.Model {
	init := make([]byte, 9*len(r.names))
	for k := range r.names {
		putReg(init, int32(k), r.initial(int32(k)))
	}
	initState := string(init)
	return porcupine.Model{
		Init:  func() any { return initState },
		Step:  stepTxn,
		Equal: func(a, b any) bool { return a.(string) == b.(string) },
		Hash:  func(s any) uint64 { return maphash.String(seed, s.(string)) },
		DescribeOperation: func(in, _ any) string {
			t := in.(*txn)
			var b strings.Builder
			b.WriteString("txn")
			for _, op := range t.ops {
				f, v := "r", op.val.String()
				if op.write {
					f = "w"
				} else if op.wildcard {
					v = "?"
				}
				fmt.Fprintf(&b, " [%s %s %s]", f, r.names[op.key], v)
			}
			if t.unknown {
				b.WriteString(" ?")
			}
			return b.String()
		},
		DescribeState: func(s any) string {
			st := s.(string)
			parts := make([]string, len(r.names))
			for k, n := range r.names {
				parts[k] = n + " " + getReg(st, int32(k)).String()
			}
			return "{" + strings.Join(parts, ", ") + "}"
		},
	}
}

func getReg(st string, k int32) reg {
	o := 9 * int(k)
	return reg{set: st[o] == 1, v: int64(binary.LittleEndian.Uint64([]byte(st[o+1 : o+9])))}
}

func putReg(b []byte, k int32, r reg) {
	o := 9 * int(k)
	b[o] = 0
	if r.set {
		b[o] = 1
	}
	binary.LittleEndian.PutUint64(b[o+1:o+9], uint64(r.v))
}

func stepTxn(s, in, _ any) (bool, any) {
	st := s.(string)
	t := in.(*txn)
	var buf []byte // copied on the first write
	for _, op := range t.ops {
		if op.write {
			if buf == nil {
				buf = []byte(st)
			}
			putReg(buf, op.key, op.val)
			continue
		}
		if op.wildcard {
			continue
		}
		var cur reg
		if buf != nil {
			cur = getReg(string(buf), op.key)
		} else {
			cur = getReg(st, op.key)
		}
		if cur != op.val {
			return false, nil
		}
	}
	if buf == nil {
		return true, s
	}
	return true, string(buf)
}
