package etcd

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
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/faultline-io/faultline/targets"
)

// The client speaks etcd's v3 JSON API, the gRPC gateway etcd serves on
// its client port: the same KV and Maintenance RPCs as the gRPC API,
// with bytes as base64 and 64-bit integers as JSON strings. Using it keeps
// go.etcd.io/etcd/client/v3 (and gRPC) out of faultline's dependencies.
const (
	pathRange  = "/v3/kv/range"
	pathPut    = "/v3/kv/put"
	pathTxn    = "/v3/kv/txn"
	pathStatus = "/v3/maintenance/status"
)

// dialTimeout bounds a TCP connect; a dial that fails proves the request
// never left.
const dialTimeout = 500 * time.Millisecond

// defaultTimeout bounds a call whose context has no deadline.
const defaultTimeout = 10 * time.Second

// maxBody bounds an answer (a range of one small key is tiny).
const maxBody = 1 << 20

// Client talks to one etcd member's client port. It implements
// targets.KVClient with integer values stored as decimal strings. It is
// safe for concurrent use.
type Client struct {
	addr         string
	base         string
	serializable bool
	tr           *http.Transport
	hc           *http.Client
}

var _ targets.KVClient = (*Client)(nil)

// NewClient returns a client for the member whose client URL is
// http://addr. serializable makes reads serializable (answered from the
// member's local state, possibly stale) instead of linearizable.
func NewClient(addr string, serializable bool) *Client {
	tr := &http.Transport{
		Proxy:             nil,
		DialContext:       dialContext,
		ForceAttemptHTTP2: false,
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1 only
		MaxIdleConns:      64,
		// A connection per concurrent request, kept: reconnecting is
		// cheap, but a request on a fresh connection is easier to
		// classify than one on a connection the server may be closing.
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &Client{addr: addr, base: "http://" + addr, serializable: serializable, tr: tr, hc: &http.Client{Transport: tr}}
}

// Addr is the member's client address.
func (c *Client) Addr() string { return c.addr }

type keyValue struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value,omitempty"`
}

type rangeRequest struct {
	Key          []byte `json:"key"`
	Serializable bool   `json:"serializable,omitempty"`
}

type rangeResponse struct {
	Kvs []keyValue `json:"kvs"`
}

// compare is one guard of a Txn: the key's value (Target VALUE) or its
// mod_revision (Target MOD, as a decimal string; 0 matches an absent key)
// must be EQUAL to the one given.
type compare struct {
	Key         []byte `json:"key"`
	Result      string `json:"result"`
	Target      string `json:"target"`
	Value       []byte `json:"value,omitempty"`
	ModRevision string `json:"mod_revision,omitempty"`
}

type requestOp struct {
	RequestRange *rangeRequest `json:"request_range,omitempty"`
	RequestPut   *keyValue     `json:"request_put,omitempty"`
}

type txnRequest struct {
	Compare []compare   `json:"compare,omitempty"`
	Success []requestOp `json:"success"`
}

type txnResponse struct {
	Succeeded bool `json:"succeeded"`
	Responses []struct {
		ResponseRange *struct {
			Kvs []revKeyValue `json:"kvs"`
		} `json:"response_range"`
	} `json:"responses"`
}

// Read returns key's value, or found=false when key does not exist.
func (c *Client) Read(ctx context.Context, key string) (int64, bool, error) {
	var resp rangeResponse
	if err := c.do(ctx, pathRange, rangeRequest{Key: []byte(key), Serializable: c.serializable}, &resp); err != nil {
		return 0, false, err
	}
	if len(resp.Kvs) == 0 {
		return 0, false, nil
	}
	v, err := strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("range %q on %s: value %q is not an integer", key, c.addr, resp.Kvs[0].Value)
	}
	return v, true, nil
}

// Write puts key=value.
func (c *Client) Write(ctx context.Context, key string, value int64) error {
	var resp struct{}
	return c.do(ctx, pathPut, keyValue{Key: []byte(key), Value: encode(value)}, &resp)
}

// CAS is a transaction: if key's value equals from, put to. A missing key
// fails the comparison, as a register without a value holds no integer.
func (c *Client) CAS(ctx context.Context, key string, from, to int64) (bool, error) {
	req := txnRequest{
		Compare: []compare{{Key: []byte(key), Result: "EQUAL", Target: "VALUE", Value: encode(from)}},
		Success: []requestOp{{RequestPut: &keyValue{Key: []byte(key), Value: encode(to)}}},
	}
	var resp txnResponse
	if err := c.do(ctx, pathTxn, req, &resp); err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}

func encode(v int64) []byte { return []byte(strconv.FormatInt(v, 10)) }

// Status is what a member says about itself (the Maintenance.Status RPC).
type Status struct {
	Header struct {
		ClusterID uint64 `json:"cluster_id,string"`
		MemberID  uint64 `json:"member_id,string"`
	} `json:"header"`
	Version          string   `json:"version"`
	Leader           uint64   `json:"leader,string"`
	RaftIndex        uint64   `json:"raftIndex,string"`
	RaftTerm         uint64   `json:"raftTerm,string"`
	RaftAppliedIndex uint64   `json:"raftAppliedIndex,string"`
	Errors           []string `json:"errors"`
}

// Status asks the member for its status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, pathStatus, struct{}{}, &st)
	return st, err
}

// Close releases idle connections; the client stays usable.
func (c *Client) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// APIError is an error etcd answered with: the gRPC status code and
// message, as the gateway returns them.
type APIError struct {
	HTTPStatus int
	Code       int    // gRPC code, e.g. 14 Unavailable
	Message    string // e.g. "etcdserver: request timed out"
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d: %s (gRPC code %d)", e.HTTPStatus, e.Message, e.Code)
}

// gRPC status codes the classification uses.
const (
	codeInvalidArgument    = 3
	codePermissionDenied   = 7
	codeResourceExhausted  = 8
	codeFailedPrecondition = 9
	codeUnauthenticated    = 16
)

// Definite reports whether etcd's answer means the request was not and
// will not be applied. etcd checks these before proposing to Raft:
// malformed or oversized requests, auth, quota (database space exceeded,
// too many requests), and "no leader". A proposal that Raft dropped (a
// follower without a leader) never entered the log. Everything else, in
// particular "request timed out", "leader changed", "server stopped",
// cancellation and deadline errors, can come after the proposal reached
// Raft, which may still commit it: the outcome is unknown.
func (e *APIError) Definite() bool {
	switch e.Code {
	case codeInvalidArgument, codePermissionDenied, codeResourceExhausted, codeFailedPrecondition, codeUnauthenticated:
		return true
	}
	return e.Message == "etcdserver: no leader" || strings.Contains(e.Message, "raft proposal dropped")
}

// do posts one request and classifies its failure: definite (wrapping
// targets.ErrDefinite) when the request certainly did not take effect,
// else indeterminate.
func (c *Client) do(ctx context.Context, path string, in, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultTimeout)
		defer cancel()
	}
	body, err := json.Marshal(in)
	if err != nil {
		return targets.Definite(fmt.Errorf("%s: encoding request: %w", path, err))
	}
	// Until a connection is handed to the request, not a byte of it can
	// have been written. GotConn runs inside Do on this goroutine.
	var gotConn atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) }})
	if dl, ok := ctx.Deadline(); ok {
		// The transport detaches dials from the request's cancellation
		// but keeps its values: this bounds the dial by the deadline too.
		ctx = context.WithValue(ctx, deadlineKey{}, dl)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return targets.Definite(fmt.Errorf("%s: %w", path, err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		var de *dialError
		if errors.As(err, &de) || !gotConn.Load() {
			return targets.Definite(fmt.Errorf("%s %s: not sent: %w", path, c.addr, err))
		}
		return fmt.Errorf("%s %s: outcome unknown: %w", path, c.addr, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s %s: reading answer (outcome unknown): %w", path, c.addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		return c.apiError(path, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: malformed answer (outcome unknown): %w: %.200q", path, c.addr, err, data)
	}
	return nil
}

func (c *Client) apiError(path string, status int, data []byte) error {
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Error   string `json:"error"` // gateways of etcd 3.4 and older
	}
	if jerr := json.Unmarshal(data, &e); jerr != nil || (e.Message == "" && e.Error == "") {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			// No handler ran: the member serves no JSON API here.
			return targets.Definite(fmt.Errorf("%s %s: HTTP %d: is etcd's gRPC gateway enabled? %.200q", path, c.addr, status, data))
		}
		return fmt.Errorf("%s %s: HTTP %d (outcome unknown): %.200q", path, c.addr, status, data)
	}
	if e.Message == "" {
		e.Message = e.Error
	}
	ae := &APIError{HTTPStatus: status, Code: e.Code, Message: e.Message}
	err := fmt.Errorf("%s %s: %w", path, c.addr, ae)
	if ae.Definite() {
		return targets.Definite(err)
	}
	return err
}

// dialError tags a failed TCP dial: the request never left.
type dialError struct{ err error }

func (e *dialError) Error() string { return "dial: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

type deadlineKey struct{}

var dialer = &net.Dialer{KeepAlive: 15 * time.Second}

// dialContext dials within dialTimeout, never past the request's
// deadline, and tags failures as dialError.
func dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	timeout := dialTimeout
	if dl, ok := ctx.Value(deadlineKey{}).(time.Time); ok {
		if left := time.Until(dl); left < timeout {
			timeout = max(left, time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &dialError{err}
	}
	return conn, nil
}
