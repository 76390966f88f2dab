package netcheck

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestParseListen(t *testing.T) {
	a, err := ParseListen(nil)
	if err != nil || a.Addr != ":7000" {
		t.Errorf("default: %+v %v", a, err)
	}
	a, err = ParseListen([]string{"--addr", "127.0.0.1:9"})
	if err != nil || a.Addr != "127.0.0.1:9" {
		t.Errorf("--addr: %+v %v", a, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "7000"}, "--addr"},
		{[]string{"--port", "1"}, "flag provided but not defined"},
		{[]string{"x"}, `unexpected argument "x"`},
	} {
		if _, err := ParseListen(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
}

func TestParseProbe(t *testing.T) {
	a, err := ParseProbe([]string{"--to", "n2:7000"})
	if err != nil || a.To != "n2:7000" || a.Timeout != time.Second {
		t.Errorf("defaults: %+v %v", a, err)
	}
	a, err = ParseProbe([]string{"--to=10.0.0.1:1", "--timeout", "250ms"})
	if err != nil || a.Timeout != 250*time.Millisecond {
		t.Errorf("--timeout: %+v %v", a, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--to is required"},
		{[]string{"--to", "n2"}, "not HOST:PORT"},
		{[]string{"--to", ":7000"}, "not HOST:PORT"},
		{[]string{"--to", "n2:7000", "--timeout", "0s"}, "must be positive"},
		{[]string{"--to", "n2:7000", "--timeout", "soon"}, "invalid value"},
		{[]string{"--to", "n2:7000", "n3"}, `unexpected argument "n3"`},
	} {
		if _, err := ParseProbe(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
}

func TestServeAndProbeOnLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, "n7") }()
	for range 3 {
		line, err := Probe(context.Background(), ln.Addr().String(), time.Second)
		if err != nil || line != "hello from n7" {
			t.Fatalf("probe: %q %v", line, err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	// Now nobody listens: the probe must fail.
	if _, err := Probe(context.Background(), ln.Addr().String(), 200*time.Millisecond); err == nil {
		t.Fatal("probe of a closed port worked")
	}
}

func TestProbeTimesOutOnSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			time.Sleep(time.Second)
			c.Close()
		}
	}()
	start := time.Now()
	if _, err := Probe(context.Background(), ln.Addr().String(), 150*time.Millisecond); err == nil {
		t.Fatal("probe of a silent server worked")
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("probe took %v despite a 150ms timeout", d)
	}
}

func TestParseProbeModes(t *testing.T) {
	a, err := ParseProbe([]string{"--to", "n1:7000,n2:7000", "--json"})
	if err != nil || !a.JSON {
		t.Errorf("several targets: %+v %v", a, err)
	}
	a, err = ParseProbe([]string{"--to", "n1:7000", "--count", "50", "--udp"})
	if err != nil || a.Count != 50 || !a.UDP {
		t.Errorf("count: %+v %v", a, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "n1:7000,n2:7000"}, "several targets need --json"},
		{[]string{"--to", "n1:7000,n2", "--json"}, `"n2" is not HOST:PORT`},
		{[]string{"--to", "n1:7000", "--udp"}, "--udp needs --count"},
		{[]string{"--to", "n1:7000", "--count", "-1"}, "--count -1"},
	} {
		if _, err := ParseProbe(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
}

func TestMeasureAndProbeAllOnLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go Serve(ctx, ln, "lo")
	go Echo(ctx, pc)
	if d := Measure(ctx, addr, true, 50, time.Second); d.Sent != 50 || d.Received != 50 || d.Proto != "udp" {
		t.Errorf("udp on loopback: %+v", d)
	}
	if d := Measure(ctx, addr, false, 5, time.Second); d.Sent != 5 || d.Received != 5 {
		t.Errorf("tcp on loopback: %+v", d)
	}
	// A closed port: nothing is delivered.
	dead, _ := net.ListenPacket("udp", "127.0.0.1:0")
	deadAddr := dead.LocalAddr().String()
	dead.Close()
	if d := Measure(ctx, deadAddr, true, 10, 200*time.Millisecond); d.Received != 0 {
		t.Errorf("udp to a closed port: %+v", d)
	}
	got := ProbeAll(ctx, []string{addr, deadAddr}, 500*time.Millisecond)
	if got[addr] != "ok" || got[deadAddr] == "ok" || len(got) != 2 {
		t.Errorf("ProbeAll = %v", got)
	}
}
