package netfault

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/vishvananda/netlink"
)

// The agent's egress qdisc tree on the node's uplink:
//
//	htb fa17: (root, default class fa17:20)
//	├── class fa17:10  the shaped class, rate = Shape.RateBits (or unlimited)
//	│   └── netem fa18: (only when the shape needs delay, jitter, duplicates or reordering)
//	└── class fa17:20  everything else, unlimited
//
// Packets to ShapeTo are put in fa17:10 by the output chain, which sets
// their priority to the class id (htb's own classification), so no tc
// filter module is needed, and traffic to the controller is not shaped.
const (
	qdiscMajor   = 0xfa17
	netemMajor   = 0xfa18
	shapedMinor  = 0x10
	defaultMinor = 0x20
	shapedClass  = qdiscMajor<<16 | shapedMinor
	// unlimitedBits is the rate of classes that should not limit.
	unlimitedBits = 10_000_000_000
)

var rootHandle = netlink.MakeHandle(qdiscMajor, 0)

// uplink is the node's first non-loopback interface (eth0 in Docker).
func uplink() (netlink.Link, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("netfault: list links: %w", hint(err))
	}
	for _, l := range links {
		if l.Attrs().Flags&net.FlagLoopback == 0 {
			return l, nil
		}
	}
	return nil, errors.New("netfault: the namespace has no interface besides loopback")
}

// installShape builds (or updates in place) the qdisc tree for s.
func installShape(s Shape) error {
	l, err := uplink()
	if err != nil {
		return err
	}
	return shapeLink(l.Attrs().Index, rootHandle, netemMajor, s)
}

func shapeLink(link int, root uint32, netemMaj uint16, s Shape) error {
	maj := uint16(root >> 16)
	l, err := netlink.LinkByIndex(link)
	if err != nil {
		return fmt.Errorf("netfault: link %d: %w", link, err)
	}
	have, err := findQdisc(l, netlink.HANDLE_ROOT, root)
	if err != nil {
		return err
	}
	// htb cannot be changed in place (the kernel answers EINVAL), so an
	// existing tree of ours is kept and only its classes are replaced.
	if have == nil || have.Type() != "htb" {
		htb := netlink.NewHtb(netlink.QdiscAttrs{LinkIndex: link, Handle: root, Parent: netlink.HANDLE_ROOT})
		htb.Defcls = defaultMinor
		if err := netlink.QdiscReplace(htb); err != nil {
			return fmt.Errorf("netfault: install htb qdisc: %w", hint(err))
		}
	}
	rate := s.RateBits
	if rate == 0 {
		rate = unlimitedBits
	}
	for _, c := range []struct {
		minor uint16
		bits  uint64
	}{{shapedMinor, rate}, {defaultMinor, unlimitedBits}} {
		cl := netlink.NewHtbClass(
			netlink.ClassAttrs{LinkIndex: link, Parent: root, Handle: netlink.MakeHandle(maj, c.minor)},
			netlink.HtbClassAttrs{Rate: c.bits, Ceil: c.bits})
		if err := netlink.ClassReplace(cl); err != nil {
			return fmt.Errorf("netfault: htb class %x:%x: %w", maj, c.minor, hint(err))
		}
	}
	attrs := netlink.QdiscAttrs{LinkIndex: link, Parent: netlink.MakeHandle(maj, shapedMinor), Handle: netlink.MakeHandle(netemMaj, 0)}
	if !s.needsNetem() {
		return removeQdisc(l, attrs.Parent, attrs.Handle)
	}
	ne := netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{
		Latency:     uint32(s.Delay.Microseconds()),
		Jitter:      uint32(s.Jitter.Microseconds()),
		Duplicate:   float32(s.DuplicatePercent),
		ReorderProb: float32(s.ReorderPercent),
		Limit:       10000,
	})
	if err := netlink.QdiscReplace(ne); err != nil {
		if noQdisc(err) {
			return fmt.Errorf("this kernel has no sch_netem (adding a netem qdisc failed: %v)", err)
		}
		return fmt.Errorf("netfault: install netem: %w", hint(err))
	}
	return nil
}

// removeShape deletes the agent's root qdisc from the uplink, if present
// (the kernel's default qdisc comes back).
func removeShape() error {
	l, err := uplink()
	if err != nil {
		return err
	}
	return unshapeLink(l)
}

func unshapeLink(l netlink.Link) error { return removeQdisc(l, netlink.HANDLE_ROOT, rootHandle) }

// noQdisc says the kernel does not know the qdisc (its kind is not
// built in, or the instance does not exist).
func noQdisc(err error) bool { return errors.Is(err, syscall.ENOENT) }

// findQdisc returns l's qdisc with that parent and handle, or nil.
func findQdisc(l netlink.Link, parent, handle uint32) (netlink.Qdisc, error) {
	qs, err := netlink.QdiscList(l)
	if err != nil {
		return nil, fmt.Errorf("netfault: list qdiscs: %w", hint(err))
	}
	for _, q := range qs {
		if a := q.Attrs(); a.Parent == parent && a.Handle == handle {
			return q, nil
		}
	}
	return nil, nil
}

// removeQdisc deletes l's qdisc with that parent and handle, if there is
// one (deleting one that is not there fails with EINVAL, not ENOENT).
func removeQdisc(l netlink.Link, parent, handle uint32) error {
	q, err := findQdisc(l, parent, handle)
	if err != nil || q == nil {
		return err
	}
	if err := netlink.QdiscDel(q); err != nil && !noQdisc(err) {
		return fmt.Errorf("netfault: remove %s qdisc: %w", q.Type(), hint(err))
	}
	return nil
}
