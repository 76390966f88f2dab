package httpkv_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline-io/faultline/checker"
	_ "github.com/faultline-io/faultline/examples/httpkv"
	"github.com/faultline-io/faultline/harness"
	"github.com/faultline-io/faultline/internal/testenv"
	"github.com/faultline-io/faultline/targets"
	_ "github.com/faultline-io/faultline/workloads" // the register workload
)

func TestOptions(t *testing.T) {
	for _, opts := range []targets.Options{nil, {"binary": "a", "image": "b"}} {
		if _, err := targets.New("httpkv", targets.Setup{RunID: "x", Nodes: 3}, opts); err == nil {
			t.Errorf("options %v accepted", opts)
		}
	}
	if _, err := targets.New("httpkv", targets.Setup{RunID: "x", Nodes: 3}, targets.Options{"binary": "/x"}); err != nil {
		t.Error(err)
	}
}

// TestShortRun is the guide's example end to end: the server built as a
// static binary, shipped in its own image, three nodes under partitions,
// the register workload, Porcupine. A single copy of the data behind
// forwarding nodes is linearizable, so the verdict must be valid.
func TestShortRun(t *testing.T) {
	testenv.RequireDocker(t)
	testenv.NodeBinary(t) // the partition sidecars run faultline
	server := filepath.Join(t.TempDir(), "httpkv-server")
	cmd := exec.Command("go", "build", "-trimpath", "-o", server, "./server")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("build the example server: %v\n%s", err, out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var log bytes.Buffer
	res, err := harness.Run(ctx, harness.Config{
		Target: "httpkv", TargetOpts: map[string]string{"binary": server},
		Nodes: 3, TimeLimit: 6 * time.Second, Nemesis: []string{"partition"}, NemesisInterval: time.Second,
		Seed: 1, Store: t.TempDir(), CheckTimeout: time.Minute, Log: &log,
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	rs := res.Results
	if rs.Valid != checker.Valid {
		t.Fatalf("verdict %v, want valid (%s)\n%s", rs.Valid, res.Dir, log.String())
	}
	if rs.Stats.Client.OK < 50 || rs.Stats.Nemesis["start-partition"] == 0 {
		t.Fatalf("too little happened: %d ok ops, faults %v\n%s", rs.Stats.Client.OK, rs.Stats.Nemesis, log.String())
	}
}
