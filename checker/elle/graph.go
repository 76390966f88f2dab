package elle

import "context"

// rel is a kind of dependency between two transactions.
type rel uint8

const (
	ww       rel = iota // write-write: T2 appended right after T1 on a key
	wr                  // write-read: T2 read a version T1 wrote
	rw                  // read-write (anti-dependency): T1 read a version T2 overwrote
	process             // T2 is the next transaction of T1's process
	realtime            // T1 completed before T2 began
	nRels
)

var relNames = [nRels]string{"ww", "wr", "rw", "process", "realtime"}

func (r rel) String() string { return relNames[r] }

// rels is a set of rel.
type rels uint8

func relSet(rs ...rel) rels {
	var m rels
	for _, r := range rs {
		m |= 1 << r
	}
	return m
}

func (m rels) has(r rel) bool { return m&(1<<r) != 0 }

// reason is why a data edge exists: the key, and the elements involved
// (see explain.go for what they mean for each rel).
type reason struct {
	key        string
	prev, next int64
	hasPrev    bool
}

// edge is one dependency; a pair of transactions may have several edges,
// one per rel, which the searches treat alike.
type edge struct {
	to  int32
	rel rel
}

// graph is the dependency graph over transactions. Data edges keep their
// reason; order edges (the many realtime ones) carry nothing but their rel.
type graph struct {
	out  [][]edge
	seen map[[2]int32]rels // data edges already linked, per pair
	why  map[[3]int32]reason
}

func newGraph(n int) *graph {
	return &graph{out: make([][]edge, n), seen: map[[2]int32]rels{}, why: map[[3]int32]reason{}}
}

// link adds r from -> to. A data rel is linked once per pair, with the
// first reason given; order rels are linked as given (the callers never
// repeat one).
func (g *graph) link(from, to int, r rel, why reason) {
	if from == to {
		return
	}
	if r < process {
		k := [2]int32{int32(from), int32(to)}
		if g.seen[k]&(1<<r) != 0 {
			return
		}
		g.seen[k] |= 1 << r
		g.why[[3]int32{int32(from), int32(to), int32(r)}] = why
	}
	g.out[from] = append(g.out[from], edge{to: int32(to), rel: r})
}

func (g *graph) edges() int {
	n := 0
	for _, es := range g.out {
		n += len(es)
	}
	return n
}

// sccs returns the strongly connected components with more than one node
// (the graph has no self-loops), by Tarjan's algorithm, iteratively so a
// long chain cannot exhaust the stack.
func (g *graph) sccs() [][]int {
	n := len(g.out)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	type frame struct{ v, next int }
	var call []frame
	var out [][]int
	next := 0
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		call = append(call[:0], frame{v: root})
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.next < len(g.out[v]) {
				w := int(g.out[v][f.next].to)
				f.next++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				if len(comp) > 1 {
					out = append(out, comp)
				}
			}
		}
	}
	return out
}

// rwNeed is how many rw edges a cycle must have.
type rwNeed uint8

const (
	noRW      rwNeed = iota // none
	oneRW                   // exactly one
	twoPlusRW               // at least two
)

// spec describes the cycles one search looks for: a first edge of a rel
// in first, then edges of rels in rest, with the rw count need says.
type spec struct {
	first, rest rels
	need        rwNeed
}

// step is one edge of a cycle: from node, along rel, to the next step's
// node (the last step leads back to the first).
type step struct {
	node int
	rel  rel
	why  reason
}

// searcher finds shortest constrained cycles inside one component at a
// time, within a budget of edge visits shared by the whole check.
type searcher struct {
	g      *graph
	comp   []int // node -> component id, -1 outside any searched component
	budget int   // edge visits left
	// Scratch, reused across searches: BFS state = node*3 + rw count.
	seen   []uint32
	gen    uint32
	parent []int32
	via    []rel
	queue  []int32
}

func newSearcher(g *graph, budget int) *searcher {
	n := len(g.out)
	s := &searcher{g: g, comp: make([]int, n), budget: budget,
		seen: make([]uint32, 3*n), parent: make([]int32, 3*n), via: make([]rel, 3*n)}
	for i := range s.comp {
		s.comp[i] = -1
	}
	return s
}

// errBudget says the search ran out of its budget or was cancelled: what
// it did not find may still exist.
type errBudget struct{ cancelled error }

// find returns the shortest cycle matching sp among nodes (one
// component, id c), or nil. It tries every candidate first edge until it
// finds a cycle of two edges, the shortest possible.
func (s *searcher) find(ctx context.Context, c int, nodes []int, sp spec) ([]step, *errBudget) {
	var best []step
	for _, u := range nodes {
		for _, e := range s.g.out[u] {
			if s.comp[e.to] != c || !sp.first.has(e.rel) {
				continue
			}
			cyc, err := s.bfs(ctx, c, u, e, sp)
			if err != nil {
				return best, err
			}
			if cyc != nil && (best == nil || len(cyc) < len(best)) {
				best = cyc
				if len(best) == 2 {
					return best, nil
				}
			}
		}
	}
	return best, nil
}

func (s *searcher) bfs(ctx context.Context, c, u int, first edge, sp spec) ([]step, *errBudget) {
	s.gen++
	start := 0
	if first.rel == rw {
		start = 1
	}
	state := func(v, n int) int32 { return int32(3*v + n) }
	head := int(first.to)
	s.queue = append(s.queue[:0], state(head, start))
	s.seen[state(head, start)] = s.gen
	s.parent[state(head, start)] = -1
	goal := -1
	for qi := 0; qi < len(s.queue) && goal < 0; qi++ {
		cur := s.queue[qi]
		v, n := int(cur)/3, int(cur)%3
		for _, e := range s.g.out[v] {
			if s.comp[e.to] != c || !sp.rest.has(e.rel) {
				continue
			}
			s.budget--
			if s.budget&0xfff == 0 && ctx.Err() != nil {
				return nil, &errBudget{cancelled: ctx.Err()}
			}
			if s.budget <= 0 {
				return nil, &errBudget{}
			}
			m := n
			if e.rel == rw {
				m = min(n+1, 2)
			}
			if (sp.need == noRW && m > 0) || (sp.need == oneRW && m > 1) {
				continue
			}
			to := int(e.to)
			st := state(to, m)
			if s.seen[st] == s.gen {
				continue
			}
			s.seen[st], s.parent[st], s.via[st] = s.gen, cur, e.rel
			if to == u {
				if (sp.need != oneRW || m == 1) && (sp.need != twoPlusRW || m == 2) {
					goal = int(st)
					break
				}
				continue
			}
			s.queue = append(s.queue, st)
		}
	}
	if goal < 0 {
		return nil, nil
	}
	// Walk back from the goal (u) to the first edge's head.
	var rev []step
	for st := int32(goal); s.parent[st] >= 0; st = s.parent[st] {
		from := int(s.parent[st]) / 3
		rev = append(rev, step{node: from, rel: s.via[st], why: s.g.reasonOf(from, int(st)/3, s.via[st])})
	}
	cyc := []step{{node: u, rel: first.rel, why: s.g.reasonOf(u, head, first.rel)}}
	for i := len(rev) - 1; i >= 0; i-- {
		cyc = append(cyc, rev[i])
	}
	return cyc, nil
}

func (g *graph) reasonOf(from, to int, r rel) reason {
	return g.why[[3]int32{int32(from), int32(to), int32(r)}]
}
