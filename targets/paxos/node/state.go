package node

import (
	"cmp"
	"fmt"
)

// Ballot orders proposals. Round is a counter the proposer increases (and
// persists) across restarts; Node, the proposer's id, makes ballots of
// different proposers distinct. The zero Ballot is below every ballot a
// proposer uses.
type Ballot struct {
	Round uint64 `json:"r"`
	Node  uint64 `json:"n"`
}

// Compare orders ballots by round, then node.
func (b Ballot) Compare(o Ballot) int {
	if c := cmp.Compare(b.Round, o.Round); c != 0 {
		return c
	}
	return cmp.Compare(b.Node, o.Node)
}

// Less reports b < o.
func (b Ballot) Less(o Ballot) bool { return b.Compare(o) < 0 }

// IsZero reports whether b is the zero ballot (nothing promised or
// accepted).
func (b Ballot) IsZero() bool { return b == Ballot{} }

func (b Ballot) String() string { return fmt.Sprintf("%d.%d", b.Round, b.Node) }

// OpID names one client operation uniquely across the cluster and across
// restarts: the node that runs it, a random number drawn at the node's
// start, a counter.
type OpID struct {
	Node uint64 `json:"n"`
	Boot uint64 `json:"b"`
	Seq  uint64 `json:"s"`
}

// Applied records one change of a register: which operation made it, the
// version it produced, and a compare-and-set's answer.
type Applied struct {
	ID      OpID   `json:"id"`
	Ver     uint64 `json:"ver"`
	Swapped bool   `json:"sw,omitempty"`
}

// RecentWindow is how many of its latest changes a register remembers, so
// a proposer whose accept round was cut short can tell whether its change
// took effect (see server.propose).
const RecentWindow = 32

// Value is a register's contents: an integer or nothing yet, a version
// that counts changes, and the latest changes (oldest first).
type Value struct {
	V      int64     `json:"v"`
	Found  bool      `json:"f"`
	Ver    uint64    `json:"ver,omitempty"`
	Recent []Applied `json:"recent,omitempty"`
}

func (v Value) String() string {
	if !v.Found {
		return "nil"
	}
	return fmt.Sprint(v.V)
}

// find returns the change op made, if the window still holds it.
func (v Value) find(op OpID) (Applied, bool) {
	for _, a := range v.Recent {
		if a.ID == op {
			return a, true
		}
	}
	return Applied{}, false
}

// covers reports whether the window holds every change after version
// base (it holds versions Ver-len+1 … Ver, and every change since the
// register began while fewer than RecentWindow were made), so that an op
// absent from it made no change after base.
func (v Value) covers(base uint64) bool {
	return v.Ver <= base+uint64(len(v.Recent))
}

// then is the register after op changed it to (x, found), recorded with
// the compare-and-set answer swapped.
func (v Value) then(op OpID, x int64, swapped bool) Value {
	n := Value{V: x, Found: true, Ver: v.Ver + 1}
	keep := v.Recent
	if len(keep) >= RecentWindow {
		keep = keep[len(keep)-RecentWindow+1:]
	}
	n.Recent = append(append(make([]Applied, 0, len(keep)+1), keep...), Applied{ID: op, Ver: n.Ver, Swapped: swapped})
	return n
}

// same reports whether two values hold the same register contents.
func (v Value) same(o Value) bool { return v.Found == o.Found && (!v.Found || v.V == o.V) }

// slot is one key's acceptor state. Invariant: Accepted <= Promised.
type slot struct {
	Promised Ballot
	Accepted Ballot
	Val      Value // the value accepted with Accepted
}
