package dockerrt_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"

	"github.com/faultline-io/faultline/internal/testenv"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/dockerrt"
)

const port = 7000

// setup connects, builds (or reuses) the node image and returns both.
func setup(t *testing.T) (*dockerrt.Runtime, string) {
	t.Helper()
	rt := testenv.Runtime(t)
	bin := testenv.NodeBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	img, err := rt.EnsureImage(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("EnsureImage: %s in %v (API %s)", img, time.Since(start).Round(time.Millisecond), rt.APIVersion())
	return rt, img
}

func listenCmd(string, int) []string {
	return []string{"node", "listen", "--addr", fmt.Sprintf(":%d", port)}
}

// newCluster creates a cluster of listeners and tears it down (and checks
// that nothing is left) when the test ends, even if it fails.
func newCluster(t *testing.T, rt *dockerrt.Runtime, img string, nodes ...string) *dockerrt.Cluster {
	t.Helper()
	runID := testenv.RunID(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := rt.Clean(ctx, dockerrt.CleanOptions{RunID: runID}); err != nil {
			t.Errorf("clean run %s: %v", runID, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	c, err := rt.CreateCluster(ctx, dockerrt.ClusterSpec{
		RunID: runID, Image: img, Nodes: nodes, Port: port, Cmd: listenCmd, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CreateCluster with %d nodes: %v", len(nodes), time.Since(start).Round(time.Millisecond))
	return c
}

// probe runs `faultline node probe` on from towards to:7000 and returns
// nil when it got the greeting.
func probe(ctx context.Context, c *dockerrt.Cluster, from, to string) error {
	out, errOut, code, err := c.Exec(ctx, from, []string{"/faultline", "node", "probe", "--to", fmt.Sprintf("%s:%d", to, port), "--timeout", "1s"})
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("%s→%s: exit %d: %s", from, to, code, strings.TrimSpace(errOut))
	}
	if want := "hello from " + to; strings.TrimSpace(out) != want {
		return fmt.Errorf("%s→%s: got %q, want %q", from, to, strings.TrimSpace(out), want)
	}
	return nil
}

type link struct {
	from, to string
	ok       bool // reachable?
}

// expect runs all probes in parallel and reports every link that is not
// as expected.
func expect(t *testing.T, c *dockerrt.Cluster, what string, links ...link) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make([]error, len(links))
	var wg sync.WaitGroup
	for i, l := range links {
		wg.Go(func() { errs[i] = probe(ctx, c, l.from, l.to) })
	}
	wg.Wait()
	for i, l := range links {
		switch {
		case l.ok && errs[i] != nil:
			t.Errorf("%s: %s→%s should work: %v", what, l.from, l.to, errs[i])
		case !l.ok && errs[i] == nil:
			t.Errorf("%s: %s→%s should fail, but the probe got through", what, l.from, l.to)
		}
	}
}

// eventually retries a probe until it works (a node just started needs a
// moment to listen).
func eventually(t *testing.T, c *dockerrt.Cluster, from, to string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var err error
	for ctx.Err() == nil {
		if err = probe(ctx, c, from, to); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s→%s never worked: %v", from, to, err)
}

func all(c *dockerrt.Cluster, ok bool) []link {
	var ls []link
	for _, a := range c.Nodes() {
		for _, b := range c.Nodes() {
			if a != b {
				ls = append(ls, link{a, b, ok})
			}
		}
	}
	return ls
}

func runFilter(runID string) filters.Args {
	return filters.NewArgs(filters.Arg("label", dockerrt.LabelRun+"="+runID))
}

// leftovers counts the containers and networks carrying the run label.
func leftovers(t *testing.T, rt *dockerrt.Runtime, runID string) (int, int) {
	t.Helper()
	ctx := context.Background()
	cs, err := rt.Client().ContainerList(ctx, container.ListOptions{All: true, Filters: runFilter(runID)})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := rt.Client().NetworkList(ctx, network.ListOptions{Filters: runFilter(runID)})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs), len(ns)
}

func TestCluster(t *testing.T) {
	rt, img := setup(t)
	c := newCluster(t, rt, img, "n1", "n2", "n3")
	ctx := context.Background()

	t.Run("IPsPinned", func(t *testing.T) {
		if got := c.Nodes(); strings.Join(got, ",") != "n1,n2,n3" {
			t.Fatalf("Nodes() = %v", got)
		}
		if !dockerrt.SubnetPool.Contains(c.Subnet().Addr()) || c.Subnet().Bits() != 24 {
			t.Errorf("subnet %s is not a /24 inside %s", c.Subnet(), dockerrt.SubnetPool)
		}
		for i, n := range c.Nodes() {
			want := c.Subnet().Addr().As4()
			want[3] = byte(10 + i)
			if c.IP(n) != netip.AddrFrom4(want).String() {
				t.Errorf("IP(%s) = %s, want %s", n, c.IP(n), netip.AddrFrom4(want))
			}
			if c.Addr(n) != fmt.Sprintf("%s:%d", c.IP(n), port) {
				t.Errorf("Addr(%s) = %s", n, c.Addr(n))
			}
			in, err := rt.Client().ContainerInspect(ctx, c.ContainerID(n))
			if err != nil {
				t.Fatal(err)
			}
			ep := in.NetworkSettings.Networks[c.Network()]
			if ep == nil || ep.IPAddress != c.IP(n) {
				t.Errorf("%s: Docker says %+v, want IP %s", n, ep, c.IP(n))
			}
			if in.Config.Hostname != n || in.Config.Labels[dockerrt.LabelNode] != n ||
				in.Config.Labels[dockerrt.LabelRole] != dockerrt.RoleNode || in.Config.Labels[dockerrt.LabelOwner] != dockerrt.OwnerValue ||
				in.Config.Labels[dockerrt.LabelRun] != c.RunID() || in.Config.Labels[dockerrt.LabelPID] != fmt.Sprint(os.Getpid()) {
				t.Errorf("%s: hostname %q labels %v", n, in.Config.Hostname, in.Config.Labels)
			}
			hc := in.HostConfig
			if hc.Privileged || len(hc.CapAdd) > 0 || hc.AutoRemove || hc.Init == nil || !*hc.Init {
				t.Errorf("%s: host config privileged=%v capadd=%v autoremove=%v init=%v", n, hc.Privileged, hc.CapAdd, hc.AutoRemove, hc.Init)
			}
		}
		nw, err := rt.Client().NetworkInspect(ctx, c.Network(), network.InspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !nw.Internal || nw.Labels[dockerrt.LabelRun] != c.RunID() {
			t.Errorf("network internal=%v labels=%v", nw.Internal, nw.Labels)
		}
	})

	t.Run("ReachByName", func(t *testing.T) {
		eventually(t, c, "n1", "n2")
		expect(t, c, "fresh cluster", all(c, true)...)
	})

	t.Run("Partition", func(t *testing.T) {
		start := time.Now()
		if err := c.Partition(ctx, targets.Grudge{"n1": {"n2"}}); err != nil {
			t.Fatal(err)
		}
		t.Logf("Partition {n1: [n2]}: %v", time.Since(start).Round(time.Millisecond))
		// n1 drops n2's packets: for TCP that cuts both directions (n1 also
		// drops n2's SYN-ACKs); n3 is untouched.
		expect(t, c, "n1 drops n2",
			link{"n2", "n1", false}, link{"n1", "n2", false},
			link{"n1", "n3", true}, link{"n3", "n1", true}, link{"n2", "n3", true}, link{"n3", "n2", true})
		if g := c.Grudge(); len(g) != 1 || strings.Join(g["n1"], ",") != "n2" {
			t.Errorf("Grudge() = %v", g)
		}

		start = time.Now()
		if err := c.Partition(ctx, targets.Grudge{"n1": {"n2"}}); err != nil {
			t.Fatal(err)
		}
		t.Logf("the same Partition again (idempotent, nothing to change): %v", time.Since(start).Round(time.Millisecond))

		// Replacing the grudge: now n3 drops n1 and n1 drops nobody.
		start = time.Now()
		if err := c.Partition(ctx, targets.Grudge{"n3": {"n1", "n3"}}); err != nil {
			t.Fatal(err)
		}
		t.Logf("Partition replacing the grudge (two nodes change): %v", time.Since(start).Round(time.Millisecond))
		expect(t, c, "n3 drops n1",
			link{"n1", "n3", false}, link{"n3", "n1", false}, link{"n2", "n1", true}, link{"n1", "n2", true}, link{"n3", "n2", true})

		// Replacing a node's non-empty rule set in one batch.
		if err := c.Partition(ctx, targets.Grudge{"n3": {"n2"}}); err != nil {
			t.Fatal(err)
		}
		expect(t, c, "n3 drops n2 instead of n1",
			link{"n2", "n3", false}, link{"n1", "n3", true}, link{"n3", "n1", true})

		start = time.Now()
		if err := c.Heal(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("Heal: %v", time.Since(start).Round(time.Millisecond))
		if err := c.Heal(ctx); err != nil {
			t.Fatalf("second Heal: %v", err)
		}
		if g := c.Grudge(); g != nil {
			t.Errorf("Grudge() after Heal = %v", g)
		}
		expect(t, c, "healed", all(c, true)...)
	})

	t.Run("RejectAndSidecarErrors", func(t *testing.T) {
		// --reject answers with ICMP admin-prohibited: the probe fails at
		// once instead of timing out.
		if err := c.RunNetfault(ctx, "n1", "apply", "--drop", c.IP("n2"), "--reject"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err := probe(ctx, c, "n2", "n1")
		if err == nil {
			t.Fatal("n2→n1 got through a reject rule")
		}
		if !strings.Contains(err.Error(), "no route to host") {
			t.Errorf("rejected probe: %v; want the immediate 'no route to host' of icmpx admin-prohibited, not a timeout", err)
		}
		t.Logf("rejected probe after %v: %v", time.Since(start).Round(time.Millisecond), err)
		if err := c.RunNetfault(ctx, "n1", "heal"); err != nil {
			t.Fatal(err)
		}
		if err := c.RunNetfault(ctx, "n1", "heal"); err != nil {
			t.Fatalf("healing twice: %v", err)
		}
		expect(t, c, "healed by hand", link{"n2", "n1", true})
		// A failing sidecar's error carries its output.
		err = c.RunNetfault(ctx, "n1", "apply", "--drop", "bogus")
		if err == nil || !strings.Contains(err.Error(), `"bogus" is not an IP address`) {
			t.Errorf("bad sidecar arguments: err = %v", err)
		}
	})

	t.Run("PartitionRejectsUnknownNodes", func(t *testing.T) {
		if err := c.Partition(ctx, targets.Grudge{"n9": {"n1"}}); err == nil || !strings.Contains(err.Error(), "n9") {
			t.Errorf("unknown node: err = %v", err)
		}
		if err := c.Partition(ctx, targets.Grudge{"n1": {"x"}}); err == nil || !strings.Contains(err.Error(), `"x"`) {
			t.Errorf("unknown peer: err = %v", err)
		}
		for _, f := range []func(context.Context, string) error{c.Kill, c.Restart, c.Pause, c.Resume} {
			if err := f(ctx, "n9"); err == nil || !strings.Contains(err.Error(), "n9") {
				t.Errorf("unknown node: err = %v", err)
			}
		}
	})

	t.Run("KillRestartReappliesGrudge", func(t *testing.T) {
		if err := c.Partition(ctx, targets.Grudge{"n1": {"n2"}}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := c.Kill(ctx, "n1"); err != nil {
			t.Fatal(err)
		}
		killed := time.Since(start)
		st, err := c.State(ctx, "n1")
		if err != nil || st.Running || st.ExitCode != 137 {
			t.Fatalf("after Kill: %+v, %v", st, err)
		}
		if err := c.Kill(ctx, "n1"); err != nil {
			t.Errorf("killing a dead node: %v", err)
		}
		expect(t, c, "n1 killed", link{"n3", "n1", false}, link{"n2", "n3", true})
		if _, _, _, err := c.Exec(ctx, "n1", []string{"/faultline", "node", "probe", "--to", "n3:7000"}); err == nil || !strings.Contains(err.Error(), "n1") {
			t.Errorf("Exec on a killed node: err = %v", err)
		}
		// A Partition while n1 is down is remembered for its restart.
		if err := c.Partition(ctx, targets.Grudge{"n1": {"n2"}, "n2": {"n1"}}); err != nil {
			t.Fatal(err)
		}

		start = time.Now()
		if err := c.Restart(ctx, "n1"); err != nil {
			t.Fatal(err)
		}
		restarted := time.Since(start)
		eventually(t, c, "n3", "n1")
		t.Logf("Kill: %v; Restart (start + re-apply the grudge): %v; listening again after %v",
			killed.Round(time.Millisecond), restarted.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		if c.IP("n1") == "" {
			t.Fatal("no IP")
		}
		in, err := rt.Client().ContainerInspect(ctx, c.ContainerID("n1"))
		if err != nil || in.NetworkSettings.Networks[c.Network()].IPAddress != c.IP("n1") {
			t.Fatalf("IP after restart: %v (want %s)", err, c.IP("n1"))
		}
		// Restarting a running node changes nothing.
		if err := c.Restart(ctx, "n1"); err != nil {
			t.Errorf("Restart of a running node: %v", err)
		}
		expect(t, c, "n1 restarted under {n1:[n2], n2:[n1]}",
			link{"n2", "n1", false}, link{"n1", "n2", false}, link{"n1", "n3", true}, link{"n3", "n1", true})
		if err := c.Heal(ctx); err != nil {
			t.Fatal(err)
		}
		expect(t, c, "healed after restart", all(c, true)...)
	})

	t.Run("PauseResume", func(t *testing.T) {
		start := time.Now()
		if err := c.Pause(ctx, "n3"); err != nil {
			t.Fatal(err)
		}
		t.Logf("Pause: %v", time.Since(start).Round(time.Millisecond))
		st, err := c.State(ctx, "n3")
		if err != nil || !st.Paused {
			t.Fatalf("after Pause: %+v, %v", st, err)
		}
		// The kernel still completes the handshake, but nobody answers.
		expect(t, c, "n3 paused", link{"n1", "n3", false}, link{"n1", "n2", true})
		if _, _, _, err := c.Exec(ctx, "n3", []string{"/faultline", "node", "probe", "--to", "n1:7000"}); err == nil {
			t.Error("Exec on a paused node worked")
		} else {
			t.Logf("Exec on a paused node: %v", err)
		}

		// Partition while n3 is paused: the sidecar joins the paused
		// node's namespace and installs the rules at once.
		start = time.Now()
		if err := c.Partition(ctx, targets.Grudge{"n3": {"n1"}}); err != nil {
			t.Fatalf("Partition with a paused node: %v", err)
		}
		t.Logf("Partition with the target node paused: %v", time.Since(start).Round(time.Millisecond))
		if key, ok := c.AppliedRules("n3"); !ok || key != c.IP("n1") {
			t.Errorf("rules of paused n3: %q, %v; want them applied while paused", key, ok)
		}
		if err := c.Resume(ctx, "n3"); err != nil {
			t.Fatal(err)
		}
		expect(t, c, "n3 resumed under {n3:[n1]}",
			link{"n1", "n3", false}, link{"n3", "n1", false}, link{"n2", "n3", true}, link{"n3", "n2", true})

		// Heal while paused, too.
		if err := c.Pause(ctx, "n3"); err != nil {
			t.Fatal(err)
		}
		if err := c.Heal(ctx); err != nil {
			t.Fatalf("Heal with a paused node: %v", err)
		}
		if err := c.Resume(ctx, "n3"); err != nil {
			t.Fatal(err)
		}
		expect(t, c, "healed while paused", all(c, true)...)
		if err := c.Resume(ctx, "n3"); err == nil {
			t.Error("resuming a running node: no error")
		} else if !strings.Contains(err.Error(), "n3") {
			t.Errorf("error does not name the node: %v", err)
		}
	})

	t.Run("KillPaused", func(t *testing.T) {
		if err := c.Pause(ctx, "n2"); err != nil {
			t.Fatal(err)
		}
		if err := c.Kill(ctx, "n2"); err != nil {
			t.Fatalf("Kill of a paused node: %v", err)
		}
		st, err := c.State(ctx, "n2")
		if err != nil || st.Running || st.Paused {
			t.Fatalf("after Kill of a paused node: %+v, %v", st, err)
		}
		// n2 stays down for CollectLogs.
	})

	t.Run("CollectLogs", func(t *testing.T) {
		dir := t.TempDir()
		if err := c.CollectLogs(ctx, dir); err != nil {
			t.Fatal(err)
		}
		for _, n := range c.Nodes() {
			b, err := os.ReadFile(filepath.Join(dir, n+".log"))
			if err != nil {
				t.Fatal(err)
			}
			starts := strings.Count(string(b), "listen: "+n+" serving on")
			want := 1
			if n == "n1" {
				want = 2 // killed and restarted: one log holds both runs
			}
			if starts != want {
				t.Errorf("%s.log has %d start lines, want %d:\n%s", n, starts, want, b)
			}
			// Docker's timestamps prefix every line.
			if line, _, _ := strings.Cut(string(b), " "); !strings.HasPrefix(line, "20") || !strings.Contains(line, "T") {
				t.Errorf("%s.log: no timestamp in %q", n, line)
			}
		}
	})

	t.Run("Teardown", func(t *testing.T) {
		// A sidecar-free check that the run's objects exist first.
		if cs, ns := leftovers(t, rt, c.RunID()); cs != 3 || ns != 1 {
			t.Fatalf("before Teardown: %d containers, %d networks with the run label (want 3, 1: no sidecar left)", cs, ns)
		}
		start := time.Now()
		if err := c.Teardown(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("Teardown: %v", time.Since(start).Round(time.Millisecond))
		if err := c.Teardown(ctx); err != nil {
			t.Fatalf("second Teardown: %v", err)
		}
		if cs, ns := leftovers(t, rt, c.RunID()); cs != 0 || ns != 0 {
			t.Fatalf("after Teardown: %d containers, %d networks left", cs, ns)
		}
	})
}

func TestCreateFiveNodes(t *testing.T) {
	rt, img := setup(t)
	c := newCluster(t, rt, img, "n1", "n2", "n3", "n4", "n5")
	eventually(t, c, "n5", "n1")
	start := time.Now()
	if err := c.Partition(context.Background(), targets.Grudge{"n1": {"n4", "n5"}, "n2": {"n4", "n5"}, "n3": {"n4", "n5"}, "n4": {"n1", "n2", "n3"}, "n5": {"n1", "n2", "n3"}}); err != nil {
		t.Fatal(err)
	}
	t.Logf("Partition of 5 nodes into {n1,n2,n3} {n4,n5}: %v", time.Since(start).Round(time.Millisecond))
	expect(t, c, "halves", link{"n1", "n4", false}, link{"n5", "n2", false}, link{"n4", "n5", true}, link{"n1", "n3", true})
	if err := c.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCreateClusterFailureCleansUp(t *testing.T) {
	t.Parallel()
	rt, _ := setup(t)
	runID := testenv.RunID(t)
	t.Cleanup(func() { rt.Clean(context.Background(), dockerrt.CleanOptions{RunID: runID}) })
	_, err := rt.CreateCluster(context.Background(), dockerrt.ClusterSpec{
		RunID: runID, Image: "faultline-node:doesnotexist", Nodes: []string{"n1", "n2"}, Port: port,
	})
	if err == nil {
		t.Fatal("CreateCluster with a missing image worked")
	}
	t.Logf("error: %v", err)
	if cs, ns := leftovers(t, rt, runID); cs != 0 || ns != 0 {
		t.Fatalf("after a failed CreateCluster: %d containers, %d networks left", cs, ns)
	}
}

func TestCreateClusterRefusesTakenRunID(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	c := newCluster(t, rt, img, "n1")
	_, err := rt.CreateCluster(context.Background(), dockerrt.ClusterSpec{
		RunID: c.RunID(), Image: img, Nodes: []string{"n1"}, Port: port, Cmd: listenCmd,
	})
	if err == nil {
		t.Fatal("a second cluster with the same run id was created")
	}
	t.Logf("error: %v", err)
	// The first cluster must be intact.
	if cs, ns := leftovers(t, rt, c.RunID()); cs != 1 || ns != 1 {
		t.Fatalf("the failed CreateCluster damaged the existing run: %d containers, %d networks", cs, ns)
	}
}

func TestSubnetClashIsRecognised(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	c := newCluster(t, rt, img, "n1")
	// A second network on the same subnet: the daemon's error must be
	// one CreateCluster retries with another subnet.
	name := "faultline-" + testenv.RunID(t) + "-clash"
	resp, err := rt.Client().NetworkCreate(context.Background(), name, network.CreateOptions{
		Driver: "bridge", Internal: true,
		Labels: map[string]string{dockerrt.LabelOwner: dockerrt.OwnerValue, dockerrt.LabelRun: c.RunID()},
		IPAM:   &network.IPAM{Config: []network.IPAMConfig{{Subnet: c.Subnet().String()}}},
	})
	if err == nil {
		rt.Client().NetworkRemove(context.Background(), resp.ID)
		t.Fatal("the daemon accepted a second network on the same subnet")
	}
	if !dockerrt.IsSubnetClash(err) {
		t.Fatalf("not recognised as a subnet clash: %v", err)
	}
}

func TestEnsureImageReused(t *testing.T) {
	t.Parallel()
	rt, img := setup(t) // built (or found) once here
	ctx := context.Background()
	before, err := rt.Client().ImageInspect(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	img2, err := rt.EnsureImage(ctx, testenv.NodeBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("EnsureImage (warm): %v", time.Since(start).Round(time.Millisecond))
	after, err := rt.Client().ImageInspect(ctx, img2)
	if err != nil {
		t.Fatal(err)
	}
	if img2 != img || after.ID != before.ID || after.Created != before.Created {
		t.Fatalf("rebuilt: %s %s %s -> %s %s %s", img, before.ID, before.Created, img2, after.ID, after.Created)
	}
	if after.Config == nil || after.Config.Labels[dockerrt.LabelOwner] != dockerrt.OwnerValue || after.Config.Labels[dockerrt.LabelRole] != dockerrt.RoleImage {
		t.Errorf("image labels: %v", after.Config)
	}
	if after.Config.Labels[dockerrt.LabelHost] != rt.Host() || after.Config.Labels[dockerrt.LabelBinary] == "" {
		t.Errorf("image labels: %v", after.Config.Labels)
	}
	if ep := after.Config.Entrypoint; len(ep) != 1 || ep[0] != "/faultline" {
		t.Errorf("entrypoint %v", ep)
	}
}

// TestEnsureImageConcurrentBuild builds a never-seen binary (the node
// binary with a random tail) from two connections at once, as two
// controllers would.
func TestEnsureImageConcurrentBuild(t *testing.T) {
	t.Parallel()
	rt, _ := setup(t)
	rt2 := testenv.Runtime(t)
	bin, err := os.ReadFile(testenv.NodeBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "faultline")
	if err := os.WriteFile(path, append(bin, []byte(testenv.RunID(t))...), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var tags [2]string
	var errs [2]error
	t.Cleanup(func() {
		for _, tag := range tags {
			if tag != "" {
				rt.Client().ImageRemove(ctx, tag, image.RemoveOptions{Force: true, PruneChildren: true})
			}
		}
		// the untagged loser of the race, if any
		is, _ := rt.Client().ImageList(ctx, image.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", dockerrt.LabelBinary+"="+sha256Hex(t, path)))})
		for _, im := range is {
			rt.Client().ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	})
	start := time.Now()
	var wg sync.WaitGroup
	for i, r := range []*dockerrt.Runtime{rt, rt2} {
		wg.Go(func() { tags[i], errs[i] = r.EnsureImage(ctx, path) })
	}
	wg.Wait()
	t.Logf("EnsureImage (cold, two builds at once): %v", time.Since(start).Round(time.Millisecond))
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("build %d: %v", i, errs[i])
		}
	}
	if tags[0] != tags[1] || !strings.HasPrefix(tags[0], dockerrt.ImageRepo+":") {
		t.Fatalf("tags %q %q", tags[0], tags[1])
	}
	// The image works: run a one-node cluster from it.
	c := newCluster(t, rt, tags[0], "n1")
	eventually(t, c, "n1", "n1")
	out, _, code, err := c.Exec(ctx, "n1", []string{"/faultline", "node", "probe", "--to", "n1:7000"})
	if err != nil || code != 0 || !strings.Contains(out, "hello from n1") {
		t.Fatalf("probe in the new image: %q %d %v", out, code, err)
	}
}

func sha256Hex(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestClean(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	c := newCluster(t, rt, img, "n1", "n2")
	rep, err := rt.Clean(context.Background(), dockerrt.CleanOptions{RunID: c.RunID()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Containers != 2 || rep.Networks != 1 || rep.Images != 0 || rep.Total() != 3 {
		t.Errorf("report %+v (%s), want 2 containers, 1 network", rep, rep)
	}
	if cs, ns := leftovers(t, rt, c.RunID()); cs != 0 || ns != 0 {
		t.Fatalf("after Clean: %d containers, %d networks left", cs, ns)
	}
	rep, err = rt.Clean(context.Background(), dockerrt.CleanOptions{RunID: c.RunID()})
	if err != nil || rep.Total() != 0 {
		t.Errorf("second Clean: %+v, %v", rep, err)
	}
	if err := c.Teardown(context.Background()); err != nil {
		t.Errorf("Teardown after Clean: %v", err)
	}
}

func TestCleanOrphans(t *testing.T) {
	t.Parallel()
	rt, img := setup(t)
	// A pid that certainly ran and is gone now.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	deadPID := cmd.Process.Pid

	dead := testenv.Runtime(t)
	dead.SetPID(deadPID)
	orphan := newCluster(t, dead, img, "n1")

	live := testenv.Runtime(t)
	live.SetPID(1) // init: alive
	kept := newCluster(t, live, img, "n1")
	mine := newCluster(t, rt, img, "n1") // this process: alive

	rep, err := rt.CleanOrphans(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Other controllers on this daemon may sweep the orphan first, so only
	// what is left counts.
	t.Logf("CleanOrphans removed %s", rep)
	if cs, ns := leftovers(t, rt, orphan.RunID()); cs != 0 || ns != 0 {
		t.Errorf("orphan run: %d containers, %d networks left", cs, ns)
	}
	for _, c := range []*dockerrt.Cluster{kept, mine} {
		if cs, ns := leftovers(t, rt, c.RunID()); cs != 1 || ns != 1 {
			t.Errorf("live run %s: %d containers, %d networks, want 1 and 1", c.RunID(), cs, ns)
		}
	}
}
