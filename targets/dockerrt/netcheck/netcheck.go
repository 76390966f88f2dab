// Package netcheck holds two tiny node programs for reachability checks
// between containers:
//
//	faultline node listen --addr :7000
//	faultline node probe --to HOST:PORT [--timeout 1s]
//	faultline node probe --to HOST:PORT,HOST:PORT,… --json [--timeout 1s]
//	faultline node probe --to HOST:PORT --count 200 [--udp] [--timeout 1s]
//
// listen answers every TCP connection with "hello from <hostname>\n" and
// closes it, and echoes every UDP datagram sent to the same port. probe
// dials, reads that line, prints it and exits 0, or fails (non-zero exit)
// when the connection or the read does not succeed within the timeout.
// With several targets and --json it probes them all at once and prints
// {"HOST:PORT": "ok" | "error text", …}, exiting 0. With --count it
// measures delivery instead: that many TCP exchanges one after another
// (each within the timeout), or with --udp that many numbered datagrams
// whose echoes it counts, and prints a Delivery as JSON.
package netcheck

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/faultline-io/faultline/targets"
)

func init() {
	targets.RegisterNodeProgram("listen", ListenMain)
	targets.RegisterNodeProgram("probe", ProbeMain)
}

// ListenArgs are the flags of `node listen`.
type ListenArgs struct {
	Addr string
}

// ProbeArgs are the flags of `node probe`.
type ProbeArgs struct {
	To      string // one HOST:PORT, or several (comma-separated) with JSON
	Timeout time.Duration
	JSON    bool // print a JSON map of outcomes, one per target
	Count   int  // > 0: measure delivery over this many exchanges
	UDP     bool // with Count: datagrams and echoes instead of TCP
}

// ParseListen parses `--addr HOST:PORT` (default ":7000").
func ParseListen(args []string) (ListenArgs, error) {
	var a ListenArgs
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.Addr, "addr", ":7000", "TCP address to listen on")
	if err := fs.Parse(args); err != nil {
		return a, fmt.Errorf("listen: %v; usage: listen [--addr HOST:PORT]", err)
	}
	if fs.NArg() > 0 {
		return a, fmt.Errorf("listen: unexpected argument %q; usage: listen [--addr HOST:PORT]", fs.Arg(0))
	}
	if _, _, err := net.SplitHostPort(a.Addr); err != nil {
		return a, fmt.Errorf("listen: --addr %q: %v", a.Addr, err)
	}
	return a, nil
}

// ParseProbe parses `--to HOST:PORT [--timeout D]`.
func ParseProbe(args []string) (ProbeArgs, error) {
	const usage = "usage: probe --to HOST:PORT[,HOST:PORT…] [--timeout 1s] [--json] [--count N [--udp]]"
	var a ProbeArgs
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.To, "to", "", "HOST:PORT to dial")
	fs.DurationVar(&a.Timeout, "timeout", time.Second, "time allowed for dialling and reading the greeting")
	fs.BoolVar(&a.JSON, "json", false, "print a JSON map of outcomes, one per target")
	fs.IntVar(&a.Count, "count", 0, "measure delivery over this many exchanges")
	fs.BoolVar(&a.UDP, "udp", false, "with --count: send datagrams and count their echoes")
	if err := fs.Parse(args); err != nil {
		return a, fmt.Errorf("probe: %v; %s", err, usage)
	}
	if fs.NArg() > 0 {
		return a, fmt.Errorf("probe: unexpected argument %q; %s", fs.Arg(0), usage)
	}
	if a.To == "" {
		return a, errors.New("probe: --to is required; " + usage)
	}
	tos := strings.Split(a.To, ",")
	for _, to := range tos {
		if host, port, err := net.SplitHostPort(to); err != nil || host == "" || port == "" {
			return a, fmt.Errorf("probe: --to %q is not HOST:PORT", to)
		}
	}
	if len(tos) > 1 && (!a.JSON || a.Count > 0) {
		return a, errors.New("probe: several targets need --json and no --count; " + usage)
	}
	if a.Count < 0 || a.Count > 100000 {
		return a, fmt.Errorf("probe: --count %d: want 0 to 100000", a.Count)
	}
	if a.UDP && a.Count == 0 {
		return a, errors.New("probe: --udp needs --count; " + usage)
	}
	if a.Timeout <= 0 {
		return a, fmt.Errorf("probe: --timeout must be positive, not %s", a.Timeout)
	}
	return a, nil
}

// Greeting is the line the listener sends to host's clients.
func Greeting(host string) string { return "hello from " + host + "\n" }

// ListenMain is `faultline node listen`. It serves until ctx ends.
func ListenMain(ctx context.Context, args []string) error {
	a, err := ParseListen(args)
	if err != nil {
		return err
	}
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("listen: hostname: %w", err)
	}
	ln, err := net.Listen("tcp", a.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	pc, err := net.ListenPacket("udp", a.Addr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listen: %w", err)
	}
	go Echo(ctx, pc)
	fmt.Fprintf(os.Stderr, "listen: %s serving on %s (tcp greeting, udp echo)\n", host, ln.Addr())
	return Serve(ctx, ln, host)
}

// Serve answers every connection accepted on ln with Greeting(host) and
// closes it, until ctx ends (then it closes ln and returns nil).
func Serve(ctx context.Context, ln net.Listener, host string) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	greeting := []byte(Greeting(host))
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("listen: accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = conn.Write(greeting)
		}()
	}
}

// ProbeMain is `faultline node probe`: it prints the greeting it read.
func ProbeMain(ctx context.Context, args []string) error {
	a, err := ParseProbe(args)
	if err != nil {
		return err
	}
	switch {
	case a.Count > 0:
		return json.NewEncoder(os.Stdout).Encode(Measure(ctx, a.To, a.UDP, a.Count, a.Timeout))
	case a.JSON:
		return json.NewEncoder(os.Stdout).Encode(ProbeAll(ctx, strings.Split(a.To, ","), a.Timeout))
	}
	line, err := Probe(ctx, a.To, a.Timeout)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stdout, line)
	return nil
}

// Probe dials to, reads one line and returns it without the newline. The
// whole exchange must finish within timeout.
func Probe(ctx context.Context, to string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", to)
	if err != nil {
		return "", fmt.Errorf("probe %s: %w", to, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("probe %s: read greeting: %w", to, err)
	}
	line = strings.TrimSuffix(line, "\n")
	if !strings.HasPrefix(line, "hello from ") {
		return "", fmt.Errorf("probe %s: unexpected greeting %q", to, line)
	}
	return line, nil
}
