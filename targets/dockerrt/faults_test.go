package dockerrt_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-io/faultline/nemesis"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/dockerrt"
	"github.com/faultline-io/faultline/targets/dockerrt/netcheck"
)

// matrix probes, from every node at once, every other node over TCP and
// returns what got through: reach[src][dst].
func matrix(t *testing.T, c *dockerrt.Cluster) map[string]map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nodes := c.Nodes()
	reach := map[string]map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, src := range nodes {
		var tos []string
		for _, dst := range nodes {
			if dst != src {
				tos = append(tos, fmt.Sprintf("%s:%d", c.IP(dst), port))
			}
		}
		wg.Go(func() {
			out, errOut, code, err := c.Exec(ctx, src, []string{"/faultline", "node", "probe", "--json", "--timeout", "300ms", "--to", strings.Join(tos, ",")})
			var res map[string]string
			if err == nil && code == 0 {
				err = json.Unmarshal([]byte(out), &res)
			}
			if err != nil || code != 0 {
				t.Errorf("probe from %s: exit %d, %v: %s", src, code, err, errOut)
				return
			}
			row := map[string]bool{}
			for _, dst := range nodes {
				row[dst] = dst == src || res[fmt.Sprintf("%s:%d", c.IP(dst), port)] == "ok"
			}
			mu.Lock()
			reach[src] = row
			mu.Unlock()
		})
	}
	wg.Wait()
	return reach
}

// checkMatrix compares probed reachability with what the grudge implies.
func checkMatrix(t *testing.T, c *dockerrt.Cluster, what string, g targets.Grudge, oneWay bool) {
	t.Helper()
	reach := matrix(t, c)
	var bad []string
	for _, src := range c.Nodes() {
		for _, dst := range c.Nodes() {
			want := nemesis.Reachable(g, src, dst, true, oneWay)
			if reach[src][dst] != want {
				bad = append(bad, fmt.Sprintf("%s→%s got %v want %v", src, dst, reach[src][dst], want))
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s (grudge %v): %s", what, g, strings.Join(bad, "; "))
	}
}

// TestFaultsOnOneCluster applies every partition shape one after another
// to one five-node cluster and checks the real reachability matrix while
// each holds and full connectivity after the heal; then packet loss and
// the packet probe on the same cluster.
func TestFaultsOnOneCluster(t *testing.T) {
	rt, img := setup(t)
	nodes := []string{"n1", "n2", "n3", "n4", "n5"}
	c := newCluster(t, rt, img, nodes...)
	for _, n := range nodes {
		eventually(t, c, "n1", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("partition shapes", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 5))
		shapes := []string{
			nemesis.ShapeHalves, nemesis.ShapeRandomHalves, nemesis.ShapeOne, nemesis.ShapeMajority,
			nemesis.ShapeMajoritiesRing, nemesis.ShapeBridge, nemesis.ShapeMinorityThird, nemesis.ShapeLeader,
			"one-way-halves", "one-way-majorities-ring", "one-way-bridge",
		}
		for i, shape := range shapes {
			p, err := nemesis.DrawPartition(shape, nodes, rng, "n3")
			if err != nil {
				t.Fatal(err)
			}
			// One plain-drop shape is enforced with reject instead.
			o := targets.PartitionOptions{OneWay: p.OneWay, Reject: i == 2}
			t0 := time.Now()
			if err := c.PartitionWith(ctx, p.Grudge, o); err != nil {
				t.Fatalf("%s: %v", shape, err)
			}
			t1 := time.Now()
			checkMatrix(t, c, shape, p.Grudge, p.OneWay)
			t.Logf("%s: apply %v, probe %v", shape, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
		}
		if err := c.Heal(ctx); err != nil {
			t.Fatal(err)
		}
		checkMatrix(t, c, "after heal", nil, false)
	})

	t.Run("packet probe", func(t *testing.T) {
		sup, err := c.ProbePacket(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("packet faults here: %s", sup)
		for _, b := range []string{targets.PacketLoss, targets.PacketRate} {
			if !slices.Contains(sup.Available, b) {
				t.Errorf("%s unavailable: %s", b, sup.Unavailable[b])
			}
		}
		for _, b := range []string{targets.PacketLatency, targets.PacketReorder} {
			if !slices.Contains(sup.Available, b) && sup.Unavailable[b] == "" {
				t.Errorf("%s unavailable without a reason", b)
			}
		}
	})

	t.Run("packet loss", func(t *testing.T) {
		measure := func() netcheck.Delivery {
			t.Helper()
			out, errOut, code, err := c.Exec(ctx, "n2", []string{"/faultline", "node", "probe", "--udp", "--count", "200", "--timeout", "1s",
				"--to", fmt.Sprintf("%s:%d", c.IP("n1"), port)})
			var d netcheck.Delivery
			if err == nil && code == 0 {
				err = json.Unmarshal([]byte(out), &d)
			}
			if err != nil || code != 0 || d.Sent != 200 {
				t.Fatalf("measure: exit %d, %v, %+v: %s", code, err, d, errOut)
			}
			return d
		}
		base := measure()
		// 30 % loss on each crossing between n1 and the others: a UDP
		// round trip n2→n1→n2 survives with (0.7)² = 49 %.
		if err := c.Shape(ctx, []string{"n1"}, targets.PacketFaults{LossPercent: 30, RateBitsPerSec: 5_000_000}); err != nil {
			t.Fatal(err)
		}
		lossy := measure()
		// Restarted nodes get the packet faults back.
		if err := c.Kill(ctx, "n1"); err != nil {
			t.Fatal(err)
		}
		if err := c.Restart(ctx, "n1"); err != nil {
			t.Fatal(err)
		}
		if key, _ := c.AppliedRules("n1"); !strings.Contains(key, "--loss 30") || !strings.Contains(key, "--rate 5000000") {
			t.Errorf("rules of restarted n1: %q", key)
		}
		if err := c.Unshape(ctx); err != nil {
			t.Fatal(err)
		}
		eventually(t, c, "n2", "n1")
		healed := measure()
		t.Logf("UDP echoes n2→n1→n2 of 200: %d before, %d with 30%% loss per crossing, %d after", base.Received, lossy.Received, healed.Received)
		if base.Received < 190 || healed.Received < 190 {
			t.Errorf("delivery without loss: %d and %d of 200", base.Received, healed.Received)
		}
		// Expected 98 of 200 (σ ≈ 7); the bounds are 6σ away.
		if lossy.Received > 140 || lossy.Received < 56 {
			t.Errorf("delivery with 30%% loss: %d of 200, want about 98", lossy.Received)
		}
		if key, ok := c.AppliedRules("n3"); !ok || key != "" {
			t.Errorf("n3 still holds rules after Unshape: %q", key)
		}
	})
}
