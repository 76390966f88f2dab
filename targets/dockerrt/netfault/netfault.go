// Package netfault is the nftables agent that runs inside a one-shot
// sidecar container sharing a node's network namespace (see
// targets/dockerrt). It is the node program `faultline node netfault`.
//
// All its rules live in a table of their own, `inet faultline` by default,
// so that applying and healing never touch the rules Docker keeps in the
// same namespace (the NAT rules of the embedded DNS server): it never
// flushes the ruleset, and it heals by deleting its table.
//
// It works in the current network namespace only. Entering another
// namespace (setns) needs CAP_SYS_ADMIN, which the sidecar does not have;
// the sidecar gets the node's namespace from Docker instead
// (NetworkMode "container:<id>") and CAP_NET_ADMIN only.
package netfault

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// DefaultTable is the name of the nftables table (family inet) the agent
// owns.
const DefaultTable = "faultline"

// ChainName is the name of the input chain inside the table.
const ChainName = "input"

// Apply installs, in one atomic batch, table `inet <table>` with an input
// chain (hook input, filter priority) that drops every IPv4 packet whose
// source address is in dropFrom, or rejects it with ICMP(x)
// admin-prohibited when reject is true. Any previous version of the table
// is replaced in the same batch, so there is no moment without rules and
// no moment with a mix of old and new ones. An empty dropFrom leaves an
// empty chain. Only IPv4 addresses are accepted.
func Apply(table string, dropFrom []netip.Addr, reject bool) error {
	if table == "" {
		table = DefaultTable
	}
	if err := checkTableName(table); err != nil {
		return err
	}
	for _, a := range dropFrom {
		if !a.Is4() {
			return fmt.Errorf("netfault: %s is not an IPv4 address", a)
		}
	}
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
	ch := c.AddChain(&nftables.Chain{
		Name:     ChainName,
		Table:    t,
		Type:     nftables.ChainTypeFilter,
		Hooknum:  nftables.ChainHookInput,
		Priority: nftables.ChainPriorityFilter,
		Policy:   &policy,
	})
	for _, a := range dropFrom {
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: ruleExprs(a, reject)})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("netfault: apply table inet %s: %w", table, hint(err))
	}
	return nil
}

// ruleExprs matches `meta nfproto ipv4 ip saddr <a> counter drop|reject`.
func ruleExprs(a netip.Addr, reject bool) []expr.Any {
	ip := a.As4()
	var verdict expr.Any = &expr.Verdict{Kind: expr.VerdictDrop}
	if reject {
		verdict = &expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_ADMIN_PROHIBITED}
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}},
		// IPv4 source address: 4 bytes at offset 12 of the network header.
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip[:]},
		&expr.Counter{},
		verdict,
	}
}

// Heal deletes table `inet <table>`. A table that is already gone counts
// as healed. Nothing else in the namespace is touched.
func Heal(table string) error {
	if table == "" {
		table = DefaultTable
	}
	if err := checkTableName(table); err != nil {
		return err
	}
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
