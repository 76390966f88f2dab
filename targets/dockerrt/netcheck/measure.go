package netcheck

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"
)

// ProbeAll probes every target at once and returns, per target, "ok" or
// the error.
func ProbeAll(ctx context.Context, tos []string, timeout time.Duration) map[string]string {
	out := make(map[string]string, len(tos))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, to := range tos {
		wg.Go(func() {
			res := "ok"
			if _, err := Probe(ctx, to, timeout); err != nil {
				res = err.Error()
			}
			mu.Lock()
			out[to] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// Delivery is what Measure counted.
type Delivery struct {
	To       string `json:"to"`
	Proto    string `json:"proto"` // "tcp" or "udp"
	Sent     int    `json:"sent"`
	Received int    `json:"received"` // TCP: exchanges completed; UDP: distinct echoes
	Error    string `json:"error,omitempty"`
}

// Measure counts deliveries to a listener: count TCP exchanges one after
// another (each within timeout), or count numbered UDP datagrams sent
// 1 ms apart and the distinct echoes that come back within timeout of
// the last one. A UDP round trip crosses the path twice, so it sees a
// per-direction loss p as 1-(1-p)².
func Measure(ctx context.Context, to string, udp bool, count int, timeout time.Duration) Delivery {
	if !udp {
		d := Delivery{To: to, Proto: "tcp"}
		for i := 0; i < count && ctx.Err() == nil; i++ {
			d.Sent++
			if _, err := Probe(ctx, to, timeout); err == nil {
				d.Received++
			}
		}
		return d
	}
	d := Delivery{To: to, Proto: "udp"}
	conn, err := net.Dial("udp", to)
	if err != nil {
		d.Error = err.Error()
		return d
	}
	defer conn.Close()
	seen := make([]bool, count)
	done := make(chan struct{})
	var received int
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					return
				}
				// ICMP errors (e.g. a reject) surface as read errors;
				// keep reading until the deadline.
				if ctx.Err() != nil {
					return
				}
				continue
			}
			if n >= 8 {
				if i := binary.BigEndian.Uint64(buf[:8]); i < uint64(count) && !seen[i] {
					seen[i] = true
					received++
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(time.Duration(count)*2*time.Millisecond + timeout))
	var msg [8]byte
	for i := 0; i < count && ctx.Err() == nil; i++ {
		binary.BigEndian.PutUint64(msg[:], uint64(i))
		_, _ = conn.Write(msg[:]) // a rejected datagram is just not delivered
		d.Sent++
		time.Sleep(time.Millisecond)
	}
	// Stop waiting timeout after the last datagram.
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	<-done
	d.Received = received
	return d
}

// Echo sends every datagram received on pc back to its sender until ctx
// ends (then it closes pc).
func Echo(ctx context.Context, pc net.PacketConn) {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		_, _ = pc.WriteTo(buf[:n], from)
	}
}
