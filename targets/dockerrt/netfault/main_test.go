package netfault

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		args []string
		want Command
	}{
		{[]string{"heal"}, Command{Op: "heal", Table: "faultline"}},
		{[]string{"heal", "--table", "chaos_1"}, Command{Op: "heal", Table: "chaos_1"}},
		{[]string{"apply", "--drop", "10.213.4.11"}, Command{Op: "apply", Table: "faultline", Drop: []netip.Addr{netip.MustParseAddr("10.213.4.11")}}},
		{[]string{"apply", "--drop=10.213.4.11, 10.213.4.12,10.213.4.11", "--reject", "--table", "t"},
			Command{Op: "apply", Table: "t", Reject: true, Drop: []netip.Addr{netip.MustParseAddr("10.213.4.11"), netip.MustParseAddr("10.213.4.12")}}},
	} {
		got, err := Parse(c.args)
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if got.Op != c.want.Op || got.Table != c.want.Table || got.Reject != c.want.Reject || !slices.Equal(got.Drop, c.want.Drop) {
			t.Errorf("%v: got %+v, want %+v", c.args, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "missing operation"},
		{[]string{"flush"}, `unknown operation "flush"`},
		{[]string{"apply"}, "--drop needs at least one IPv4 address"},
		{[]string{"apply", "--drop", ""}, "--drop needs at least one IPv4 address"},
		{[]string{"apply", "--drop", "n2"}, `"n2" is not an IP address`},
		{[]string{"apply", "--drop", "10.0.0.1,,10.0.0.2"}, `"" is not an IP address`},
		{[]string{"apply", "--drop", "fd00::1"}, "fd00::1 is not an IPv4 address"},
		{[]string{"apply", "--drop", "10.0.0.1", "extra"}, `unexpected argument "extra"`},
		{[]string{"apply", "--drop", "10.0.0.1", "--table", "bad-name"}, "bad table name"},
		{[]string{"apply", "--drop", "10.0.0.1", "--table", "1abc"}, "bad table name"},
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
	if err := Apply("faultline", []netip.Addr{netip.MustParseAddr("::1")}, false); err == nil || !strings.Contains(err.Error(), "IPv4") {
		t.Errorf("IPv6 source: err = %v", err)
	}
	if err := Apply("no-dashes", nil, false); err == nil || !strings.Contains(err.Error(), "table name") {
		t.Errorf("bad table: err = %v", err)
	}
	if err := Heal("no-dashes"); err == nil || !strings.Contains(err.Error(), "table name") {
		t.Errorf("bad table: err = %v", err)
	}
}

func TestRuleExprs(t *testing.T) {
	// drop and reject rules differ only in the verdict.
	d := ruleExprs(netip.MustParseAddr("10.213.4.12"), false)
	r := ruleExprs(netip.MustParseAddr("10.213.4.12"), true)
	if len(d) != 6 || len(r) != 6 {
		t.Fatalf("%d and %d expressions", len(d), len(r))
	}
}
