// Package nodeconf is what the bundled node programs (`faultline node
// raft`, `faultline node paxos`) share in their configuration: the
// membership they are started with (--id, --peers, --data) and the table
// of seeded bugs they accept with --bug.
package nodeconf

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/faultline-io/faultline/targets"
)

// Bugs is a node program's table of seeded bugs, in the form `faultline
// targets` lists them.
type Bugs []targets.BugSpec

// Lookup returns the bug called name.
func (bs Bugs) Lookup(name string) (targets.BugSpec, bool) {
	for _, b := range bs {
		if b.Name == name {
			return b, true
		}
	}
	return targets.BugSpec{}, false
}

// Names lists the bugs' names, in table order.
func (bs Bugs) Names() []string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name
	}
	return names
}

// Check accepts "" (no bug) and the name of a bug in the table.
func (bs Bugs) Check(name string) error {
	if name == "" {
		return nil
	}
	if _, ok := bs.Lookup(name); ok {
		return nil
	}
	return fmt.Errorf("unknown bug %q (have: %s)", name, strings.Join(bs.Names(), ", "))
}

// CheckMembership validates what every node needs to start: a positive
// id among well-formed peers, and a data directory.
func CheckMembership(id uint64, peers map[uint64]string, dataDir string) error {
	if id == 0 {
		return errors.New("node id must be positive")
	}
	if len(peers) == 0 {
		return errors.New("no peers")
	}
	for pid, addr := range peers {
		if pid == 0 {
			return errors.New("peer id must be positive")
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("peer %d: bad address %q: %v", pid, addr, err)
		}
	}
	if _, ok := peers[id]; !ok {
		return fmt.Errorf("node id %d is not among the peers (%s)", id, FormatPeers(peers))
	}
	if dataDir == "" {
		return errors.New("no data dir")
	}
	return nil
}

// ParsePeers parses "1=n1:7000,2=n2:7000,3=n3:7000".
func ParsePeers(s string) (map[uint64]string, error) {
	peers := map[uint64]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		idStr, addr, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("peer %q: want ID=HOST:PORT", part)
		}
		id, err := strconv.ParseUint(idStr, 10, 64)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("peer %q: id must be a positive integer", part)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("peer %q: want ID=HOST:PORT", part)
		}
		if _, dup := peers[id]; dup {
			return nil, fmt.Errorf("peer id %d given twice", id)
		}
		peers[id] = addr
	}
	if len(peers) == 0 {
		return nil, errors.New("no peers given")
	}
	return peers, nil
}

// FormatPeers is the inverse of ParsePeers, in id order.
func FormatPeers(p map[uint64]string) string {
	ids := SortedIDs(p)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%d=%s", id, p[id])
	}
	return strings.Join(parts, ",")
}

// SortedIDs returns the peers' ids in increasing order.
func SortedIDs(p map[uint64]string) []uint64 {
	ids := make([]uint64, 0, len(p))
	for id := range p {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
