package netfault

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/faultline-io/faultline/targets"
)

func init() { targets.RegisterNodeProgram("netfault", Main) }

// Command is a parsed netfault command line.
type Command struct {
	Op     string       // "apply" or "heal"
	Table  string       // nftables table name (family inet)
	Drop   []netip.Addr // apply: sources to drop
	Reject bool         // apply: reject with icmpx admin-prohibited instead of dropping
}

const usage = "usage: netfault apply --drop IP[,IP...] [--reject] [--table NAME] | netfault heal [--table NAME]"

// Parse parses `apply --drop ip,ip [--reject] [--table name]` or
// `heal [--table name]`.
func Parse(args []string) (Command, error) {
	if len(args) == 0 {
		return Command{}, errors.New("netfault: missing operation; " + usage)
	}
	cmd := Command{Op: args[0]}
	fs := flag.NewFlagSet("netfault "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cmd.Table, "table", DefaultTable, "nftables table (family inet) the agent owns")
	var drop string
	dropSet := false
	switch cmd.Op {
	case "apply":
		fs.Func("drop", "comma-separated IPv4 sources to drop", func(s string) error {
			drop, dropSet = s, true
			return nil
		})
		fs.BoolVar(&cmd.Reject, "reject", false, "reject (icmpx admin-prohibited) instead of dropping")
	case "heal":
	default:
		return Command{}, fmt.Errorf("netfault: unknown operation %q; %s", cmd.Op, usage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return Command{}, fmt.Errorf("netfault %s: %v; %s", cmd.Op, err, usage)
	}
	if fs.NArg() > 0 {
		return Command{}, fmt.Errorf("netfault %s: unexpected argument %q; %s", cmd.Op, fs.Arg(0), usage)
	}
	if err := checkTableName(cmd.Table); err != nil {
		return Command{}, err
	}
	if cmd.Op == "apply" {
		if !dropSet || strings.TrimSpace(drop) == "" {
			return Command{}, fmt.Errorf("netfault apply: --drop needs at least one IPv4 address (to remove all rules use heal); %s", usage)
		}
		seen := map[netip.Addr]bool{}
		for _, f := range strings.Split(drop, ",") {
			f = strings.TrimSpace(f)
			a, err := netip.ParseAddr(f)
			if err != nil {
				return Command{}, fmt.Errorf("netfault apply: --drop: %q is not an IP address", f)
			}
			if !a.Is4() {
				return Command{}, fmt.Errorf("netfault apply: --drop: %s is not an IPv4 address", a)
			}
			if !seen[a] {
				seen[a] = true
				cmd.Drop = append(cmd.Drop, a)
			}
		}
	}
	return cmd, nil
}

// Main is the node program `faultline node netfault ARGS…`.
func Main(ctx context.Context, args []string) error {
	cmd, err := Parse(args)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if cmd.Op == "heal" {
		return Heal(cmd.Table)
	}
	return Apply(cmd.Table, cmd.Drop, cmd.Reject)
}
