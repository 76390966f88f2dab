package node

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/faultline-io/faultline/targets"
)

// reqID names one proposal uniquely across the cluster and across restarts
// of a node: the node, a random number drawn at each start, a counter.
type reqID struct {
	Node uint64 `json:"n"`
	Boot uint64 `json:"b"`
	Seq  uint64 `json:"s"`
}

// Operations a command carries.
const (
	opWrite = "write"
	opCAS   = "cas"
)

// command is the payload of a normal raft entry.
type command struct {
	ID    reqID  `json:"id"`
	Op    string `json:"op"`
	Key   string `json:"k"`
	Value int64  `json:"v,omitempty"` // write
	From  int64  `json:"f,omitempty"` // cas
	To    int64  `json:"t,omitempty"` // cas

	Txn []targets.TxnOp `json:"x,omitempty"` // txn: its micro-ops (txn.go)
}

func encodeCommand(c command) []byte {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // plain struct: cannot fail
	}
	return b
}

func decodeCommand(b []byte) (command, error) {
	var c command
	err := json.Unmarshal(b, &c)
	return c, err
}

// result is what applying a command produced, handed to the proposer.
type result struct {
	Swapped bool // cas

	Reads []targets.TxnValue // txn: what each micro-op read
	Abort string             // txn: why it was refused as a whole
}

// kvState is the replicated state machine: a map from key to integer, and
// the index of the last entry applied to it. Everything is guarded by mu;
// the raft loop is the only writer.
type kvState struct {
	mu      sync.Mutex
	data    map[string]int64
	lists   map[string][]int64 // list values (txn appends); a key is in data or lists, not both
	applied uint64
	// advanced is closed (and replaced) whenever applied moves, to wake
	// reads waiting for an index.
	advanced chan struct{}
}

func newKVState() *kvState {
	return &kvState{data: map[string]int64{}, lists: map[string][]int64{}, advanced: make(chan struct{})}
}

// apply runs c at index. The caller is the raft loop.
func (s *kvState) apply(index uint64, c command) (result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res result
	switch c.Op {
	case opWrite:
		s.data[c.Key] = c.Value
		delete(s.lists, c.Key) // a plain write replaces a list too
	case opCAS:
		if v, ok := s.data[c.Key]; ok && v == c.From {
			s.data[c.Key] = c.To
			res.Swapped = true
		}
	case opTxn:
		res.Reads, res.Abort = s.applyTxnLocked(c.Txn)
	default:
		s.setAppliedLocked(index)
		return res, fmt.Errorf("unknown operation %q", c.Op)
	}
	s.setAppliedLocked(index)
	return res, nil
}

// setApplied records that every entry up to index has been applied.
func (s *kvState) setApplied(index uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setAppliedLocked(index)
}

func (s *kvState) setAppliedLocked(index uint64) {
	if index <= s.applied {
		return
	}
	s.applied = index
	close(s.advanced)
	s.advanced = make(chan struct{})
}

// get reads key as of now, and the applied index it reflects.
func (s *kvState) get(key string) (v int64, found bool, applied uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, found = s.data[key]
	return v, found, s.applied
}

// getAt reads key once applied >= index; otherwise it returns the channel
// that is closed when applied next moves.
func (s *kvState) getAt(index uint64, key string) (v int64, found, ok bool, wait <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied < index {
		return 0, false, false, s.advanced
	}
	v, found = s.data[key]
	return v, found, true, nil
}

func (s *kvState) appliedIndex() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

// snapshotData is the state machine as stored in a raft snapshot.
type snapshotData struct {
	Data  map[string]int64   `json:"data"`
	Lists map[string][]int64 `json:"lists,omitempty"` // absent in snapshots from before transactions
}

// marshal encodes the state as of its applied index.
func (s *kvState) marshal() ([]byte, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(snapshotData{Data: s.data, Lists: s.lists})
	return b, s.applied, err
}

// restore replaces the state with a snapshot's, taken at index.
func (s *kvState) restore(index uint64, b []byte) error {
	var d snapshotData
	if len(b) > 0 {
		if err := json.Unmarshal(b, &d); err != nil {
			return fmt.Errorf("decoding snapshot: %w", err)
		}
	}
	if d.Data == nil {
		d.Data = map[string]int64{}
	}
	if d.Lists == nil {
		d.Lists = map[string][]int64{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = d.Data
	s.lists = d.Lists
	s.applied = index
	close(s.advanced)
	s.advanced = make(chan struct{})
	return nil
}
