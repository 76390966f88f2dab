package netfault

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-io/faultline/targets"
)

func init() { targets.RegisterNodeProgram("netfault", Main) }

// Command is a parsed netfault command line.
type Command struct {
	Op    string // "apply", "heal" or "probe"
	Table string // nftables table name (family inet)
	Rules Rules  // apply
}

const usage = "usage: netfault apply [--drop IP,… [--reject] [--one-way]] [--loss PCT --loss-from IP,…] " +
	"[--shape-to IP,… [--rate BITS/S] [--delay D [--jitter D] [--reorder PCT]] [--duplicate PCT]] [--table NAME]" +
	" | netfault heal [--table NAME] | netfault probe [--table NAME]"

// Parse parses a netfault command line (see usage).
func Parse(args []string) (Command, error) {
	if len(args) == 0 {
		return Command{}, errors.New("netfault: missing operation; " + usage)
	}
	cmd := Command{Op: args[0]}
	fs := flag.NewFlagSet("netfault "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cmd.Table, "table", DefaultTable, "nftables table (family inet) the agent owns")
	r := &cmd.Rules
	set := map[string]bool{}
	addrs := func(name string, dst *[]netip.Addr) {
		fs.Func(name, "comma-separated IPv4 addresses", func(s string) error {
			set[name] = true
			a, err := parseAddrs(s)
			*dst = a
			return err
		})
	}
	percent := func(name string, dst *float64) {
		fs.Func(name, "percentage (0, 100]", func(s string) error {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
			if err != nil || v <= 0 || v > 100 {
				return fmt.Errorf("%q is not a percentage in (0, 100]", s)
			}
			*dst = v
			return nil
		})
	}
	switch cmd.Op {
	case "apply":
		addrs("drop", &r.Drop)
		fs.BoolVar(&r.Reject, "reject", false, "reject (icmpx admin-prohibited) instead of dropping")
		fs.BoolVar(&r.OneWay, "one-way", false, "drop only what the sources initiate (ct direction original)")
		percent("loss", &r.LossPercent)
		addrs("loss-from", &r.LossFrom)
		addrs("shape-to", &r.ShapeTo)
		fs.Uint64Var(&r.Shape.RateBits, "rate", 0, "egress bandwidth towards --shape-to, bits per second")
		fs.DurationVar(&r.Shape.Delay, "delay", 0, "egress delay towards --shape-to (needs sch_netem)")
		fs.DurationVar(&r.Shape.Jitter, "jitter", 0, "variation of --delay (needs sch_netem)")
		percent("duplicate", &r.Shape.DuplicatePercent)
		percent("reorder", &r.Shape.ReorderPercent)
	case "heal", "probe":
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
		if set["drop"] && len(r.Drop) == 0 {
			return Command{}, fmt.Errorf("netfault apply: --drop needs at least one IPv4 address (to remove all rules use heal); %s", usage)
		}
		if err := r.validate(); err != nil {
			return Command{}, fmt.Errorf("netfault apply: %w; %s", err, usage)
		}
	}
	return cmd, nil
}

// parseAddrs reads "ip,ip,…" (IPv4, duplicates removed, order kept).
func parseAddrs(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address", f)
		}
		if !a.Is4() {
			return nil, fmt.Errorf("%s is not an IPv4 address", a)
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// Args is the command line that applies r (nil when r is empty: heal).
// It is the inverse of Parse, and stable, so the controller can compare
// what it applied with what it wants.
func (r Rules) Args() []string {
	if r.Empty() {
		return nil
	}
	join := func(a []netip.Addr) string {
		s := make([]string, len(a))
		for i, x := range a {
			s[i] = x.String()
		}
		return strings.Join(s, ",")
	}
	pct := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	args := []string{"apply"}
	if len(r.Drop) > 0 {
		args = append(args, "--drop", join(r.Drop))
		if r.Reject {
			args = append(args, "--reject")
		}
		if r.OneWay {
			args = append(args, "--one-way")
		}
	}
	if r.LossPercent > 0 && len(r.LossFrom) > 0 {
		args = append(args, "--loss", pct(r.LossPercent), "--loss-from", join(r.LossFrom))
	}
	if len(r.ShapeTo) > 0 && !r.Shape.empty() {
		args = append(args, "--shape-to", join(r.ShapeTo))
		s := r.Shape
		if s.RateBits > 0 {
			args = append(args, "--rate", strconv.FormatUint(s.RateBits, 10))
		}
		if s.Delay > 0 {
			args = append(args, "--delay", s.Delay.String())
		}
		if s.Jitter > 0 {
			args = append(args, "--jitter", s.Jitter.String())
		}
		if s.DuplicatePercent > 0 {
			args = append(args, "--duplicate", pct(s.DuplicatePercent))
		}
		if s.ReorderPercent > 0 {
			args = append(args, "--reorder", pct(s.ReorderPercent))
		}
	}
	return args
}

// Main is the node program `faultline node netfault ARGS…`. probe prints
// its Report as JSON on stdout.
func Main(ctx context.Context, args []string) error {
	cmd, err := Parse(args)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	switch cmd.Op {
	case "heal":
		return Heal(cmd.Table)
	case "probe":
		rep := Probe(cmd.Table)
		return json.NewEncoder(os.Stdout).Encode(rep)
	}
	return ApplyRules(cmd.Table, cmd.Rules)
}

// DefaultDelayLimit is how long netem may hold packets (its queue limit
// is sized from it).
const DefaultDelayLimit = 10 * time.Second
