package dockerrt

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
)

// SubnetPool is where run networks get their /24.
var SubnetPool = netip.MustParsePrefix("10.213.0.0/16")

// firstNodeHost is the host number of the first node: n1 is .10.
const firstNodeHost = 10

// maxNodes is how many nodes fit in a /24 from .10 to .254.
const maxNodes = 254 - firstNodeHost + 1

// chooseSubnet picks a random /24 inside pool that overlaps none of used
// and none of tried (subnets that failed before).
func chooseSubnet(rnd *rand.Rand, pool netip.Prefix, used []netip.Prefix, tried map[netip.Prefix]bool) (netip.Prefix, error) {
	pool = pool.Masked()
	if !pool.Addr().Is4() || pool.Bits() > 24 {
		return netip.Prefix{}, fmt.Errorf("subnet pool %s must be IPv4 and hold at least one /24", pool)
	}
	n := 1 << (24 - pool.Bits())
	base := pool.Addr().As4()
	baseN := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8
	var free []netip.Prefix
	for i := 0; i < n; i++ {
		v := baseN + uint32(i)<<8
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), 0}), 24)
		if tried[p] || overlapsAny(p, used) {
			continue
		}
		free = append(free, p)
	}
	if len(free) == 0 {
		return netip.Prefix{}, fmt.Errorf("no free /24 left in %s (remove old networks with `faultline clean`)", pool)
	}
	return free[rnd.IntN(len(free))], nil
}

func overlapsAny(p netip.Prefix, used []netip.Prefix) bool {
	for _, u := range used {
		if p.Overlaps(u) {
			return true
		}
	}
	return false
}

// hostAddr is host number h (0..255) of a /24.
func hostAddr(p netip.Prefix, h int) netip.Addr {
	a := p.Masked().Addr().As4()
	a[3] = byte(h)
	return netip.AddrFrom4(a)
}

// nodeAddr is the pinned address of the i-th node (0-based): .10, .11, …
func nodeAddr(p netip.Prefix, i int) netip.Addr { return hostAddr(p, firstNodeHost+i) }

// isSubnetClash reports whether a network-create error means the chosen
// subnet is taken (so another one may work), as opposed to a name clash or
// any other failure.
func isSubnetClash(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "overlap") {
		return true // "Pool overlaps with other one on this address space"
	}
	if strings.Contains(msg, "already exists") {
		return false // a network of that name: retrying a subnet does not help
	}
	var conflict bool
	if cerrdefs.IsConflict(err) || errors.Is(err, cerrdefs.ErrConflict) {
		conflict = true
	}
	return conflict && (strings.Contains(msg, "subnet") || strings.Contains(msg, "pool") || strings.Contains(msg, "address"))
}
