package node

import (
	"net/http"

	"go.etcd.io/raft/v3"

	"github.com/faultline-io/faultline/targets/nodeclock"
)

// The node's protocol time comes from a nodeclock.Clock (s.clk) that the
// harness can skew at run time:
//
//   - the raft tick loop ticks on s.clk.NewTicker(Tick), so election
//     timeouts, heartbeats and CheckQuorum follow the clock's rate (a node
//     whose clock runs at 0.25 ticks four times less often);
//   - the lease of the lease-read bug is timed with s.clk.Now (a wall
//     clock: bumps, strobes and drift all move it);
//   - GET /admin/clock reads the clock (offset, rate, strobe, skewed and
//     real now) and POST /admin/clock changes it (nodeclock.Command).
//
// HTTP deadlines, the read-index retry and log timestamps stay on the
// real clock: they are not part of the protocol's notion of time, and
// skewing them would test Go's runtime rather than Raft.

// mountAdmin adds the node's admin endpoints to mux.
func (s *server) mountAdmin(mux *http.ServeMux) {
	mux.Handle(nodeclock.Path, s.clk.Handler())
}

// readOnlyOption is how raft serves read indexes: safely through a quorum
// round, or, with the lease-read bug, from the leader's lease.
func readOnlyOption(bug string) raft.ReadOnlyOption {
	if bug == BugLeaseRead {
		return raft.ReadOnlyLeaseBased
	}
	return raft.ReadOnlySafe
}
