package node

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// The lease-read seeded bug (BugLeaseRead).
//
// Raft runs with ReadOnlyLeaseBased: a leader answers a read index at once
// with its commit index, without a quorum round, trusting that no other
// leader can exist while its lease holds. The lease here is the one a
// careful implementation would keep: the leader serves lease reads only
// while a quorum (itself included) answered it, in its current term,
// within an election timeout less two ticks, timed with its own wall
// clock (the node clock's Now, as leases are commonly timed). An answer
// counts from the moment the heartbeat it answers was sent (the leader
// stamps its heartbeats, followers echo the stamp), not from its arrival:
// answers that queued while the leader was frozen (a pause) do not renew
// the lease. Followers
// refuse to vote for anyone else for a whole election timeout after they
// last heard from the leader (CheckQuorum + PreVote), so with clocks that
// run at the same rate no other leader can be elected while the lease
// holds, and the reads are linearizable.
//
// The bug is the trust in the wall clock: a leader whose clock is set
// back (a bump of -d stretches the lease by d), strobes, or runs slow (at
// rate 0.2 the 400 ms lease lasts 2 s) measures its lease too long. Cut off from the
// majority, it keeps answering reads from its stale state after the
// majority has elected a new leader and committed new writes. Only a clock
// fault exposes it; partitions, pauses and kills alone do not.

// errLeaseExpired refuses a lease read on a leader whose lease lapsed.
var errLeaseExpired = errors.New("leader lease expired: no quorum heard from recently")

// leaseState is the loop's record of when each peer last answered the
// leader, by the node's wall clock. Touched only by the raft loop.
type leaseState struct {
	heard map[uint64]heardAt
}

type heardAt struct {
	term uint64
	at   time.Time // s.clk.Now()
}

// leaseDuration is an election timeout less two ticks, on the node's own
// clock. A follower grants a vote only after at least ElectionTicks-1
// whole ticks without hearing from the leader (its first tick may come
// right after the reset), so at equal clock rates the lease ends a tick
// before any other leader can exist: the margin covers the time an
// answer takes to reach the leader.
func (s *server) leaseDuration() time.Duration {
	return time.Duration(max(1, s.cfg.ElectionTicks-2)) * s.cfg.Tick
}

// stampPrefix marks the send time the leader puts in its heartbeats'
// context (unused by raft in ReadOnlyLeaseBased mode; followers echo it).
var stampPrefix = []byte("faultline-lease:")

// stampHeartbeat puts the send time into an outgoing heartbeat, with the
// lease-read bug only.
func (s *server) stampHeartbeat(m *pb.Message) {
	if s.cfg.Bug != BugLeaseRead || m.GetType() != pb.MsgHeartbeat || len(m.GetContext()) > 0 {
		return
	}
	m.Context = binary.BigEndian.AppendUint64(append([]byte(nil), stampPrefix...), uint64(s.clk.Now().UnixNano()))
}

// step hands a peer's message to raft. With the lease-read bug it first
// notes answers to the leader's stamped heartbeats, and drops read-index
// requests forwarded by followers while the lease has lapsed (the
// follower asks again later).
func (s *server) step(m *pb.Message) {
	if s.cfg.Bug == BugLeaseRead {
		switch m.GetType() {
		case pb.MsgHeartbeatResp:
			ctx := m.GetContext()
			if !bytes.HasPrefix(ctx, stampPrefix) || len(ctx) != len(stampPrefix)+8 {
				break
			}
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(ctx[len(stampPrefix):])))
			if s.lease.heard == nil {
				s.lease.heard = map[uint64]heardAt{}
			}
			if h := s.lease.heard[m.GetFrom()]; h.term != m.GetTerm() || sent.After(h.at) {
				s.lease.heard[m.GetFrom()] = heardAt{term: m.GetTerm(), at: sent}
			}
		case pb.MsgReadIndex:
			if s.leaseCheck() != nil {
				return
			}
		}
	}
	_ = s.rn.Step(m)
}

// leaseCheck says whether a lease read may be served now: always on a
// node that does not lead (raft forwards its read index to the leader,
// which checks), and on the leader only while its lease holds.
func (s *server) leaseCheck() error {
	if s.cfg.Bug != BugLeaseRead {
		return nil
	}
	st := s.rn.BasicStatus()
	if st.RaftState != raft.StateLeader {
		return nil
	}
	now := s.clk.Now()
	fresh := 1 // the leader itself
	for id, h := range s.lease.heard {
		// A clock set back makes this negative: the lease only grows.
		if id != s.cfg.ID && h.term == st.GetTerm() && now.Sub(h.at) < s.leaseDuration() {
			fresh++
		}
	}
	if fresh < len(s.cfg.Peers)/2+1 {
		return errLeaseExpired
	}
	return nil
}
