package kvhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-io/faultline/targets"
)

// memBackend is an in-memory Backend; err, when set, fails every operation.
type memBackend struct {
	mu  sync.Mutex
	kv  map[string]int64
	err error
}

func (m *memBackend) Read(ctx context.Context, key string) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, false, m.err
	}
	v, ok := m.kv[key]
	return v, ok, nil
}

func (m *memBackend) Write(ctx context.Context, key string, v int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.kv[key] = v
	return nil
}

func (m *memBackend) CAS(ctx context.Context, key string, from, to int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return false, m.err
	}
	if v, ok := m.kv[key]; ok && v == from {
		m.kv[key] = to
		return true, nil
	}
	return false, nil
}

func (m *memBackend) Status() Status {
	return Status{ID: 1, Name: "n1", Leader: 2, Term: 4, Commit: 17, Applied: 16}
}

func newServer(t *testing.T, b Backend) *Client {
	t.Helper()
	srv := httptest.NewServer(Handler(b))
	t.Cleanup(srv.Close)
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"))
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestHappyPath(t *testing.T) {
	c := newServer(t, &memBackend{kv: map[string]int64{}})
	ctx := ctxT(t, 5*time.Second)

	if _, found, err := c.Read(ctx, "x"); err != nil || found {
		t.Fatalf("read of missing key: found=%v err=%v", found, err)
	}
	if err := c.Write(ctx, "x", 3); err != nil {
		t.Fatal(err)
	}
	if v, found, err := c.Read(ctx, "x"); err != nil || !found || v != 3 {
		t.Fatalf("read = %d %v %v, want 3 true nil", v, found, err)
	}
	if ok, err := c.CAS(ctx, "x", 2, 5); err != nil || ok {
		t.Fatalf("cas 2->5 on 3 = %v %v, want false nil", ok, err)
	}
	if ok, err := c.CAS(ctx, "x", 3, 5); err != nil || !ok {
		t.Fatalf("cas 3->5 on 3 = %v %v, want true nil", ok, err)
	}
	if ok, err := c.CAS(ctx, "missing", 0, 1); err != nil || ok {
		t.Fatalf("cas on missing key = %v %v, want false nil", ok, err)
	}
	if v, _, _ := c.Read(ctx, "x"); v != 5 {
		t.Fatalf("after cas: %d, want 5", v)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Status{ID: 1, Name: "n1", Leader: 2, Term: 4, Commit: 17, Applied: 16}); st != want {
		t.Fatalf("status = %+v, want %+v", st, want)
	}
}

func TestRefusedIsDefinite(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := NewClient(addr)
	defer c.Close()
	ctx := ctxT(t, 2*time.Second)

	err = c.Write(ctx, "x", 1)
	if err == nil || !targets.IsDefinite(err) {
		t.Fatalf("write to closed port: err=%v, want definite", err)
	}
	var de *dialError
	if !errors.As(err, &de) {
		t.Fatalf("write to closed port: %v is not tagged as a dial error", err)
	}
	if _, _, err := c.Read(ctx, "x"); !targets.IsDefinite(err) {
		t.Fatalf("read: %v, want definite", err)
	}
	if _, err := c.CAS(ctx, "x", 1, 2); !targets.IsDefinite(err) {
		t.Fatalf("cas: %v, want definite", err)
	}
}

func TestDialTimeoutIsDefinite(t *testing.T) {
	// A listener whose backlog is full never completes the handshake for
	// further dials on most systems; more portable is a blackholed address.
	// 192.0.2.0/24 (TEST-NET-1) is reserved and never routed: the dial
	// either times out or fails at once as unreachable. Both are definite.
	c := NewClient("192.0.2.1:7000")
	defer c.Close()
	start := time.Now()
	err := c.Write(ctxT(t, 3*time.Second), "x", 1)
	if err == nil || !targets.IsDefinite(err) {
		t.Fatalf("write to blackhole: err=%v, want definite", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("dial took %v, want it bounded by DialTimeout", d)
	}
}

// blackholeDial makes every dial hang until its context ends, as a dial to
// a partitioned host does (SYNs dropped).
func blackholeDial(t *testing.T) {
	old := dial
	dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
	t.Cleanup(func() { dial = old })
}

func TestBlackholedDialIsDefinite(t *testing.T) {
	blackholeDial(t)
	c := NewClient("n1:7000")
	defer c.Close()

	// The dial gives up after DialTimeout, well before the deadline.
	start := time.Now()
	err := c.Write(ctxT(t, 5*time.Second), "x", 1)
	if err == nil || !targets.IsDefinite(err) {
		t.Fatalf("blackholed dial: err=%v, want definite", err)
	}
	var de *dialError
	if !errors.As(err, &de) {
		t.Fatalf("blackholed dial: %v is not tagged as a dial error", err)
	}
	if d := time.Since(start); d < DialTimeout/2 || d > DialTimeout+time.Second {
		t.Fatalf("dial took %v, want about DialTimeout (%v)", d, DialTimeout)
	}

	// The caller's deadline ends first: still nothing was sent.
	start = time.Now()
	err = c.Write(ctxT(t, 50*time.Millisecond), "x", 1)
	if err == nil || !targets.IsDefinite(err) {
		t.Fatalf("deadline while dialling: err=%v, want definite", err)
	}
	if d := time.Since(start); d > DialTimeout {
		t.Fatalf("took %v, want about the 50ms deadline", d)
	}
}

func TestHangIsIndeterminate(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // so the server notices the client hanging up
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"))
	defer c.Close()

	start := time.Now()
	err := c.Write(ctxT(t, 200*time.Millisecond), "x", 1)
	if err == nil || targets.IsDefinite(err) {
		t.Fatalf("hung request: err=%v, want indeterminate", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung request: %v does not wrap DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v, want about the deadline", d)
	}
	// Same for a reused connection: warm one up with a status call.
	if _, err := c.Status(ctxT(t, 300*time.Millisecond)); err == nil {
		t.Fatal("status on a hanging server succeeded")
	}
}

func TestResetAfterSendIsIndeterminate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("no hijacker")
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // RST
			}
			conn.Close()
		}
	}))
	defer srv.Close()
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"))
	defer c.Close()
	err := c.Write(ctxT(t, 2*time.Second), "x", 1)
	if err == nil || targets.IsDefinite(err) {
		t.Fatalf("reset after send: err=%v, want indeterminate", err)
	}
}

func TestServerDefiniteFlag(t *testing.T) {
	b := &memBackend{kv: map[string]int64{}, err: targets.Definite(errors.New("no leader"))}
	c := newServer(t, b)
	ctx := ctxT(t, 2*time.Second)
	err := c.Write(ctx, "x", 1)
	if err == nil || !targets.IsDefinite(err) {
		t.Fatalf("definite answer: err=%v, want definite", err)
	}
	var se *ServerError
	if !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable || se.Message != "no leader" {
		t.Fatalf("definite answer: %v, want a 503 ServerError with the node's message", err)
	}

	b.mu.Lock()
	b.err = errors.New("lost leadership")
	b.mu.Unlock()
	if err := c.Write(ctx, "x", 1); err == nil || targets.IsDefinite(err) {
		t.Fatalf("indefinite answer: err=%v, want indeterminate", err)
	}

	b.mu.Lock()
	b.err = fmt.Errorf("waiting for apply: %w", context.DeadlineExceeded)
	b.mu.Unlock()
	_, err = c.CAS(ctx, "x", 1, 2)
	if err == nil || targets.IsDefinite(err) || !errors.As(err, &se) || se.Code != http.StatusGatewayTimeout {
		t.Fatalf("backend timeout: err=%v, want an indeterminate 504", err)
	}
}

func TestMalformedRequests(t *testing.T) {
	srv := httptest.NewServer(Handler(&memBackend{kv: map[string]int64{}}))
	defer srv.Close()
	for _, tc := range []struct {
		method, path, body string
		code               int
	}{
		{"POST", PathWrite, `{"key":"x","value":"three"}`, 400},
		{"POST", PathWrite, `{"key":"x",`, 400},
		{"POST", PathRead, `{}`, 400},
		{"POST", PathCAS, `not json`, 400},
		{"GET", PathRead, ``, 405},
		{"POST", PathStatus, ``, 405},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s %q: HTTP %d, want %d", tc.method, tc.path, tc.body, resp.StatusCode, tc.code)
		}
	}

	// The client maps a 400 to a definite error.
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"))
	defer c.Close()
	if err := c.Write(ctxT(t, 2*time.Second), "", 1); err == nil || !targets.IsDefinite(err) {
		t.Fatalf("empty key: err=%v, want definite", err)
	}
}
