package nodeclock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Remote is the controller's side of a cluster's clocks: it sends
// commands to the nodes' Handler and keeps a mirror Clock per node that
// receives the same commands. A node that is down or frozen when a
// command comes only changes its mirror; Reimpose gives the node the
// mirror's state when it is back (a restarted process starts at real
// time, as a restarted network namespace starts without rules). The zero
// value is ready to use; it is safe for concurrent use.
type Remote struct {
	// HTTP is the client for the nodes; nil means a client with a 2 s
	// timeout.
	HTTP *http.Client

	mu      sync.Mutex
	mirrors map[string]*Clock
	hc      *http.Client
}

func (r *Remote) client() *http.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.HTTP != nil {
		return r.HTTP
	}
	if r.hc == nil {
		r.hc = &http.Client{Timeout: 2 * time.Second}
	}
	return r.hc
}

// Mirror returns node's mirror clock, creating it at real time.
func (r *Remote) Mirror(node string) *Clock {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mirrors == nil {
		r.mirrors = map[string]*Clock{}
	}
	m, ok := r.mirrors[node]
	if !ok {
		m = New()
		r.mirrors[node] = m
	}
	return m
}

// Apply applies cmd to node's mirror and, when live (the node runs and is
// not frozen), to the node at base ("http://host:port"). It returns the
// node's state, or the mirror's when the node is not live.
func (r *Remote) Apply(ctx context.Context, node, base string, live bool, cmd Command) (State, error) {
	mst, err := r.Mirror(node).Apply(cmd)
	if err != nil {
		return State{}, fmt.Errorf("node %s: %w", node, err)
	}
	if !live {
		return mst, nil
	}
	return Post(ctx, r.client(), base, cmd)
}

// State reads node's clock at base when live, else its mirror.
func (r *Remote) State(ctx context.Context, node, base string, live bool) (State, error) {
	if !live {
		return r.Mirror(node).State(), nil
	}
	return Get(ctx, r.client(), base)
}

// Reimpose gives the node at base its mirror's state (offset, rate and
// what is left of a strobe), retrying for up to 15 s while a restarted
// process starts listening. After a restart a mirror at real time needs
// nothing; a resumed node is always told, since it may have missed a
// reset while frozen. A node that was never skewed needs nothing.
func (r *Remote) Reimpose(ctx context.Context, node, base string, restarted bool) error {
	r.mu.Lock()
	m := r.mirrors[node]
	r.mu.Unlock()
	if m == nil {
		return nil
	}
	st := m.State()
	if restarted && st.Base == 0 && st.Rate == 1 && st.Strobe == nil {
		return nil
	}
	cmd := Command{Op: OpSet, Offset: st.Base, Rate: st.Rate}
	if st.Strobe != nil {
		cmd.Delta, cmd.Period, cmd.Duration = st.Strobe.Delta, st.Strobe.Period, st.Strobe.Remaining
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for {
		_, err := Post(ctx, r.client(), base, cmd)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s: re-impose its clock: %w", node, errors.Join(err, ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}
