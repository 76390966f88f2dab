package node

import (
	"sort"
	"sync"
)

// Peer messages. Every reply carries the acceptor's promise for the key, so
// a proposer that lost learns the ballot it has to beat.
type prepareReq struct {
	Key    string `json:"key"`
	Ballot Ballot `json:"ballot"`
}

type prepareResp struct {
	OK       bool   `json:"ok"`
	Promised Ballot `json:"promised"`
	Accepted Ballot `json:"accepted"`
	Value    Value  `json:"value"`
}

type acceptReq struct {
	Key    string `json:"key"`
	Ballot Ballot `json:"ballot"`
	Value  Value  `json:"value"`
}

type acceptResp struct {
	OK       bool   `json:"ok"`
	Promised Ballot `json:"promised"`
}

// acceptor holds every key's promise and accepted value. Each decision and
// its journal record are made under mu, so the journal's order is the
// order of the decisions; the caller waits for the record to be durable
// before replying (see journal).
type acceptor struct {
	bug     string
	j       *journal // nil: state in memory only (the amnesia bug)
	mu      sync.Mutex
	slots   map[string]slot
	ceiling uint64 // the proposer's persisted ballot ceiling
}

func newAcceptor(bug string, j *journal) *acceptor {
	return &acceptor{bug: bug, j: j, slots: map[string]slot{}}
}

// restore loads the journal's records: the last record of a key wins.
func (a *acceptor) restore(recs []record) {
	for _, r := range recs {
		switch r.kind {
		case recSlot:
			a.slots[r.key] = r.slot
		case recCeiling:
			a.ceiling = max(a.ceiling, r.ceiling)
		}
	}
}

// persist queues an encoded record; nil when there is no journal.
func (a *acceptor) persist(buf []byte) <-chan error {
	if a.j == nil {
		return nil
	}
	return a.j.append(buf)
}

// prepare promises b for the key when b is above every ballot promised
// for it, and answers with what was accepted. Refusals change nothing and
// need no persistence. The reply may be sent once wait (if not nil) yields
// nil.
func (a *acceptor) prepare(req prepareReq) (resp prepareResp, wait <-chan error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.slots[req.Key]
	if !s.Promised.Less(req.Ballot) {
		return prepareResp{Promised: s.Promised}, nil
	}
	s.Promised = req.Ballot
	a.slots[req.Key] = s
	return prepareResp{OK: true, Promised: s.Promised, Accepted: s.Accepted, Value: s.Val},
		a.persist(encodeSlot(nil, req.Key, s))
}

// accept takes the value unless the acceptor has promised a higher ballot.
func (a *acceptor) accept(req acceptReq) (resp acceptResp, wait <-chan error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.slots[req.Key]
	// SEEDED BUG accept-lower-ballot: the promise is not consulted.
	if req.Ballot.Less(s.Promised) && a.bug != BugAcceptLowerBallot {
		return acceptResp{Promised: s.Promised}, nil
	}
	if s.Promised.Less(req.Ballot) {
		s.Promised = req.Ballot
	}
	s.Accepted = req.Ballot
	s.Val = req.Value
	a.slots[req.Key] = s
	return acceptResp{OK: true, Promised: s.Promised}, a.persist(encodeSlot(nil, req.Key, s))
}

// local is the key's accepted value here (for the local-read bug and
// tests).
func (a *acceptor) local(key string) slot {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.slots[key]
}

// raiseCeiling records that the proposer may use rounds below c.
func (a *acceptor) raiseCeiling(c uint64) <-chan error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ceiling = max(a.ceiling, c)
	return a.persist(encodeCeiling(nil, a.ceiling))
}

// persistedCeiling is the ceiling recovered from the journal.
func (a *acceptor) persistedCeiling() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ceiling
}

// snapshot encodes the whole state as journal records, keys sorted; the
// journal calls it to compact.
func (a *acceptor) snapshot() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	keys := make([]string, 0, len(a.slots))
	for k := range a.slots {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	buf := encodeCeiling(nil, a.ceiling)
	for _, k := range keys {
		buf = encodeSlot(buf, k, a.slots[k])
	}
	return buf
}

// keys is how many keys have state here.
func (a *acceptor) keys() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.slots)
}
