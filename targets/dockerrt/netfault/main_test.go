package netfault

import (
	"context"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		args []string
		want Command
	}{
		{[]string{"heal"}, Command{Op: "heal", Table: "faultline"}},
		{[]string{"probe"}, Command{Op: "probe", Table: "faultline"}},
		{[]string{"heal", "--table", "chaos_1"}, Command{Op: "heal", Table: "chaos_1"}},
		{[]string{"apply", "--drop", "10.213.4.11"}, Command{Op: "apply", Table: "faultline", Rules: Rules{Drop: addrs("10.213.4.11")}}},
		{[]string{"apply", "--drop=10.213.4.11, 10.213.4.12,10.213.4.11", "--reject", "--one-way", "--table", "t"},
			Command{Op: "apply", Table: "t", Rules: Rules{Reject: true, OneWay: true, Drop: addrs("10.213.4.11", "10.213.4.12")}}},
		{[]string{"apply", "--loss", "30%", "--loss-from", "10.0.0.2,10.0.0.3"},
			Command{Op: "apply", Table: "faultline", Rules: Rules{LossPercent: 30, LossFrom: addrs("10.0.0.2", "10.0.0.3")}}},
		{[]string{"apply", "--shape-to", "10.0.0.2", "--rate", "1000000", "--delay", "50ms", "--jitter", "10ms", "--reorder", "5", "--duplicate", "1.5"},
			Command{Op: "apply", Table: "faultline", Rules: Rules{ShapeTo: addrs("10.0.0.2"),
				Shape: Shape{RateBits: 1000000, Delay: 50 * time.Millisecond, Jitter: 10 * time.Millisecond, ReorderPercent: 5, DuplicatePercent: 1.5}}}},
	} {
		got, err := Parse(c.args)
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: got %+v, want %+v", c.args, got, c.want)
		}
		// Args is Parse's inverse.
		if got.Op == "apply" {
			again, err := Parse(got.Rules.Args())
			if err != nil || !reflect.DeepEqual(again.Rules, got.Rules) {
				t.Errorf("%v: Args() = %v parses to %+v, %v", c.args, got.Rules.Args(), again.Rules, err)
			}
		}
	}
	if (Rules{}).Args() != nil || !(Rules{LossPercent: 5}).Empty() {
		t.Error("empty rules should mean heal")
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "missing operation"},
		{[]string{"flush"}, `unknown operation "flush"`},
		{[]string{"apply"}, "nothing to apply"},
		{[]string{"apply", "--drop", ""}, "--drop needs at least one IPv4 address"},
		{[]string{"apply", "--drop", "n2"}, `"n2" is not an IP address`},
		{[]string{"apply", "--drop", "10.0.0.1,,10.0.0.2"}, `"" is not an IP address`},
		{[]string{"apply", "--drop", "fd00::1"}, "fd00::1 is not an IPv4 address"},
		{[]string{"apply", "--drop", "10.0.0.1", "extra"}, `unexpected argument "extra"`},
		{[]string{"apply", "--drop", "10.0.0.1", "--table", "bad-name"}, "bad table name"},
		{[]string{"apply", "--drop", "10.0.0.1", "--table", "1abc"}, "bad table name"},
		{[]string{"apply", "--loss", "30"}, "--loss and --loss-from go together"},
		{[]string{"apply", "--loss", "130", "--loss-from", "10.0.0.1"}, "not a percentage"},
		{[]string{"apply", "--rate", "1000"}, "--shape-to and a shape"},
		{[]string{"apply", "--shape-to", "10.0.0.1", "--jitter", "5ms"}, "--jitter needs --delay"},
		{[]string{"apply", "--shape-to", "10.0.0.1", "--reorder", "5"}, "--reorder needs --delay"},
		{[]string{"heal", "--drop", "10.0.0.1"}, "flag provided but not defined: -drop"},
		{[]string{"heal", "--reject"}, "flag provided but not defined: -reject"},
	} {
		_, err := Parse(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want one containing %q", c.args, err, c.want)
		}
	}
}

func TestMainRejectsBadArgsBeforeTouchingNetlink(t *testing.T) {
	if err := Main(context.Background(), []string{"apply", "--drop", "nope"}); err == nil {
		t.Fatal("Main accepted bad arguments")
	}
}

func TestApplyValidatesBeforeTouchingNetlink(t *testing.T) {
	if err := Apply("faultline", addrs("::1"), false); err == nil || !strings.Contains(err.Error(), "IPv4") {
		t.Errorf("IPv6 source: err = %v", err)
	}
	if err := Apply("no-dashes", nil, false); err == nil || !strings.Contains(err.Error(), "table name") {
		t.Errorf("bad table: err = %v", err)
	}
	if err := Heal("no-dashes"); err == nil || !strings.Contains(err.Error(), "table name") {
		t.Errorf("bad table: err = %v", err)
	}
	if err := ApplyRules("faultline", Rules{}); err == nil || !strings.Contains(err.Error(), "nothing to apply") {
		t.Errorf("empty rules: err = %v", err)
	}
}

func TestRuleExprs(t *testing.T) {
	a := netip.MustParseAddr("10.213.4.12")
	// drop and reject rules differ only in the verdict; one-way adds the
	// conntrack direction match.
	if d, r := ruleExprs(a, false), ruleExprs(a, true); len(d) != 6 || len(r) != 6 {
		t.Fatalf("%d and %d expressions", len(d), len(r))
	}
	if n := len(dropExprs(a, false, true)); n != 8 {
		t.Fatalf("one-way rule has %d expressions", n)
	}
	if n := len(lossExprs(a, 30)); n != 9 {
		t.Fatalf("loss rule has %d expressions", n)
	}
	if shapedClass != 0xfa170010 {
		t.Fatalf("shaped class %x", shapedClass)
	}
}
