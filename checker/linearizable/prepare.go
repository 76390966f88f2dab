package linearizable

import (
	"errors"
	"fmt"
	"math"
	"slices"

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
	spec          porcupine.Model
	ops           int      // porcupine operations
	indeterminate int      // ops kept open-ended
	droppedFail   int      // fail completions
	droppedReads  int      // ops that tell nothing (indeterminate reads)
	ignored       int      // client ops of another f, completions with no invocation
	malformed     []string // the first maxMalformed uninterpretable ops
	nMalformed    int
	hasTime       bool // some op has a non-zero time
}

// coordinates returns the time axis the check uses: the history's order is
// its real-time order (Jepsen's convention; a Jepsen history's :time
// values need not agree with it, and Knossos histories often have none),
// so op i gets max(Time, previous + 1): strictly increasing, and equal to
// the op's time whenever times increase. Times so large they could reach
// the open end (math.MaxInt64) are replaced by positions.
func coordinates(ops []history.Op) (func(i int) int64, bool) {
	const limit = math.MaxInt64 / 4
	hasTime, sane := false, true
	for i := range ops {
		t := ops[i].Time
		hasTime = hasTime || t != 0
		sane = sane && t < limit && t > -limit
	}
	if !sane {
		return func(i int) int64 { return int64(i) }, hasTime
	}
	last := int64(math.MinInt64)
	return func(i int) int64 { // called once per op, in order
		last = max(ops[i].Time, last+1)
		return last
	}, hasTime
}

// prepare pairs invocations with completions and builds one porcupine
// history per key. See the package documentation for the semantics.
func prepare(ops []history.Op, m *Model, strict bool) *prepared {
	p := &prepared{}
	rd := m.NewReader()
	byKey := map[string]*keyOps{}
	type inflight struct {
		pos   int
		coord int64
	}
	open := map[history.Process]inflight{} // client process -> its invocation in flight
	var metas metaAlloc
	coord, hasTime := coordinates(ops)
	p.hasTime = hasTime
	emit := func(inv inflight, cpos int, ccoord int64) {
		invOp := &ops[inv.pos]
		var comp *history.Op
		typ := history.Invoke // never completed
		if cpos >= 0 {
			comp = &ops[cpos]
			typ = comp.Type
		}
		if typ == history.Fail {
			p.droppedFail++
			return
		}
		in, out, err := rd.Read(invOp, comp)
		switch {
		case err == nil:
		case errors.Is(err, ErrTellsNothing):
			p.droppedReads++
			return
		case errors.Is(err, ErrNotModelOp) && !strict:
			p.ignored++
			return
		}
		ko := byKey[invOp.Key]
		if ko == nil {
			ko = &keyOps{key: invOp.Key, start: inv.coord, end: inv.coord}
			byKey[invOp.Key] = ko
			p.keys = append(p.keys, ko)
		}
		if err != nil {
			ko.malformed++
			p.nMalformed++
			if len(p.malformed) < maxMalformed {
				p.malformed = append(p.malformed, fmt.Sprintf("op %d (process %s, key %q): %v", invOp.Index, invOp.Process, invOp.Key, err))
			}
			return
		}
		md := metas.next()
		*md = meta{invoke: invOp.Index, complete: -1, process: invOp.Process, ipos: int32(inv.pos), cpos: -1,
			typ: typ, f: invOp.F, node: invOp.Node}
		ret := int64(math.MaxInt64)
		if comp != nil {
			md.complete, md.cpos, md.err = comp.Index, int32(cpos), comp.Error
			if comp.Node != "" {
				md.node = comp.Node
			}
		}
		if typ != history.OK {
			p.indeterminate++
		} else {
			ret = ccoord
			ko.end = max(ko.end, ret)
		}
		ko.start = min(ko.start, inv.coord)
		ko.end = max(ko.end, inv.coord)
		ko.ops = append(ko.ops, porcupine.Operation{Input: in, Call: inv.coord, Output: out, Return: ret, Metadata: md})
		p.ops++
	}
	for i := range ops {
		op := &ops[i]
		c := coord(i)
		if !op.IsClient() {
			continue
		}
		if op.Type == history.Invoke {
			if prev, ok := open[op.Process]; ok { // the previous invocation never completed
				emit(prev, -1, 0)
			}
			open[op.Process] = inflight{i, c}
			continue
		}
		inv, ok := open[op.Process]
		if !ok {
			p.ignored++
			continue
		}
		delete(open, op.Process)
		emit(inv, i, c)
	}
	rest := make([]inflight, 0, len(open))
	for _, inv := range open {
		rest = append(rest, inv)
	}
	slices.SortFunc(rest, func(a, b inflight) int { return a.pos - b.pos })
	for _, inv := range rest {
		emit(inv, -1, 0)
	}
	for _, ko := range p.keys {
		assignClients(ko.ops)
	}
	p.spec = spec(rd)
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
