package nemesis

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/internal/faketarget"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

func TestCompleteGrudge(t *testing.T) {
	g := CompleteGrudge([][]string{{"n1", "n2"}, {"n3", "n4", "n5"}})
	want := targets.Grudge{
		"n1": {"n3", "n4", "n5"}, "n2": {"n3", "n4", "n5"},
		"n3": {"n1", "n2"}, "n4": {"n1", "n2"}, "n5": {"n1", "n2"},
	}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("got %v\nwant %v", g, want)
	}
}

func TestParseList(t *testing.T) {
	cases := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"none", nil, ""},
		{"partition,kill", []string{"partition", "kill"}, ""},
		{"kill, kill", []string{"kill"}, ""},
		{"all", []string{"all"}, ""},
		{"kill,all", []string{"all"}, ""},
		{"partition,flood", nil, `unknown nemesis "flood"`},
	}
	for _, tc := range cases {
		got, err := ParseList(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseList(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseList(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestPickSomeKeepsAMajority(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	nodes := []string{"n1", "n2", "n3", "n4", "n5"}
	for i := 0; i < 200; i++ {
		got := pickSome(rng, nodes, minority(len(nodes)))
		if len(got) < 1 || len(got) > 2 || !sort.StringsAreSorted(got) {
			t.Fatalf("pickSome = %v", got)
		}
	}
}

func nodeNames(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, "n"+string(rune('0'+i)))
	}
	return out
}

// view is what a node can hear: itself and every node it does not drop.
func view(g targets.Grudge, nodes []string, a string) []string {
	var v []string
	for _, b := range nodes {
		if !slices.Contains(g[a], b) {
			v = append(v, b)
		}
	}
	return v
}

func TestShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{4, 5, 6, 7, 9} {
		nodes := nodeNames(n)
		for _, shape := range AllShapes() {
			for range 20 {
				p, err := DrawPartition(shape, nodes, rng, "n2")
				if err != nil {
					t.Fatalf("%s on %d nodes: %v", shape, n, err)
				}
				checkShape(t, shape, nodes, p)
			}
		}
	}
	if _, err := DrawPartition(ShapeMajoritiesRing, nodeNames(3), rng, ""); err == nil {
		t.Error("majorities-ring on 3 nodes accepted")
	}
	if p, _ := DrawPartition(ShapeLeader, nodeNames(5), rng, ""); !strings.Contains(p.Shape, "no leader known") || len(p.Components[0]) != 1 {
		t.Errorf("leader shape without a leader: %+v", p)
	}
}

func checkShape(t *testing.T, shape string, nodes []string, p Partition) {
	t.Helper()
	n := len(nodes)
	base, oneWay := strings.CutPrefix(shape, OneWayPrefix)
	for a, peers := range p.Grudge {
		if slices.Contains(peers, a) {
			t.Fatalf("%s: %s drops itself: %v", shape, a, p.Grudge)
		}
	}
	if oneWay {
		if !p.OneWay {
			t.Fatalf("%s: not marked one-way", shape)
		}
		// Never both directions of a pair, and something is cut.
		cut := 0
		for a, peers := range p.Grudge {
			for _, b := range peers {
				cut++
				if slices.Contains(p.Grudge[b], a) {
					t.Fatalf("%s: %s and %s drop each other: %v", shape, a, b, p.Grudge)
				}
			}
		}
		if cut == 0 {
			t.Fatalf("%s cuts nothing: %+v", shape, p)
		}
		return
	}
	sizes := func() []int {
		var s []int
		for _, c := range p.Components {
			s = append(s, len(c))
		}
		sort.Ints(s)
		return s
	}
	switch base {
	case ShapeHalves:
		if !reflect.DeepEqual(p.Components[0], nodes[:n/2]) {
			t.Fatalf("halves: %v", p.Components)
		}
	case ShapeRandomHalves:
		if !reflect.DeepEqual(sizes(), []int{n / 2, n - n/2}) {
			t.Fatalf("random-halves sizes %v", sizes())
		}
	case ShapeOne:
		if !reflect.DeepEqual(sizes(), []int{1, n - 1}) {
			t.Fatalf("one: sizes %v", sizes())
		}
	case ShapeLeader:
		if !reflect.DeepEqual(p.Components[0], []string{"n2"}) {
			t.Fatalf("leader: %v", p.Components)
		}
	case ShapeMajority:
		if !reflect.DeepEqual(sizes(), []int{n - majority(n), majority(n)}) {
			t.Fatalf("majority sizes %v", sizes())
		}
	case ShapeMinorityThird:
		if !reflect.DeepEqual(sizes(), []int{max(1, (n-1)/3), n - max(1, (n-1)/3)}) {
			t.Fatalf("minority-third sizes %v on %d", sizes(), n)
		}
	case ShapeMajoritiesRing:
		seen := map[string]bool{}
		for _, a := range nodes {
			v := view(p.Grudge, nodes, a)
			if len(v) < majority(n) || len(v) == n {
				t.Fatalf("ring: %s sees %v of %d", a, v, n)
			}
			if seen[strings.Join(v, ",")] {
				t.Fatalf("ring: two nodes see %v", v)
			}
			seen[strings.Join(v, ",")] = true
			for _, b := range p.Grudge[a] {
				if !slices.Contains(p.Grudge[b], a) {
					t.Fatalf("ring: %s drops %s but not back", a, b)
				}
			}
		}
	case ShapeBridge:
		if p.Bridge == "" || len(p.Grudge[p.Bridge]) != 0 {
			t.Fatalf("bridge: %+v", p)
		}
		for a, peers := range p.Grudge {
			if slices.Contains(peers, p.Bridge) {
				t.Fatalf("bridge: %s drops the bridge", a)
			}
		}
		if len(view(p.Grudge, nodes, p.Bridge)) != n {
			t.Fatalf("bridge does not see everyone")
		}
	}
}

func TestReachable(t *testing.T) {
	g := targets.Grudge{"n1": {"n2"}} // n1 drops n2
	cases := []struct {
		src, dst    string
		tcp, oneWay bool
		want        bool
	}{
		{"n2", "n1", false, false, false}, // datagram n2→n1 dropped at n1
		{"n1", "n2", false, false, true},  // datagram n1→n2 arrives
		{"n1", "n2", true, false, false},  // TCP n1→n2: n2's answers dropped at n1
		{"n1", "n2", true, true, true},    // one-way: n1's own connections work
		{"n2", "n1", true, true, false},
		{"n3", "n1", true, false, true},
	}
	for _, c := range cases {
		if got := Reachable(g, c.src, c.dst, c.tcp, c.oneWay); got != c.want {
			t.Errorf("%+v: got %v", c, got)
		}
	}
}

// targetWithout hides every capability of the fake cluster.
type targetWithout struct{ targets.Target }

func TestFactoriesRefuseMissingCapabilities(t *testing.T) {
	bare := targetWithout{faketarget.New("bare", 3, false)}
	for _, name := range Names() {
		_, err := New(name, Env{Target: bare, Nodes: []string{"n1", "n2", "n3"}, Rand: rand.New(rand.NewPCG(1, 1))})
		var ue *UnsupportedError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), name+" faults unsupported by target bare") {
			t.Errorf("%s on a bare target: err = %v", name, err)
		}
	}
}

func TestBuild(t *testing.T) {
	c := faketarget.New("fake", 5, false)
	env := Env{Target: c, Nodes: nodeNames(5), Rand: rand.New(rand.NewPCG(1, 1))}
	faults, skipped, err := Build([]string{All}, env)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range faults {
		got = append(got, f.Name())
	}
	if !reflect.DeepEqual(got, []string{"kill", "partition", "pause"}) {
		t.Errorf("all on the fake target built %v", got)
	}
	if len(skipped) != 2 || !strings.Contains(strings.Join(skipped, "|"), "clock faults unsupported by target fake") {
		t.Errorf("skipped %v", skipped)
	}
	if _, _, err := Build([]string{"partition", "clock"}, env); err == nil || !strings.Contains(err.Error(), "clock faults unsupported by target fake") {
		t.Errorf("explicit clock on the fake target: %v", err)
	}
	// The fake target cannot reject, cut one way, or name a leader.
	for opt, want := range map[string]string{
		"partition=reject":        `unknown value "reject"`,
		"partition-mode=reject":   "reject needs",
		"partition=leader":        "needs a target that can name its leader",
		"partition=one-way-one":   "cut one direction",
		"kill=leader":             "kill=leader needs",
		"partition=ring":          `unknown value "ring"`,
		"kill-mode=gently":        `unknown value "gently"`,
		"packet-loss=120":         "percentage",
		"flood=1":                 `unknown nemesis option "flood"`,
		"clock-max-rate=1":        "from 1.01 to",
		"packet-rate=fast":        "bandwidth",
		"partition=halves,bridge": "",
	} {
		k, v, _ := strings.Cut(opt, "=")
		e := env
		e.Options = map[string]string{k: v}
		_, _, err := Build([]string{"partition", "kill"}, e)
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", opt, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", opt, err, want)
		}
	}
}

// rich is the fake cluster plus the capabilities it lacks: a leader, one
// controllable clock per node, and packet shaping (recorded).
type rich struct {
	*faketarget.Cluster
	mu     sync.Mutex
	clocks map[string]*nodeclock.Clock
	shaped []string
	opts   []targets.PartitionOptions
}

func newRich(n int) *rich {
	r := &rich{Cluster: faketarget.New("rich", n, false), clocks: map[string]*nodeclock.Clock{}}
	for _, x := range nodeNames(n) {
		r.clocks[x] = nodeclock.New()
	}
	return r
}

func (r *rich) Leader(context.Context) (string, error) { return "n3", nil }
func (r *rich) PartitionWith(ctx context.Context, g targets.Grudge, o targets.PartitionOptions) error {
	r.mu.Lock()
	r.opts = append(r.opts, o)
	r.mu.Unlock()
	return r.Partition(ctx, g)
}
func (r *rich) Clock(_ context.Context, n string, cmd nodeclock.Command) (nodeclock.State, error) {
	return r.clocks[n].Apply(cmd)
}
func (r *rich) ClockState(_ context.Context, n string) (nodeclock.State, error) {
	return r.clocks[n].State(), nil
}
func (r *rich) PacketSupport() targets.PacketSupport {
	return targets.PacketSupport{Available: []string{targets.PacketLoss, targets.PacketRate},
		Unavailable: map[string]string{targets.PacketLatency: "no netem here"}}
}
func (r *rich) ProbePacket(context.Context) (targets.PacketSupport, error) {
	s := r.PacketSupport()
	s.Available = s.Available[:1] // as if the kernel had no tbf
	s.Unavailable[targets.PacketRate] = "probe: no tbf"
	return s, nil
}
func (r *rich) Shape(_ context.Context, nodes []string, f targets.PacketFaults) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shaped = append(r.shaped, strings.Join(nodes, ",")+" "+strings.Join(f.Behaviours(), "+"))
	return nil
}
func (r *rich) Unshape(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shaped = append(r.shaped, "unshape")
	return nil
}

func TestClockFaultRecordsOffsetsAndResets(t *testing.T) {
	r := newRich(5)
	f, err := New("clock", Env{Target: r, Nodes: nodeNames(5), Rand: rand.New(rand.NewPCG(5, 5)),
		Options: map[string]string{"clock": "bump,drift", "clock-targets": "leader"}})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]bool{}
	for range 20 {
		v, err := f.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cv := v.(ClockValue)
		ops[cv.Op] = true
		if len(cv.Clocks) != 1 || cv.Spec != SpecLeader {
			t.Fatalf("clock value %+v", cv)
		}
		rd := cv.Clocks["n3"]
		switch cv.Op {
		case nodeclock.OpBump:
			if rd.Offset == "0s" {
				t.Fatalf("bump left no offset: %+v", cv)
			}
		case nodeclock.OpRate:
			if rd.Rate == 1 || (rd.Rate > 0.5 && rd.Rate < 2) || rd.Rate < 0.1 || rd.Rate > 10 {
				t.Fatalf("drift rate %v", rd.Rate)
			}
		}
		if _, err := f.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st := r.clocks["n3"].State(); st.Offset != 0 || st.Rate != 1 {
			t.Fatalf("not reset: %+v", st)
		}
	}
	if !ops[nodeclock.OpBump] || !ops[nodeclock.OpRate] || ops[nodeclock.OpStrobe] {
		t.Errorf("ops drawn: %v", ops)
	}
	v, err := f.(Preparer).Prepare(context.Background())
	if err != nil || len(v.(ClockValue).Clocks) != 5 {
		t.Errorf("prepare: %+v, %v", v, err)
	}
}

func TestPacketFaultProbesAtSetup(t *testing.T) {
	r := newRich(5)
	env := Env{Target: r, Nodes: nodeNames(5), Rand: rand.New(rand.NewPCG(5, 5))}
	e := env
	e.Options = map[string]string{"packet": "loss,latency"}
	if _, err := New("packet", e); err == nil || !strings.Contains(err.Error(), "latency (no netem here)") {
		t.Fatalf("latency on a target without it: %v", err)
	}
	e.Options = map[string]string{"packet": "loss,rate"}
	f, err := New("packet", e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.(Preparer).Prepare(context.Background()); err == nil || !strings.Contains(err.Error(), "rate (probe: no tbf)") {
		t.Fatalf("probe that finds no tbf: %v", err)
	}
	e.Options = map[string]string{"packet-targets": "all"}
	f, err = New("packet", e)
	if err != nil {
		t.Fatal(err)
	}
	// The default narrows to what the probe found.
	pv0, err := f.(Preparer).Prepare(context.Background())
	if err != nil || !reflect.DeepEqual(pv0.(PacketProbe).Using, []string{targets.PacketLoss}) {
		t.Fatalf("default behaviours after the probe: %+v, %v", pv0, err)
	}
	v, err := f.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pv := v.(PacketValue)
	if len(pv.Nodes) != 5 || !reflect.DeepEqual(pv.Behaviours, []string{targets.PacketLoss}) {
		t.Fatalf("packet value %+v", pv)
	}
	f.Stop(context.Background())
	if r.shaped[len(r.shaped)-1] != "unshape" {
		t.Fatalf("shaped: %v", r.shaped)
	}
}

func TestPartitionFaultOptions(t *testing.T) {
	r := newRich(5)
	f, err := New("partition", Env{Target: r, Nodes: nodeNames(5), Rand: rand.New(rand.NewPCG(5, 5)),
		Options: map[string]string{"partition": "one-way-leader,leader", "partition-mode": "reject"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		v, err := f.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		p := v.(Partition)
		if p.Mode != ModeReject || !slices.Contains(p.Components[0], "n3") {
			t.Fatalf("partition %+v", p)
		}
	}
	oneWay := 0
	for _, o := range r.opts {
		if !o.Reject {
			t.Fatal("reject not passed on")
		}
		if o.OneWay {
			oneWay++
		}
	}
	if oneWay == 0 || oneWay == len(r.opts) {
		t.Errorf("one-way in %d of %d partitions", oneWay, len(r.opts))
	}
}

func TestScheduleOverlapsFaultsAndHealsAll(t *testing.T) {
	r := newRich(5)
	faults, _, err := Build([]string{All}, Env{Target: r, Nodes: nodeNames(5), Rand: rand.New(rand.NewPCG(9, 9))})
	if err != nil {
		t.Fatal(err)
	}
	var clock int64
	var cmu sync.Mutex
	rec := history.NewRecorder(func() int64 { cmu.Lock(); defer cmu.Unlock(); clock++; return clock }, nil)
	s := &Schedule{Faults: faults, Interval: 20 * time.Millisecond, Rand: rand.New(rand.NewPCG(1, 2)), History: rec}
	if err := s.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	s.Run(ctx)
	if err := s.HealAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	starts := map[string]string{"start-partition": "partition", "kill": "kill", "pause": "pause", "clock": "clock", "start-packet": "packet"}
	stops := map[string]string{"stop-partition": "partition", "restart": "kill", "resume": "pause", "reset-clock": "clock", "stop-packet": "packet"}
	active := map[string]bool{}
	overlap := false
	done := map[string]int{}
	for _, op := range rec.Ops() {
		if !op.Process.IsNemesis() || op.Type != history.Info {
			t.Fatalf("nemesis op %+v", op)
		}
		if op.Value == nil {
			continue // the invocation
		}
		done[op.F]++
		if c, ok := starts[op.F]; ok {
			if active[c] {
				t.Fatalf("%s overlaps with itself", c)
			}
			active[c] = true
		}
		if c, ok := stops[op.F]; ok {
			active[c] = false
		}
		n := 0
		for _, a := range active {
			if a {
				n++
			}
		}
		overlap = overlap || n > 1
	}
	for f := range starts {
		if done[f] == 0 {
			t.Errorf("no %s in %v", f, done)
		}
	}
	if !overlap {
		t.Error("no two fault classes were ever active together")
	}
	// The final heal runs network, clocks, then processes.
	ops := rec.Ops()
	var tail []string
	for _, op := range ops[len(ops)-10:] {
		if op.Value != nil {
			tail = append(tail, op.F)
		}
	}
	if want := []string{"stop-partition", "stop-packet", "reset-clock", "resume", "restart"}; !reflect.DeepEqual(tail, want) {
		t.Errorf("final heal order %v, want %v", tail, want)
	}
	// Replay the fake cluster's events: at the end nothing is down or frozen.
	down, paused := map[string]bool{}, map[string]bool{}
	for _, ev := range r.Events {
		verb, node, _ := strings.Cut(ev, " ")
		switch verb {
		case "kill":
			down[node], paused[node] = true, false
		case "restart":
			down[node] = false
		case "pause":
			if down[node] {
				t.Fatalf("paused %s while it was down: %v", node, r.Events)
			}
			paused[node] = true
		case "resume":
			paused[node] = false
		}
	}
	for n := range down {
		if down[n] || paused[n] {
			t.Errorf("%s left down=%v paused=%v: %v", n, down[n], paused[n], r.Events)
		}
	}
	for n, c := range r.clocks {
		if st := c.State(); st.Offset != 0 || st.Rate != 1 {
			t.Errorf("%s clock not reset: %+v", n, st)
		}
	}
	// Every recorded value is JSON the history can hold.
	for _, op := range ops {
		if op.Value != nil && !json.Valid(op.Value) {
			t.Fatalf("bad value %s", op.Value)
		}
	}
}

func TestClockDriftDirection(t *testing.T) {
	r := newRich(3)
	for dir, slow := range map[string]bool{"slow": true, "fast": false} {
		f, err := New("clock", Env{Target: r, Nodes: nodeNames(3), Rand: rand.New(rand.NewPCG(2, 2)),
			Options: map[string]string{"clock": "drift", "clock-drift": dir, "clock-targets": "one"}})
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			v, err := f.Start(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for n, rd := range v.(ClockValue).Clocks {
				if (rd.Rate < 1) != slow {
					t.Fatalf("clock-drift=%s gave %s rate %v", dir, n, rd.Rate)
				}
			}
			f.Stop(context.Background())
		}
	}
}

func TestPerClassHoldAndQuiet(t *testing.T) {
	r := newRich(5)
	opts := map[string]string{"clock-hold": "10s", "clock-quiet": "1s", "partition-quiet": "250ms"}
	faults, _, err := Build([]string{"clock", "partition", "kill"}, Env{Target: r, Nodes: nodeNames(5), Rand: rand.New(rand.NewPCG(1, 1)), Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	s := &Schedule{Faults: faults, Interval: 3 * time.Second, Options: opts}
	want := map[string][2]time.Duration{
		"clock":     {10 * time.Second, time.Second},
		"partition": {3 * time.Second, 250 * time.Millisecond},
		"kill":      {3 * time.Second, 3 * time.Second},
	}
	for _, f := range faults {
		hold, quiet := s.phases(f)
		if w := want[f.Name()]; hold != w[0] || quiet != w[1] {
			t.Errorf("%s: hold %v quiet %v, want %v", f.Name(), hold, quiet, w)
		}
	}
	for _, bad := range []map[string]string{{"clock-hold": "fast"}, {"pause-quiet": "1ms"}, {"gremlins-hold": "1s"}} {
		if err := CheckOptions(bad); err == nil {
			t.Errorf("CheckOptions(%v) accepted", bad)
		}
	}
}
