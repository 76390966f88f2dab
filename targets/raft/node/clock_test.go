package node

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

func clockURL(c *cluster, id uint64) string { return "http://" + c.nodes[id].cfg.Listen }

// TestAdminClockChangesAtRunTime skews a running node's clock through
// its admin endpoint and reads the change back from the same endpoint.
func TestAdminClockChangesAtRunTime(t *testing.T) {
	c := newCluster(t, 1, nil)
	c.start()
	c.waitLeader(5 * time.Second)
	ctx := opCtx(t)
	hc := &http.Client{Timeout: time.Second}
	st, err := nodeclock.Get(ctx, hc, clockURL(c, 1))
	if err != nil || st.Rate != 1 || st.Offset != 0 {
		t.Fatalf("fresh node clock: %+v, %v", st, err)
	}
	if _, err := nodeclock.Post(ctx, hc, clockURL(c, 1), nodeclock.Command{Op: nodeclock.OpBump, Delta: nodeclock.Duration(-42 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := nodeclock.Post(ctx, hc, clockURL(c, 1), nodeclock.Command{Op: nodeclock.OpRate, Rate: 0.5}); err != nil {
		t.Fatal(err)
	}
	st, err = nodeclock.Get(ctx, hc, clockURL(c, 1))
	if err != nil || st.Rate != 0.5 || st.Offset > nodeclock.Duration(-42*time.Second) || st.Offset < nodeclock.Duration(-43*time.Second) {
		t.Fatalf("after bump and rate: %+v, %v", st, err)
	}
	if d := st.Now.Sub(st.Real); d != time.Duration(st.Offset) {
		t.Fatalf("now-real %v, offset %v", d, st.Offset)
	}
	if _, err := nodeclock.Post(ctx, hc, clockURL(c, 1), nodeclock.Command{Op: "warp"}); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("bad op: %v", err)
	}
	// A node still serves while its clock is skewed.
	retry(t, "write with a skewed clock", func(ctx context.Context) error { return c.client(1).Write(ctx, "k", 1) })
}

// TestLeaseReadNeedsASlowClock is the lease-read bug in miniature: the
// leader is cut off and a new leader commits a write; the old leader
// serves the stale value only when its clock runs slow or was set back.
// With true clocks its lease lapses before a new leader can exist, and
// the correct target never serves the read.
func TestLeaseReadNeedsASlowClock(t *testing.T) {
	bump := nodeclock.Command{Op: nodeclock.OpBump, Delta: nodeclock.Duration(-time.Minute)}
	for _, tc := range []struct {
		bug   string
		clock nodeclock.Command
		stale bool
	}{
		{BugLeaseRead, nodeclock.Command{Op: nodeclock.OpRate, Rate: 0.02}, true},
		{BugLeaseRead, nodeclock.Command{Op: nodeclock.OpRate, Rate: 1}, false},
		{"", bump, false},
	} {
		t.Run(fmt.Sprintf("bug=%s,clock=%s", tc.bug, tc.clock.Op), func(t *testing.T) {
			c := newCluster(t, 3, func(cfg *Config) { cfg.Bug = tc.bug })
			c.start()
			lead := c.waitLeader(5 * time.Second)
			retry(t, "write 1", func(ctx context.Context) error { return c.client(lead).Write(ctx, "x", 1) })
			retry(t, "read 1 on the leader", func(ctx context.Context) error {
				_, _, err := c.client(lead).Read(ctx, "x")
				return err
			})
			isolate(t, lead)
			// The clock changes right after the cut: the lease the leader
			// holds now stretches with the rate.
			if _, err := nodeclock.Post(opCtx(t), nil, clockURL(c, lead), tc.clock); err != nil {
				t.Fatal(err)
			}
			other := lead%3 + 1
			retry(t, "write 2 on the majority", func(ctx context.Context) error { return c.client(other).Write(ctx, "x", 2) })
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			v, _, err := c.client(lead).Read(ctx, "x")
			cancel()
			switch {
			case tc.stale && (err != nil || v != 1):
				t.Fatalf("the old leader with a slow clock should serve the stale 1: %d, %v", v, err)
			case !tc.stale && err == nil:
				t.Fatalf("the old leader served a read after a new leader committed: %d", v)
			case tc.bug != "" && !tc.stale && !targets.IsDefinite(err):
				// The lapsed lease refuses at once (the correct target
				// just waits for a quorum until the client gives up).
				t.Fatalf("refused read is not definite: %v", err)
			}
		})
	}
}
