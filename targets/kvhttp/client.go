package kvhttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/faultline-io/faultline/targets"
)

// DialTimeout bounds how long the Client waits for a TCP connection. A dial
// that fails within it proves the request never left.
const DialTimeout = 500 * time.Millisecond

// DefaultTimeout bounds a call whose context has no deadline.
const DefaultTimeout = 10 * time.Second

// Client talks to one node's client port over HTTP/1.1 with keep-alive. It
// is safe for concurrent use. Callers pass per-operation deadlines through
// ctx; a call without one is bounded by DefaultTimeout.
type Client struct {
	addr string
	base string
	tr   *http.Transport
	hc   *http.Client
}

var _ targets.KVClient = (*Client)(nil)

// NewClient returns a client for the node whose client API listens on addr
// (host:port reachable from the caller).
func NewClient(addr string) *Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialContext,
		ForceAttemptHTTP2:     false,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1 only
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       30 * time.Second,
		DisableCompression:    true,
		ExpectContinueTimeout: 0,
	}
	return &Client{
		addr: addr,
		base: "http://" + addr,
		tr:   tr,
		hc:   &http.Client{Transport: tr},
	}
}

// Addr is the address the client talks to.
func (c *Client) Addr() string { return c.addr }

// Read returns the value of key and whether it has one.
func (c *Client) Read(ctx context.Context, key string) (int64, bool, error) {
	var resp ReadResponse
	if err := c.do(ctx, http.MethodPost, PathRead, ReadRequest{Key: key}, &resp); err != nil {
		return 0, false, err
	}
	return resp.Value, resp.Found, nil
}

// Write sets key to value.
func (c *Client) Write(ctx context.Context, key string, value int64) error {
	var resp struct{}
	return c.do(ctx, http.MethodPost, PathWrite, WriteRequest{Key: key, Value: value}, &resp)
}

// CAS sets key to to when it holds from. swapped=false with a nil error is
// a definite no-op.
func (c *Client) CAS(ctx context.Context, key string, from, to int64) (bool, error) {
	var resp CASResponse
	if err := c.do(ctx, http.MethodPost, PathCAS, CASRequest{Key: key, From: from, To: to}, &resp); err != nil {
		return false, err
	}
	return resp.Swapped, nil
}

// Status fetches the node's status, for health checks.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, PathStatus, nil, &st)
	return st, err
}

// Close releases idle connections. The client stays usable.
func (c *Client) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// do sends one request and classifies its failure (see the package doc).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	op := method + " " + path
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return targets.Definite(fmt.Errorf("%s: encoding request: %w", op, err))
		}
		body = bytes.NewReader(b)
	}

	// gotConn records whether a connection was ever handed to this
	// request. Until it is, not a byte of the request can have been
	// written. GotConn runs on the caller's goroutine inside Do, so its
	// value is final once Do returns.
	var gotConn atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) }}
	ctx = httptrace.WithClientTrace(ctx, trace)
	if dl, ok := ctx.Deadline(); ok {
		// The transport detaches dials from the request's cancellation but
		// keeps its values: pass the deadline down so the dial is bounded
		// by it too.
		ctx = context.WithValue(ctx, deadlineKey{}, dl)
	}

	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return targets.Definite(fmt.Errorf("%s: %w", op, err))
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var de *dialError
		if errors.As(err, &de) || !gotConn.Load() {
			return targets.Definite(fmt.Errorf("%s %s: not sent: %w", op, c.addr, err))
		}
		return fmt.Errorf("%s %s: outcome unknown: %w", op, c.addr, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
	if err != nil {
		return fmt.Errorf("%s %s: reading answer (outcome unknown): %w", op, c.addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		var er ErrorResponse
		if jerr := json.Unmarshal(data, &er); jerr != nil || er.Error == "" {
			return fmt.Errorf("%s %s: HTTP %d (outcome unknown): %.200q", op, c.addr, resp.StatusCode, data)
		}
		err := &ServerError{Code: resp.StatusCode, Message: er.Error}
		if er.Definite {
			return targets.Definite(fmt.Errorf("%s %s: %w", op, c.addr, err))
		}
		return fmt.Errorf("%s %s: %w", op, c.addr, err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: malformed answer (outcome unknown): %w", op, c.addr, err)
	}
	return nil
}

// ServerError is an error the node answered with.
type ServerError struct {
	Code    int    // HTTP status
	Message string // the node's error text
}

func (e *ServerError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Code, e.Message) }

// Timeout reports whether the node gave up waiting (HTTP 504).
func (e *ServerError) Timeout() bool { return e.Code == http.StatusGatewayTimeout }

// dialError tags a failed TCP dial: the request never left.
type dialError struct{ err error }

func (e *dialError) Error() string { return "dial: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

type deadlineKey struct{}

// dial makes TCP connections; tests replace it.
var dial = (&net.Dialer{KeepAlive: 15 * time.Second}).DialContext

// dialContext dials with DialTimeout, never past the request's deadline,
// and tags failures as dialError.
func dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	timeout := DialTimeout
	if dl, ok := ctx.Value(deadlineKey{}).(time.Time); ok {
		if left := time.Until(dl); left < timeout {
			timeout = max(left, time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := dial(ctx, network, addr)
	if err != nil {
		return nil, &dialError{err}
	}
	return conn, nil
}
