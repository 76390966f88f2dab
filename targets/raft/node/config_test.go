package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline-io/faultline/targets"
)

func TestParseArgs(t *testing.T) {
	cfg, err := ParseArgs([]string{"--id", "2", "--peers", "1=n1:7000,2=n2:7000,3=n3:7000", "--data", "/data", "--bug", "stale-read", "--tick", "20ms"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ID != 2 || cfg.Name != "n2" || len(cfg.Peers) != 3 || cfg.Peers[3] != "n3:7000" || cfg.Listen != ":7000" ||
		cfg.DataDir != "/data" || cfg.Bug != BugStaleRead || cfg.Tick != 20*time.Millisecond ||
		cfg.ElectionTicks != 10 || cfg.HeartbeatTicks != 1 || cfg.Logger == nil {
		t.Fatalf("config %+v", cfg)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--peers", "1=n1:7000", "--data", "/d"}, "--id is required"},
		{[]string{"--id", "0", "--peers", "1=n1:7000", "--data", "/d"}, "--id is required"},
		{[]string{"--id", "x", "--peers", "1=n1:7000", "--data", "/d"}, `invalid value "x" for flag -id`},
		{[]string{"--id", "1", "--data", "/d"}, "--peers is required"},
		{[]string{"--id", "1", "--peers", "1=n1", "--data", "/d"}, "want ID=HOST:PORT"},
		{[]string{"--id", "1", "--peers", "n1:7000", "--data", "/d"}, "want ID=HOST:PORT"},
		{[]string{"--id", "1", "--peers", "0=n1:7000", "--data", "/d"}, "positive integer"},
		{[]string{"--id", "1", "--peers", "1=n1:7000,1=n2:7000", "--data", "/d"}, "given twice"},
		{[]string{"--id", "4", "--peers", "1=n1:7000,2=n2:7000", "--data", "/d"}, "not among the peers"},
		{[]string{"--id", "1", "--peers", "1=n1:7000"}, "--data is required"},
		{[]string{"--id", "1", "--peers", "1=n1:7000", "--data", "/d", "--bug", "nope"}, `unknown bug "nope" (have: stale-read`},
		{[]string{"--id", "1", "--peers", "1=n1:7000", "--data", "/d", "--tick", "0s"}, "--tick must be positive"},
		{[]string{"--id", "1", "--peers", "1=n1:7000", "--data", "/d", "--tick", "fast"}, `invalid value "fast" for flag -tick`},
		{[]string{"--id", "1", "--peers", "1=n1:7000", "--data", "/d", "--election-ticks", "1"}, "must exceed"},
		{[]string{"--id", "1", "--peers", "1=n1:7000", "--data", "/d", "extra"}, `unexpected argument "extra"`},
		{[]string{"--nope"}, "flag provided but not defined: -nope"},
	} {
		_, err := ParseArgs(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to mention %q", tc.args, err, tc.want)
		}
	}

	if err := Main(context.Background(), []string{"--id", "1"}); err == nil {
		t.Error("Main accepted incomplete flags")
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	err := Run(context.Background(), Config{ID: 1, Peers: map[uint64]string{1: "x:1"}, DataDir: t.TempDir(), Bug: "nope"})
	if err == nil || !strings.Contains(err.Error(), `unknown bug "nope"`) {
		t.Fatalf("Run with an unknown bug: %v", err)
	}
}

func TestRegistered(t *testing.T) {
	if _, ok := targets.LookupNodeProgram("raft"); !ok {
		t.Fatal("node program raft is not registered")
	}
	if _, ok := LookupBug(BugStaleRead); !ok || len(Bugs()) == 0 {
		t.Fatal("stale-read not listed")
	}
	if _, ok := LookupBug("nope"); ok {
		t.Fatal("LookupBug found an unknown bug")
	}
}
