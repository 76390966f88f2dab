package elle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/internal/hist"
	"github.com/faultline-io/faultline/harness/history"
)

// Options tune the list-append checker.
type Options struct {
	// Model is the consistency model the history must satisfy; anomalies
	// it does not forbid are reported but do not make the history
	// invalid. Default strict-serializable.
	Model string
	// SearchBudget bounds the edge visits of the cycle search (default
	// DefaultSearchBudget); a search cut short makes an otherwise clean
	// verdict unknown.
	SearchBudget int
}

// DefaultSearchBudget is ample for clean histories (their graphs have no
// cycles, so nothing is searched) and bounds the work on pathological ones.
const DefaultSearchBudget = 20_000_000

// maxPerType bounds the examples kept per anomaly type.
const maxPerType = 8

// New returns the list-append checker, named "list-append"; it rejects an
// unknown model.
func New(o Options) (checker.Checker, error) {
	if o.Model == "" {
		o.Model = "strict-serializable"
	}
	if _, err := lookupModel(o.Model); err != nil {
		return nil, err
	}
	if o.SearchBudget <= 0 {
		o.SearchBudget = DefaultSearchBudget
	}
	return appendChecker{o}, nil
}

type appendChecker struct{ o Options }

func (appendChecker) Name() string { return "list-append" }

// Details is the checker's report, after Elle's.
type Details struct {
	Model        string               `json:"consistency-model"`
	AnomalyTypes []string             `json:"anomaly-types"`
	Counts       map[string]int       `json:"anomaly-counts,omitempty"`
	Anomalies    map[string][]Anomaly `json:"anomalies,omitempty"` // the first few of each type
	Boundary
	Txns      TxnCounts       `json:"txns"`
	Graph     GraphSize       `json:"graph"`
	Malformed *hist.Malformed `json:"malformed,omitempty"`
	// Incomplete says why the analysis could not be finished, if so.
	Incomplete string `json:"incomplete,omitempty"`
}

// TxnCounts are the transactions by outcome.
type TxnCounts struct {
	OK   int `json:"ok"`
	Info int `json:"info"` // including never completed
	Fail int `json:"fail"`
	Keys int `json:"keys"`
}

// GraphSize describes the dependency graph.
type GraphSize struct {
	Nodes int `json:"nodes"`
	Edges int `json:"edges"`
	SCCs  int `json:"sccs"` // components with a cycle
}

// Anomaly is one anomaly with the transactions that form it.
type Anomaly struct {
	Type        string     `json:"type"`
	Explanation string     `json:"explanation"`
	Key         string     `json:"key,omitempty"`
	Ops         []hist.Ref `json:"ops,omitempty"`   // for anomalies that are not cycles
	Cycle       []Step     `json:"cycle,omitempty"` // for cycles
}

// Step is one edge of a cycle: from Op, along Rel, to the next step's op.
type Step struct {
	Op  hist.Ref `json:"op"`
	Rel string   `json:"rel"`
	Key string   `json:"key,omitempty"`
	Why string   `json:"why"`
}

// mop is a micro-op: an append of Val to Key, or a read of Key.
type mop struct {
	append bool
	key    string
	val    int64
	read   []int64 // what a read saw (ok transactions only)
	seen   bool    // the read's value is known
}

type txn struct {
	p       *hist.Pair
	typ     history.Type // OK, Fail, or Info (never completed counts as Info)
	mops    []mop
	node    int              // graph node, -1 when not in the graph
	last    map[string]int64 // key -> last value this txn appended to it
	visible bool             // an append of it was read (info transactions join the graph then)
	name    string           // T<n> within an explanation
}

func (t *txn) ref() hist.Ref {
	if t.p.Comp != nil {
		return hist.RefOf(t.p.Comp)
	}
	return hist.RefOf(t.p.Inv)
}

// parseTxn decodes [[f, k, v], …] with f "append" or "r".
func parseTxn(v json.RawMessage, withReads bool) ([]mop, error) {
	var raw [][]json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return nil, errors.New(`want [["append", key, n] or ["r", key, list], …]`)
	}
	out := make([]mop, 0, len(raw))
	for i, m := range raw {
		if len(m) != 3 {
			return nil, fmt.Errorf("micro-op %d: want [f, key, value]", i)
		}
		var f string
		if err := json.Unmarshal(m[0], &f); err != nil {
			return nil, fmt.Errorf("micro-op %d: f must be a string", i)
		}
		var kb bytes.Buffer
		if err := json.Compact(&kb, m[1]); err != nil || kb.Len() == 0 || kb.Bytes()[0] == '[' || kb.Bytes()[0] == '{' {
			return nil, fmt.Errorf("micro-op %d: key must be a number or a string", i)
		}
		o := mop{key: kb.String()}
		switch f {
		case "append":
			if err := json.Unmarshal(m[2], &o.val); err != nil {
				return nil, fmt.Errorf("micro-op %d: append takes an integer", i)
			}
			o.append = true
		case "r":
			if withReads {
				if err := json.Unmarshal(m[2], &o.read); err != nil {
					return nil, fmt.Errorf("micro-op %d: a read returns null or a list of integers", i)
				}
				o.seen = true
			}
		default:
			return nil, fmt.Errorf("micro-op %d: unknown f %q (want append or r)", i, f)
		}
		out = append(out, o)
	}
	return out, nil
}

// analysis is the state of one check.
type analysis struct {
	d       Details
	txns    []*txn
	writer  map[string]map[int64]*txn // key -> value -> the ok/info txn that appended it
	failed  map[string]map[int64]*txn // key -> value -> the failed txn that appended it
	reads   map[string][]readOf       // key -> every read of it by an ok txn
	ext     map[*txn]map[string][]int64
	bad     hist.Malformed
	dupApp  []string
	badKeys map[string]bool   // keys whose order cannot be trusted
	keys    map[string]string // interned keys
	scratch map[int64]bool    // reused by elementChecks
}

type readOf struct {
	t    *txn
	list []int64
}

func (a *analysis) anomaly(x Anomaly) {
	if a.d.Counts == nil {
		a.d.Counts, a.d.Anomalies = map[string]int{}, map[string][]Anomaly{}
	}
	a.d.Counts[x.Type]++
	if len(a.d.Anomalies[x.Type]) < maxPerType {
		a.d.Anomalies[x.Type] = append(a.d.Anomalies[x.Type], x)
	}
}

func (c appendChecker) Check(ctx context.Context, ops []history.Op) checker.Result {
	a := &analysis{
		d:      Details{Model: c.o.Model},
		writer: map[string]map[int64]*txn{}, failed: map[string]map[int64]*txn{},
		reads: map[string][]readOf{}, ext: map[*txn]map[string][]int64{}, badKeys: map[string]bool{},
		keys: map[string]string{}, scratch: map[int64]bool{},
	}
	a.collect(hist.Pairs(ops))
	if len(a.dupApp) > 0 {
		// Which transaction wrote a version is ambiguous: every inference
		// below would rest on a guess.
		return checker.Result{Verdict: checker.Unknown, Details: a.d, Message: fmt.Sprintf(
			"appends are not unique, so versions cannot be told apart: %d repeats (first: %s)", len(a.dupApp), a.dupApp[0])}
	}
	a.readChecks()
	g, nodes := a.buildGraph()
	a.d.Graph = GraphSize{Nodes: len(nodes), Edges: g.edges()}
	a.cycles(ctx, g, nodes, c.o.SearchBudget)
	return c.verdict(ctx, a)
}

// collect parses every transaction and indexes who appended what.
func (a *analysis) collect(pairs []hist.Pair) {
	keys := map[string]bool{}
	for i := range pairs {
		p := &pairs[i]
		if p.Inv.F != "txn" {
			continue
		}
		t := &txn{p: p, typ: p.Type(), node: -1, last: map[string]int64{}}
		v := p.Inv.Value
		if t.typ == history.OK {
			v = p.Comp.Value
		}
		mops, ok := fastParse(v, t.typ == history.OK, a.keys)
		var err error
		if !ok {
			mops, err = parseTxn(v, t.typ == history.OK)
		}
		if err != nil {
			op := p.Inv
			if t.typ == history.OK {
				op = p.Comp
			}
			a.bad.Add(op, err.Error())
			continue
		}
		t.mops = mops
		switch t.typ {
		case history.OK:
			a.d.Txns.OK++
		case history.Fail:
			a.d.Txns.Fail++
		default:
			a.d.Txns.Info++
		}
		a.txns = append(a.txns, t)
		for _, m := range mops {
			keys[m.key] = true
			if !m.append {
				continue
			}
			t.last[m.key] = m.val
			idx := a.writer
			if t.typ == history.Fail {
				idx = a.failed
			}
			if idx[m.key] == nil {
				idx[m.key] = map[int64]*txn{}
			}
			if prev := a.writer[m.key][m.val]; prev != nil || a.failed[m.key][m.val] != nil {
				a.dupApp = append(a.dupApp, fmt.Sprintf("%d appended to key %s twice (%s)", m.val, m.key, t.ref()))
				continue
			}
			idx[m.key][m.val] = t
		}
	}
	a.d.Txns.Keys = len(keys)
}

// readChecks walks every read of every ok transaction: internal
// consistency, duplicates, garbage, aborted and intermediate reads; it
// records each txn's external read per key and every read per key.
func (a *analysis) readChecks() {
	type keyState struct {
		known    bool
		list     []int64
		appended []int64
	}
	for _, t := range a.txns {
		if t.typ != history.OK {
			continue
		}
		st := map[string]*keyState{}
		for _, m := range t.mops {
			s := st[m.key]
			if s == nil {
				s = &keyState{}
				st[m.key] = s
			}
			if m.append {
				s.appended = append(s.appended, m.val)
				continue
			}
			r := m.read
			consistent := true
			switch {
			case s.known:
				if want := slices.Concat(s.list, s.appended); !slices.Equal(r, want) {
					consistent = false
					a.anomaly(Anomaly{Type: Internal, Key: m.key, Ops: []hist.Ref{t.ref()},
						Explanation: fmt.Sprintf("%s read key %s as %s, but its own earlier read and appends make it %s", t.ref(), m.key, list(r), list(want))})
				}
			case len(s.appended) > 0:
				if len(r) < len(s.appended) || !slices.Equal(r[len(r)-len(s.appended):], s.appended) {
					consistent = false
					a.anomaly(Anomaly{Type: Internal, Key: m.key, Ops: []hist.Ref{t.ref()},
						Explanation: fmt.Sprintf("%s read key %s as %s, which does not end with its own appends %s", t.ref(), m.key, list(r), list(s.appended))})
				}
			}
			if !s.known && consistent {
				// The first read of a key is the transaction's view of what
				// others wrote: strip its own appends before it.
				if a.ext[t] == nil {
					a.ext[t] = map[string][]int64{}
				}
				a.ext[t][m.key] = r[:len(r)-len(s.appended)]
			}
			s.known, s.list, s.appended = true, r, nil
			a.reads[m.key] = append(a.reads[m.key], readOf{t: t, list: r})
			a.elementChecks(t, m.key, r)
		}
	}
}

func (a *analysis) elementChecks(t *txn, key string, r []int64) {
	seen := a.scratch
	clear(seen)
	for _, e := range r {
		if seen[e] {
			a.badKeys[key] = true
			a.anomaly(Anomaly{Type: DuplicateElems, Key: key, Ops: []hist.Ref{t.ref()},
				Explanation: fmt.Sprintf("%s read key %s as %s, with %d more than once", t.ref(), key, list(r), e)})
			break
		}
		seen[e] = true
	}
	for _, e := range r {
		if w := a.writer[key][e]; w != nil {
			w.visible = true
			continue
		}
		if f := a.failed[key][e]; f != nil {
			a.anomaly(Anomaly{Type: G1a, Key: key, Ops: []hist.Ref{t.ref(), f.ref()},
				Explanation: fmt.Sprintf("%s read key %s as %s, including %d, which %s appended and which failed (an aborted read)", t.ref(), key, list(r), e, f.ref())})
			continue
		}
		a.anomaly(Anomaly{Type: GarbageRead, Key: key, Ops: []hist.Ref{t.ref()},
			Explanation: fmt.Sprintf("%s read key %s as %s, including %d, which no transaction appended", t.ref(), key, list(r), e)})
	}
	if len(r) == 0 {
		return
	}
	last := r[len(r)-1]
	if w := a.writer[key][last]; w != nil && w != t && w.last[key] != last {
		a.anomaly(Anomaly{Type: G1b, Key: key, Ops: []hist.Ref{t.ref(), w.ref()},
			Explanation: fmt.Sprintf("%s read key %s as %s, ending in %d, but %s appended %d to it after %d (an intermediate read)", t.ref(), key, list(r), last, w.ref(), w.last[key], last)})
	}
}

// versionOrders infers, per key, the order of its elements from the
// longest read; every read must be a prefix of it.
func (a *analysis) versionOrders() map[string][]int64 {
	orders := map[string][]int64{}
	keys := make([]string, 0, len(a.reads))
	for k := range a.reads {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rs := a.reads[k]
		longest := rs[0]
		for _, r := range rs[1:] {
			if len(r.list) > len(longest.list) {
				longest = r
			}
		}
		for _, r := range rs {
			if len(r.list) <= len(longest.list) && slices.Equal(r.list, longest.list[:len(r.list)]) {
				continue
			}
			a.badKeys[k] = true
			a.anomaly(Anomaly{Type: IncompatibleOrd, Key: k, Ops: []hist.Ref{r.t.ref(), longest.t.ref()},
				Explanation: fmt.Sprintf("key %s read as %s by %s and as %s by %s: neither is a prefix of the other", k, list(r.list), r.t.ref(), list(longest.list), longest.t.ref())})
			break
		}
		if !a.badKeys[k] {
			orders[k] = longest.list
		}
	}
	return orders
}

// buildGraph makes the nodes (ok transactions, and info ones whose appends
// were read) and the ww, wr, rw, process and realtime edges.
func (a *analysis) buildGraph() (*graph, []*txn) {
	var nodes []*txn
	for _, t := range a.txns {
		if t.typ == history.OK || (t.typ == history.Info && t.visible) {
			t.node = len(nodes)
			nodes = append(nodes, t)
		}
	}
	g := newGraph(len(nodes))
	orders := a.versionOrders()
	okKeys := make([]string, 0, len(orders))
	for k := range orders {
		okKeys = append(okKeys, k)
	}
	sort.Strings(okKeys)
	for _, k := range okKeys {
		o := orders[k]
		for i := 0; i+1 < len(o); i++ {
			w1, w2 := a.writer[k][o[i]], a.writer[k][o[i+1]]
			if w1 != nil && w2 != nil && w1.node >= 0 && w2.node >= 0 {
				g.link(w1.node, w2.node, ww, reason{key: k, prev: o[i], next: o[i+1], hasPrev: true})
			}
		}
	}
	for _, t := range nodes {
		ext := a.ext[t]
		keys := make([]string, 0, len(ext))
		for k := range ext {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			r := ext[k]
			if len(r) > 0 {
				if w := a.writer[k][r[len(r)-1]]; w != nil && w.node >= 0 {
					g.link(w.node, t.node, wr, reason{key: k, next: r[len(r)-1]})
				}
			}
			o, ok := orders[k]
			if !ok || len(o) <= len(r) {
				continue
			}
			if w := a.writer[k][o[len(r)]]; w != nil && w.node >= 0 {
				why := reason{key: k, next: o[len(r)]}
				if len(r) > 0 {
					why.prev, why.hasPrev = r[len(r)-1], true
				}
				g.link(t.node, w.node, rw, why)
			}
		}
	}
	a.orderEdges(g, nodes)
	return g, nodes
}

// orderEdges adds process edges (each transaction to the next of its
// process) and realtime edges (from every transaction that completed to
// every one invoked later), the latter transitively reduced: a
// transaction's completion retires the predecessors it already follows.
func (a *analysis) orderEdges(g *graph, nodes []*txn) {
	lastOf := map[history.Process]*txn{}
	type event struct {
		pos    int
		t      *txn
		invoke bool
	}
	var evs []event
	for _, t := range nodes {
		if prev := lastOf[t.p.Inv.Process]; prev != nil && prev.typ == history.OK {
			g.link(prev.node, t.node, process, reason{})
		}
		lastOf[t.p.Inv.Process] = t
		evs = append(evs, event{pos: t.p.InvPos, t: t, invoke: true})
		if t.typ == history.OK {
			evs = append(evs, event{pos: t.p.CompPos, t: t})
		}
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].pos < evs[j].pos })
	frontier := map[int]bool{} // nodes completed and not yet followed by a later completion
	preds := map[int][]int{}
	for _, e := range evs {
		n := e.t.node
		if e.invoke {
			// Sorted, so edges (and the cycles found) do not depend on map order.
			for _, f := range slices.Sorted(maps.Keys(frontier)) {
				g.link(f, n, realtime, reason{})
				preds[n] = append(preds[n], f)
			}
			continue
		}
		for _, f := range preds[n] {
			delete(frontier, f)
		}
		delete(preds, n)
		frontier[n] = true
	}
}

// specs are the cycle searches, in order: pure data cycles, then those
// that need process order, then those that need realtime order.
var specs = []spec{
	{first: relSet(ww), rest: relSet(ww), need: noRW},
	{first: relSet(wr), rest: relSet(ww, wr), need: noRW},
	{first: relSet(rw), rest: relSet(ww, wr), need: oneRW},
	{first: relSet(rw), rest: relSet(ww, wr, rw), need: twoPlusRW},
	{first: relSet(process), rest: relSet(ww, wr, process), need: noRW},
	{first: relSet(process), rest: relSet(ww, wr, rw, process), need: oneRW},
	{first: relSet(process), rest: relSet(ww, wr, rw, process), need: twoPlusRW},
	{first: relSet(realtime), rest: relSet(ww, wr, process, realtime), need: noRW},
	{first: relSet(realtime), rest: relSet(ww, wr, rw, process, realtime), need: oneRW},
	{first: relSet(realtime), rest: relSet(ww, wr, rw, process, realtime), need: twoPlusRW},
}

// cycles finds the strongly connected components, then in each the
// shortest cycle of each kind, and names them.
func (a *analysis) cycles(ctx context.Context, g *graph, nodes []*txn, budget int) {
	comps := g.sccs()
	a.d.Graph.SCCs = len(comps)
	s := newSearcher(g, budget)
	for ci, comp := range comps {
		slices.Sort(comp)
		for _, n := range comp {
			s.comp[n] = ci
		}
		named := map[string]bool{}
		for _, sp := range specs {
			cyc, err := s.find(ctx, ci, comp, sp)
			if cyc != nil {
				if name := classify(cyc); !named[name] {
					named[name] = true
					a.anomaly(explainCycle(name, cyc, nodes))
				}
			}
			if err != nil {
				a.d.Incomplete = "cycle search stopped early: edge-visit budget exhausted"
				if err.cancelled != nil {
					a.d.Incomplete = "cycle search cancelled: " + err.cancelled.Error()
				}
				return
			}
		}
	}
}

// classify names a cycle as Elle does: by its rw edges (none: G0 or G1c,
// one: G-single, more: G2), suffixed -realtime or -process when it needs
// those orders.
func classify(cyc []step) string {
	var n [nRels]int
	for _, s := range cyc {
		n[s.rel]++
	}
	name := G2
	switch {
	case n[rw] == 0 && n[wr] == 0:
		name = G0
	case n[rw] == 0:
		name = G1c
	case n[rw] == 1:
		name = GSingle
	}
	switch {
	case n[realtime] > 0:
		name += "-realtime"
	case n[process] > 0:
		name += "-process"
	}
	return name
}

func (c appendChecker) verdict(ctx context.Context, a *analysis) checker.Result {
	found := map[string]bool{}
	for t := range a.d.Counts {
		found[t] = true
		a.d.AnomalyTypes = append(a.d.AnomalyTypes, t)
	}
	sort.Strings(a.d.AnomalyTypes)
	if a.d.AnomalyTypes == nil {
		a.d.AnomalyTypes = []string{}
	}
	a.d.Boundary = boundary(found)
	if a.bad.Count > 0 {
		a.d.Malformed = &a.bad
	}
	m, _ := lookupModel(c.o.Model)
	forbid := forbidden(m)
	var fatal []string
	for _, t := range a.d.AnomalyTypes {
		if forbid[t] {
			fatal = append(fatal, fmt.Sprintf("%s ×%d", t, a.d.Counts[t]))
		}
	}
	r := checker.Result{Details: a.d}
	where := fmt.Sprintf("strongest model satisfied: %s", strings.Join(a.d.Strongest, ", "))
	if len(a.d.Strongest) == 0 {
		where = "no model satisfied"
	}
	switch {
	case len(fatal) > 0:
		r.Verdict = checker.Invalid
		first := a.d.Anomalies[a.d.AnomalyTypes[slices.IndexFunc(a.d.AnomalyTypes, func(t string) bool { return forbid[t] })]][0]
		r.Message = fmt.Sprintf("not %s: %s; %s; e.g. %s", c.o.Model, strings.Join(fatal, ", "), where, first.Explanation)
	case ctx.Err() != nil:
		r.Verdict, r.Message = checker.Unknown, "cancelled: "+ctx.Err().Error()
	case a.d.Incomplete != "":
		r.Verdict, r.Message = checker.Unknown, a.d.Incomplete
	case a.bad.Count > 0:
		r.Verdict, r.Message = checker.Unknown, a.bad.Summary()
	case a.d.Txns.OK == 0:
		r.Verdict, r.Message = checker.Unknown, "no transaction completed ok: nothing to check"
	default:
		r.Verdict = checker.Valid
		r.Message = fmt.Sprintf("%d ok transactions over %d keys; %s", a.d.Txns.OK, a.d.Txns.Keys, where)
		if len(a.d.AnomalyTypes) > 0 {
			r.Message += fmt.Sprintf("; anomalies %s allowed by %s", strings.Join(a.d.AnomalyTypes, ", "), c.o.Model)
		}
	}
	return r
}

func list(xs []int64) string {
	b, _ := json.Marshal(xs)
	if xs == nil {
		return "[]"
	}
	return string(b)
}
