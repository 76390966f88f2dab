package linearizable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/harness/history"
)

// maxMalformed bounds how many uninterpretable ops are described.
const maxMalformed = 10

// keyOps is the porcupine history of one key.
type keyOps struct {
	key       string
	ops       []porcupine.Operation
	malformed int   // ops of this key that could not be interpreted
	start     int64 // earliest invocation
	end       int64 // latest invocation or completion (open ends excluded)
}

// prepared is a history turned into per-key porcupine histories.
type prepared struct {
	keys          []*keyOps // in order of first appearance
	ops           int       // porcupine operations
	indeterminate int       // writes and cas kept open-ended
	droppedFail   int       // fail completions
	droppedReads  int       // indeterminate reads
	ignored       int       // client ops of another f, completions with no invocation
	malformed     []string  // the first maxMalformed uninterpretable ops
	nMalformed    int
}

// rec holds what a porcupine operation points to; they are allocated in
// chunks to keep the allocation count low.
type rec struct {
	in  input
	out output
	m   meta
}

type recAlloc struct{ chunk []rec }

func (a *recAlloc) next() *rec {
	if len(a.chunk) == 0 {
		a.chunk = make([]rec, 1024)
	}
	r := &a.chunk[0]
	a.chunk = a.chunk[1:]
	return r
}

// prepare pairs invocations with completions and builds one porcupine
// history per key. See the package documentation for the semantics.
func prepare(ops []history.Op) *prepared {
	p := &prepared{}
	byKey := map[string]*keyOps{}
	open := map[history.Process]int{} // client process -> index in ops of its invocation in flight
	var alloc recAlloc
	emit := func(inv, comp *history.Op) {
		var k kind
		switch inv.F {
		case "read":
			k = kRead
		case "write":
			k = kWrite
		case "cas":
			k = kCas
		default:
			p.ignored++
			return
		}
		typ := history.Invoke // never completed
		if comp != nil {
			typ = comp.Type
		}
		if typ == history.Fail {
			p.droppedFail++
			return
		}
		indet := typ != history.OK
		if indet && k == kRead {
			p.droppedReads++
			return
		}
		ko := byKey[inv.Key]
		if ko == nil {
			ko = &keyOps{key: inv.Key, start: inv.Time, end: inv.Time}
			byKey[inv.Key] = ko
			p.keys = append(p.keys, ko)
		}
		r := alloc.next()
		r.in = input{kind: k, key: inv.Key}
		r.m = meta{invoke: inv.Index, complete: -1, process: inv.Process, typ: typ, node: inv.Node}
		if comp != nil {
			r.m.complete = comp.Index
			r.m.err = comp.Error
			if comp.Node != "" {
				r.m.node = comp.Node
			}
		}
		var bad string
		switch k {
		case kWrite:
			v, ok := inv.IntValue()
			if !ok {
				bad = fmt.Sprintf("write value %s is not an integer", orNull(inv.Value))
			}
			r.in.v = v
		case kCas:
			from, to, ok := casArgs(inv.Value)
			if !ok {
				bad = fmt.Sprintf("cas value %s is not [from, to] integers", orNull(inv.Value))
			}
			r.in.from, r.in.to = from, to
		case kRead:
			if len(comp.Value) > 0 && string(comp.Value) != "null" {
				v, ok := comp.IntValue()
				if !ok {
					bad = fmt.Sprintf("read result %s is neither an integer nor null", comp.Value)
				}
				r.out = output{found: true, v: v}
			}
		}
		if bad != "" {
			ko.malformed++
			p.nMalformed++
			if len(p.malformed) < maxMalformed {
				p.malformed = append(p.malformed, fmt.Sprintf("op %d (process %s, key %q): %s", inv.Index, inv.Process, inv.Key, bad))
			}
			return
		}
		ret := int64(math.MaxInt64)
		if indet {
			r.out.unknown = true
			p.indeterminate++
		} else {
			ret = max(comp.Time, inv.Time)
			ko.end = max(ko.end, ret)
		}
		ko.start = min(ko.start, inv.Time)
		ko.end = max(ko.end, inv.Time)
		ko.ops = append(ko.ops, porcupine.Operation{
			Input:    &r.in,
			Call:     inv.Time,
			Output:   &r.out,
			Return:   ret,
			Metadata: &r.m,
		})
		p.ops++
	}
	for i := range ops {
		op := &ops[i]
		if !op.IsClient() {
			continue
		}
		if op.Type == history.Invoke {
			if j, ok := open[op.Process]; ok { // the previous invocation never completed
				emit(&ops[j], nil)
			}
			open[op.Process] = i
			continue
		}
		j, ok := open[op.Process]
		if !ok {
			p.ignored++
			continue
		}
		delete(open, op.Process)
		emit(&ops[j], op)
	}
	rest := make([]int, 0, len(open))
	for _, j := range open {
		rest = append(rest, j)
	}
	slices.Sort(rest)
	for _, j := range rest {
		emit(&ops[j], nil)
	}
	for _, ko := range p.keys {
		assignClients(ko.ops)
	}
	return p
}

// assignClients numbers the processes of one key densely from 0, in
// process order: porcupine draws one row per client id.
func assignClients(ops []porcupine.Operation) {
	procs := make([]history.Process, 0, 16)
	for i := range ops {
		procs = append(procs, ops[i].Metadata.(*meta).process)
	}
	slices.Sort(procs)
	procs = slices.Compact(procs)
	for i := range ops {
		id, _ := slices.BinarySearch(procs, ops[i].Metadata.(*meta).process)
		ops[i].ClientId = id
	}
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
