package dockerrt

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
)

func TestChooseSubnetInsidePool(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	seen := map[netip.Prefix]bool{}
	for range 2000 {
		p, err := chooseSubnet(rnd, SubnetPool, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Bits() != 24 || !SubnetPool.Contains(p.Addr()) || p.Masked() != p {
			t.Fatalf("chose %s, want a /24 inside %s", p, SubnetPool)
		}
		seen[p] = true
	}
	if len(seen) < 200 {
		t.Errorf("only %d distinct subnets in 2000 draws; the choice is not random enough", len(seen))
	}
}

func TestChooseSubnetAvoidsUsedAndTried(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	// Everything but 10.213.77.0/24 is taken: a /17, a /18, … and single /24s.
	var used []netip.Prefix
	for i := 0; i < 256; i++ {
		if i != 77 && i != 78 {
			used = append(used, netip.MustParsePrefix(fmt.Sprintf("10.213.%d.0/24", i)))
		}
	}
	tried := map[netip.Prefix]bool{netip.MustParsePrefix("10.213.78.0/24"): true}
	for range 50 {
		p, err := chooseSubnet(rnd, SubnetPool, used, tried)
		if err != nil {
			t.Fatal(err)
		}
		if p != netip.MustParsePrefix("10.213.77.0/24") {
			t.Fatalf("chose %s, want the only free one 10.213.77.0/24", p)
		}
	}
	// A wider used network overlapping the pool counts too.
	used = []netip.Prefix{netip.MustParsePrefix("10.213.0.0/17")}
	for range 200 {
		p, _ := chooseSubnet(rnd, SubnetPool, used, nil)
		if p.Addr().As4()[2] < 128 {
			t.Fatalf("chose %s inside the used 10.213.0.0/17", p)
		}
	}
}

func TestChooseSubnetFull(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	_, err := chooseSubnet(rnd, SubnetPool, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, nil)
	if err == nil {
		t.Fatal("no error with the whole pool in use")
	}
	if _, err := chooseSubnet(rnd, netip.MustParsePrefix("10.1.2.0/25"), nil, nil); err == nil {
		t.Fatal("a pool smaller than /24 was accepted")
	}
	p, err := chooseSubnet(rnd, netip.MustParsePrefix("192.168.7.0/24"), nil, nil)
	if err != nil || p != netip.MustParsePrefix("192.168.7.0/24") {
		t.Fatalf("pool of one /24: got %s, %v", p, err)
	}
}

func TestNodeAddr(t *testing.T) {
	p := netip.MustParsePrefix("10.213.9.0/24")
	if got := nodeAddr(p, 0).String(); got != "10.213.9.10" {
		t.Errorf("first node: %s", got)
	}
	if got := nodeAddr(p, maxNodes-1).String(); got != "10.213.9.254" {
		t.Errorf("last node: %s", got)
	}
	if got := hostAddr(p, 1).String(); got != "10.213.9.1" {
		t.Errorf("gateway: %s", got)
	}
}

func TestIsSubnetClash(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{errors.New("Error response from daemon: Pool overlaps with other one on this address space"), true},
		{fmt.Errorf("wrapped: %w", cerrdefs.ErrConflict.WithMessage("network with name faultline-x already exists")), false},
		{cerrdefs.ErrConflict.WithMessage("requested subnet is in use"), true},
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := isSubnetClash(c.err); got != c.want {
			t.Errorf("isSubnetClash(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestClusterSpecValidate(t *testing.T) {
	ok := ClusterSpec{RunID: "t1234abcd", Image: "img", Nodes: []string{"n1", "n2"}, Port: 7000}
	if err := ok.validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*ClusterSpec){
		"empty run":      func(s *ClusterSpec) { s.RunID = "" },
		"bad run":        func(s *ClusterSpec) { s.RunID = "a/b" },
		"no image":       func(s *ClusterSpec) { s.Image = "" },
		"no nodes":       func(s *ClusterSpec) { s.Nodes = nil },
		"dup node":       func(s *ClusterSpec) { s.Nodes = []string{"n1", "n1"} },
		"bad node":       func(s *ClusterSpec) { s.Nodes = []string{"N_1"} },
		"too many nodes": func(s *ClusterSpec) { s.Nodes = make([]string, maxNodes+1) },
		"bad port":       func(s *ClusterSpec) { s.Port = 70000 },
	} {
		s := ok
		mut(&s)
		if err := s.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
