package netfault

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
)

// Report is what Probe found: for each kernel feature the packet faults
// rely on, "" when it works, else why not.
type Report struct {
	Numgen string `json:"numgen"` // nftables random numbers: loss
	Htb    string `json:"htb"`    // htb qdisc: rate limits (and the class netem hangs from)
	Netem  string `json:"netem"`  // sch_netem: delay, jitter, duplication, reordering
}

// Probe tries, without disturbing the node, each kernel feature: a loss
// rule in a scratch table (<table>_probe, removed at once), and an htb
// and a netem qdisc on the loopback interface (removed at once).
func Probe(table string) Report {
	var r Report
	r.Numgen = errText(probeNumgen(table + "_probe"))
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		r.Htb = "no loopback interface to probe on: " + err.Error()
		r.Netem = r.Htb
		return r
	}
	const probeMajor = 0xfa19
	root := netlink.MakeHandle(probeMajor, 0)
	r.Htb = errText(shapeLink(lo.Attrs().Index, root, probeMajor+1, Shape{RateBits: 1_000_000}))
	if r.Htb == "" {
		r.Netem = errText(shapeLink(lo.Attrs().Index, root, probeMajor+1, Shape{Delay: time.Millisecond}))
	} else {
		r.Netem = "needs htb to hang from, which failed"
	}
	if err := removeQdisc(lo, netlink.HANDLE_ROOT, root); err != nil && r.Htb == "" {
		r.Htb = "could not remove the probe qdisc: " + err.Error()
	}
	return r
}

func probeNumgen(table string) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("open netlink: %w", hint(err))
	}
	t := &nftables.Table{Name: table, Family: nftables.TableFamilyINet}
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	ch := c.AddChain(&nftables.Chain{Name: ChainName, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter})
	// 192.0.2.1 (TEST-NET-1) never sends anything here.
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: lossExprs(netip.MustParseAddr("192.0.2.1"), 30)})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables numgen rule: %w", hint(err))
	}
	return deleteTable(table)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
