package netfault

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// DefaultTable is the name of the nftables table (family inet) the agent
// owns.
const DefaultTable = "faultline"

// Chain names inside the table.
const (
	ChainName   = "input"  // drops and losses, on packets arriving
	OutputChain = "output" // classifies packets leaving for shaping
)

// Rules is everything the agent imposes on one node's namespace.
type Rules struct {
	// Drop lists the sources whose packets are dropped (a partition).
	Drop []netip.Addr
	// Reject answers dropped packets with ICMP(x) admin-prohibited.
	Reject bool
	// OneWay drops only packets of flows the source initiated (conntrack
	// direction "original"): connections the node itself opens to a
	// dropped source keep working, answers included.
	OneWay bool
	// LossPercent of the packets from LossFrom are dropped at random.
	LossPercent float64
	LossFrom    []netip.Addr
	// Shape applies to packets this node sends to ShapeTo.
	ShapeTo []netip.Addr
	Shape   Shape
}

// Shape is egress shaping: a rate through htb, and netem's delay,
// jitter, duplication and reordering where the kernel has sch_netem.
type Shape struct {
	RateBits         uint64 // bits per second; 0 = unlimited
	Delay, Jitter    time.Duration
	DuplicatePercent float64
	ReorderPercent   float64
}

func (s Shape) empty() bool {
	return s.RateBits == 0 && s.Delay == 0 && s.Jitter == 0 && s.DuplicatePercent == 0 && s.ReorderPercent == 0
}

// needsNetem says whether the shape needs sch_netem (anything but a rate).
func (s Shape) needsNetem() bool {
	return s.Delay > 0 || s.Jitter > 0 || s.DuplicatePercent > 0 || s.ReorderPercent > 0
}

// Empty says there is nothing to impose: the namespace should be healed.
func (r Rules) Empty() bool {
	return len(r.Drop) == 0 && (r.LossPercent == 0 || len(r.LossFrom) == 0) && (len(r.ShapeTo) == 0 || r.Shape.empty())
}

func (r Rules) validate() error {
	for _, set := range [][]netip.Addr{r.Drop, r.LossFrom, r.ShapeTo} {
		for _, a := range set {
			if !a.Is4() {
				return fmt.Errorf("%s is not an IPv4 address", a)
			}
		}
	}
	if r.LossPercent < 0 || r.LossPercent > 100 {
		return fmt.Errorf("loss %v%% is not a percentage", r.LossPercent)
	}
	if (r.LossPercent > 0) != (len(r.LossFrom) > 0) {
		return errors.New("--loss and --loss-from go together")
	}
	if (len(r.ShapeTo) > 0) != !r.Shape.empty() {
		return errors.New("--shape-to and a shape (--rate, --delay, --jitter, --duplicate, --reorder) go together")
	}
	if r.Shape.Jitter > 0 && r.Shape.Delay == 0 {
		return errors.New("--jitter needs --delay")
	}
	if r.Shape.ReorderPercent > 0 && r.Shape.Delay == 0 {
		return errors.New("--reorder needs --delay (netem reorders against a delay)")
	}
	if r.Shape.Delay > DefaultDelayLimit {
		return fmt.Errorf("--delay %v is longer than %v", r.Shape.Delay, DefaultDelayLimit)
	}
	if r.Empty() {
		return errors.New("nothing to apply: give --drop, --loss with --loss-from, or --shape-to with a shape (to remove all rules use heal)")
	}
	return nil
}

// Apply installs a partition: table `inet <table>` dropping (or
// rejecting) every IPv4 packet whose source is in dropFrom. It is
// ApplyRules with only Drop and Reject set; an empty dropFrom leaves an
// empty input chain.
func Apply(table string, dropFrom []netip.Addr, reject bool) error {
	if table == "" {
		table = DefaultTable
	}
	if err := checkTableName(table); err != nil {
		return err
	}
	r := Rules{Drop: dropFrom, Reject: reject}
	if err := r.validateAddrs(); err != nil {
		return err
	}
	return writeTable(table, r)
}

func (r Rules) validateAddrs() error {
	for _, set := range [][]netip.Addr{r.Drop, r.LossFrom, r.ShapeTo} {
		for _, a := range set {
			if !a.Is4() {
				return fmt.Errorf("netfault: %s is not an IPv4 address", a)
			}
		}
	}
	return nil
}

// ApplyRules makes the namespace hold exactly r: first the egress
// qdisc (installed, replaced or removed), then, in one atomic nftables
// batch, table `inet <table>` with an input chain (hook input, filter
// priority) for drops and losses and an output chain that classifies
// packets to ShapeTo into the shaped class. Any previous version of the
// table is replaced in the same batch, so there is no moment without
// rules and no moment with a mix of old and new ones.
func ApplyRules(table string, r Rules) error {
	if table == "" {
		table = DefaultTable
	}
	if err := checkTableName(table); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return fmt.Errorf("netfault: %w", err)
	}
	shaped := len(r.ShapeTo) > 0
	if shaped {
		if err := installShape(r.Shape); err != nil {
			return err
		}
	} else if err := removeShape(); err != nil {
		return err
	}
	return writeTable(table, r)
}

func writeTable(table string, r Rules) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("netfault: open netlink: %w", err)
	}
	t := &nftables.Table{Name: table, Family: nftables.TableFamilyINet}
	// add (a no-op when it exists), delete, add: replaces any earlier
	// version of the table atomically, as `nft add table; delete table;
	// add table` in one file does.
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	policy := nftables.ChainPolicyAccept
	in := c.AddChain(&nftables.Chain{
		Name:     ChainName,
		Table:    t,
		Type:     nftables.ChainTypeFilter,
		Hooknum:  nftables.ChainHookInput,
		Priority: nftables.ChainPriorityFilter,
		Policy:   &policy,
	})
	for _, a := range r.Drop {
		c.AddRule(&nftables.Rule{Table: t, Chain: in, Exprs: dropExprs(a, r.Reject, r.OneWay)})
	}
	if r.LossPercent > 0 {
		for _, a := range r.LossFrom {
			c.AddRule(&nftables.Rule{Table: t, Chain: in, Exprs: lossExprs(a, r.LossPercent)})
		}
	}
	if len(r.ShapeTo) > 0 {
		out := c.AddChain(&nftables.Chain{
			Name:     OutputChain,
			Table:    t,
			Type:     nftables.ChainTypeFilter,
			Hooknum:  nftables.ChainHookOutput,
			Priority: nftables.ChainPriorityFilter,
			Policy:   &policy,
		})
		for _, a := range r.ShapeTo {
			c.AddRule(&nftables.Rule{Table: t, Chain: out, Exprs: classifyExprs(a)})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("netfault: apply table inet %s: %w", table, hint(err))
	}
	return nil
}

// matchAddr matches `meta nfproto ipv4 ip saddr|daddr <a>`.
func matchAddr(a netip.Addr, dest bool) []expr.Any {
	ip := a.As4()
	off := uint32(12) // IPv4 source address: 4 bytes at offset 12 of the network header
	if dest {
		off = 16
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip[:]},
	}
}

// ruleExprs is `ip saddr <a> counter drop|reject` (a partition rule).
func ruleExprs(a netip.Addr, reject bool) []expr.Any { return dropExprs(a, reject, false) }

// dropExprs matches `meta nfproto ipv4 ip saddr <a> [ct direction
// original] counter drop|reject`.
func dropExprs(a netip.Addr, reject, oneWay bool) []expr.Any {
	e := matchAddr(a, false)
	if oneWay {
		// Only packets of flows <a> started: the node's own connections
		// to <a> see <a>'s answers in the "reply" direction.
		e = append(e,
			&expr.Ct{Register: 1, Key: expr.CtKeyDIRECTION},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0}}, // IP_CT_DIR_ORIGINAL
		)
	}
	var verdict expr.Any = &expr.Verdict{Kind: expr.VerdictDrop}
	if reject {
		verdict = &expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_ADMIN_PROHIBITED}
	}
	return append(e, &expr.Counter{}, verdict)
}

// lossScale is the resolution of the loss percentage (0.01 %).
const lossScale = 10000

// lossExprs is `ip saddr <a> numgen random mod 10000 < pct*100 counter
// drop`. numgen leaves a host-endian number and cmp compares bytes, so
// the number is turned big-endian first.
func lossExprs(a netip.Addr, pct float64) []expr.Any {
	threshold := uint32(pct * lossScale / 100)
	return append(matchAddr(a, false),
		&expr.Numgen{Register: 1, Modulus: lossScale, Type: unix.NFT_NG_RANDOM},
		&expr.Byteorder{SourceRegister: 1, DestRegister: 1, Op: expr.ByteorderHton, Len: 4, Size: 4},
		&expr.Cmp{Op: expr.CmpOpLt, Register: 1, Data: binaryutil.BigEndian.PutUint32(threshold)},
		&expr.Counter{},
		&expr.Verdict{Kind: expr.VerdictDrop},
	)
}

// classifyExprs is `ip daddr <a> meta priority set <shaped class>`: htb
// puts a packet whose priority names one of its classes into that class.
func classifyExprs(a netip.Addr) []expr.Any {
	return append(matchAddr(a, true),
		&expr.Immediate{Register: 1, Data: binaryutil.NativeEndian.PutUint32(shapedClass)},
		&expr.Meta{Key: expr.MetaKeyPRIORITY, SourceRegister: true, Register: 1},
		&expr.Counter{},
	)
}

// Heal deletes table `inet <table>` and the agent's egress qdisc. What
// is already gone counts as healed. Nothing else in the namespace is
// touched.
func Heal(table string) error {
	if table == "" {
		table = DefaultTable
	}
	if err := checkTableName(table); err != nil {
		return err
	}
	if err := removeShape(); err != nil {
		return err
	}
	return deleteTable(table)
}

func deleteTable(table string) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("netfault: open netlink: %w", err)
	}
	if _, err := c.ListTableOfFamily(table, nftables.TableFamilyINet); err != nil {
		if isNotExist(err) {
			return nil
		}
		return fmt.Errorf("netfault: look up table inet %s: %w", table, hint(err))
	}
	c.DelTable(&nftables.Table{Name: table, Family: nftables.TableFamilyINet})
	if err := c.Flush(); err != nil {
		if isNotExist(err) { // deleted between the look-up and now
			return nil
		}
		return fmt.Errorf("netfault: delete table inet %s: %w", table, hint(err))
	}
	return nil
}

func isNotExist(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, os.ErrNotExist)
}

// hint adds the usual cause to a permission error.
func hint(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (the agent needs CAP_NET_ADMIN in the node's network namespace)", err)
	}
	return err
}

// checkTableName accepts the names nft itself accepts without quoting.
func checkTableName(name string) error {
	if len(name) > 64 {
		return fmt.Errorf("netfault: table name %q is longer than 64 bytes", name)
	}
	for i, r := range name {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("netfault: bad table name %q: use letters, digits and _ (not starting with a digit)", name)
		}
	}
	return nil
}
