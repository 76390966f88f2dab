package etcd

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/targets"
)

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		opts targets.Options
		ok   bool
	}{
		{nil, true},
		{targets.Options{"reads": "linearizable"}, true},
		{targets.Options{"reads": "serializable"}, true},
		{targets.Options{"reads": "stale"}, false},
		{targets.Options{"image": "quay.io/coreos/etcd:" + Version}, true},
		{targets.Options{"image": "two words"}, false},
		{targets.Options{"binary": "/usr/local/bin/etcd"}, true},
		{targets.Options{"image": "quay.io/coreos/etcd:" + Version, "binary": "/x"}, false},
		{targets.Options{"tick": "1ms"}, false},
	} {
		_, err := targets.New("etcd", targets.Setup{RunID: "x", Nodes: 3}, tc.opts)
		if (err == nil) != tc.ok {
			t.Errorf("options %v: err = %v", tc.opts, err)
		}
	}
	if _, err := New(targets.Setup{RunID: "x"}, nil); err == nil {
		t.Error("zero nodes accepted")
	}
}

// The nested module must build the version the target names (and caches
// the binary under).
func TestBuildModuleVersion(t *testing.T) {
	dir, err := FindBuildModule()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^require go\.etcd\.io/etcd/server/v3 (v\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s/go.mod has no direct require of go.etcd.io/etcd/server/v3", dir)
	}
	if string(m[1]) != Version {
		t.Fatalf("etcdbuild requires %s, targets/etcd.Version is %s", m[1], Version)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.sum")); err != nil {
		t.Fatalf("etcdbuild has no go.sum: %v", err)
	}
	bin, err := CachedBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bin, Version) {
		t.Fatalf("cache path %s is not keyed by version", bin)
	}
}

func TestMemberFlags(t *testing.T) {
	got := strings.Join(memberFlags("n2", []string{"n1", "n2", "n3"}, "faultline-r1"), " ")
	for _, want := range []string{
		"--name n2",
		"--initial-cluster n1=http://n1:2380,n2=http://n2:2380,n3=http://n3:2380",
		"--initial-advertise-peer-urls http://n2:2380",
		"--advertise-client-urls http://n2:2379",
		"--listen-client-urls http://0.0.0.0:2379",
		"--initial-cluster-token faultline-r1",
		"--data-dir /data/etcd",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("flags %q lack %q", got, want)
		}
	}
}
