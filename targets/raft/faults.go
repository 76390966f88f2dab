package raft

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/kvhttp"
)

// Beyond what the embedded cluster offers, the raft target can name its
// leader, for faults aimed at it.
var _ targets.LeaderFinder = (*Target)(nil)

// Leader asks every node for its status and returns the node that says
// it leads (the one with the highest term, should two say so).
func (t *Target) Leader(ctx context.Context) (string, error) {
	nodes := t.Nodes()
	if len(nodes) == 0 {
		return "", errors.New("target raft: not started")
	}
	type answer struct {
		st  kvhttp.Status
		err error
	}
	answers := make([]answer, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			c := kvhttp.NewClient(n.Addr)
			defer c.Close()
			sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			st, err := c.Status(sctx)
			answers[i] = answer{st, err}
		})
	}
	wg.Wait()
	best, term := "", uint64(0)
	for i, a := range answers {
		if a.err == nil && a.st.Leader != 0 && a.st.Leader == a.st.ID && a.st.Term >= term {
			best, term = nodes[i].Name, a.st.Term
		}
	}
	if best == "" {
		return "", fmt.Errorf("target raft: %w", targets.ErrNoLeader)
	}
	return best, nil
}
