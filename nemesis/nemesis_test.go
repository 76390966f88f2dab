package nemesis

import (
	"context"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/internal/faketarget"
	"github.com/faultline-io/faultline/targets"
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
		{"all", Names(), ""},
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

// targetWithout hides every capability of the fake cluster.
type targetWithout struct{ targets.Target }

func TestFactoriesRefuseMissingCapabilities(t *testing.T) {
	bare := targetWithout{faketarget.New("bare", 3, false)}
	for _, name := range []string{"partition", "kill", "pause"} {
		_, err := New(name, Env{Target: bare, Nodes: []string{"n1", "n2", "n3"}, Rand: rand.New(rand.NewPCG(1, 1))})
		if err == nil || !strings.Contains(err.Error(), "bare") {
			t.Errorf("%s on a bare target: err = %v", name, err)
		}
	}
}

func TestScheduleRunsEveryFaultAndHeals(t *testing.T) {
	c := faketarget.New("fake", 5, false)
	nodes := []string{"n1", "n2", "n3", "n4", "n5"}
	env := Env{Target: c, Nodes: nodes, Rand: rand.New(rand.NewPCG(9, 9))}
	var faults []Fault
	for _, n := range []string{"partition", "kill", "pause"} {
		f, err := New(n, env)
		if err != nil {
			t.Fatal(err)
		}
		faults = append(faults, f)
	}
	var clock int64
	rec := history.NewRecorder(func() int64 { clock++; return clock }, nil)
	s := &Schedule{Faults: faults, Interval: 20 * time.Millisecond, Rand: rand.New(rand.NewPCG(1, 2)), History: rec}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	s.Run(ctx)
	if err := s.HealAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := map[string]int{}
	for _, op := range rec.Ops() {
		if !op.Process.IsNemesis() || op.Type != history.Info {
			t.Fatalf("nemesis op %+v", op)
		}
		if op.Value != nil {
			done[op.F]++
		}
	}
	for _, f := range []string{"start-partition", "kill", "pause"} {
		if done[f] == 0 {
			t.Errorf("no %s in %v", f, done)
		}
	}
	ev := strings.Join(c.Events, ",")
	if !strings.HasSuffix(ev, "heal") && !strings.Contains(ev, "heal") {
		t.Errorf("never healed: %s", ev)
	}
	// After HealAll, every killed node was restarted and every paused node resumed.
	kills, restarts := strings.Count(ev, "kill "), strings.Count(ev, "restart ")
	pauses, resumes := strings.Count(ev, "pause "), strings.Count(ev, "resume ")
	if kills != restarts || pauses != resumes {
		t.Errorf("unbalanced faults: %d kills / %d restarts, %d pauses / %d resumes: %s", kills, restarts, pauses, resumes, ev)
	}
}
