package node

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
	"sync/atomic"
	"time"
)

// Peer messages travel as JSON over HTTP on the node's one port.
const (
	pathPrepare = "/paxos/prepare"
	pathAccept  = "/paxos/accept"

	peerDial     = 300 * time.Millisecond
	peerInflight = 128 // requests in flight to one peer before sends fail at once
	maxPeerBody  = 64 << 10
)

var errBusy = errors.New("too many requests in flight to this peer")

// transport carries prepare and accept to every acceptor. Messages to this
// node go straight to its acceptor; others are HTTP requests with a short
// dial timeout and a per-message deadline, and at most peerInflight of them
// wait on one peer, so a partitioned or frozen peer costs a bounded number
// of goroutines and never blocks a round: the round only waits for a
// quorum.
type transport struct {
	self    uint64
	local   *acceptor
	peers   map[uint64]*peer
	hc      *http.Client
	timeout time.Duration
	// link, when set, says what the network does to messages between two
	// nodes: drop them, or delay them. Tests use it to partition and slow
	// nodes in one process.
	link atomic.Pointer[func(from, to uint64) linkFault]
}

// linkFault is what a test network does to one message.
type linkFault struct {
	drop  bool
	delay time.Duration
}

type peer struct {
	id  uint64
	url string
	sem chan struct{}
}

func newTransport(self uint64, addrs map[uint64]string, local *acceptor, timeout time.Duration) *transport {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: peerDial, KeepAlive: 15 * time.Second}).DialContext,
		ForceAttemptHTTP2:   false,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	t := &transport{self: self, local: local, peers: map[uint64]*peer{}, hc: &http.Client{Transport: tr}, timeout: timeout}
	for id, addr := range addrs {
		t.peers[id] = &peer{id: id, url: "http://" + addr, sem: make(chan struct{}, peerInflight)}
	}
	return t
}

func (t *transport) close() { t.hc.CloseIdleConnections() }

// fault is what the test network does to a message to peer id and its
// answer.
func (t *transport) fault(id uint64) linkFault {
	f := t.link.Load()
	if f == nil {
		return linkFault{}
	}
	out, back := (*f)(t.self, id), (*f)(id, t.self)
	return linkFault{drop: out.drop || back.drop, delay: out.delay + back.delay}
}

// prepare asks acceptor id to promise.
func (t *transport) prepare(ctx context.Context, id uint64, req prepareReq) (prepareResp, error) {
	var resp prepareResp
	if id == t.self {
		r, wait := t.local.prepare(req)
		return r, waitDurable(wait)
	}
	err := t.call(ctx, id, pathPrepare, req, &resp)
	return resp, err
}

// accept asks acceptor id to accept.
func (t *transport) accept(ctx context.Context, id uint64, req acceptReq) (acceptResp, error) {
	var resp acceptResp
	if id == t.self {
		r, wait := t.local.accept(req)
		return r, waitDurable(wait)
	}
	err := t.call(ctx, id, pathAccept, req, &resp)
	return resp, err
}

func waitDurable(wait <-chan error) error {
	if wait == nil {
		return nil
	}
	if err := <-wait; err != nil {
		return fmt.Errorf("local acceptor: %w", err)
	}
	return nil
}

func (t *transport) call(ctx context.Context, id uint64, path string, in, out any) error {
	p, ok := t.peers[id]
	if !ok {
		return fmt.Errorf("no peer %d", id)
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	if f := t.fault(id); f.drop {
		<-ctx.Done() // a partition drops packets silently: the sender waits
		return fmt.Errorf("peer %d: %w", id, ctx.Err())
	} else if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return fmt.Errorf("peer %d: %w", id, ctx.Err())
		}
	}
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	default:
		return fmt.Errorf("peer %d: %w", id, errBusy)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.hc.Do(req)
	if err != nil {
		return fmt.Errorf("peer %d: %w", id, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPeerBody))
	if err != nil {
		return fmt.Errorf("peer %d: reading answer: %w", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("peer %d: HTTP %d: %.200s", id, resp.StatusCode, bytes.TrimSpace(data))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("peer %d: malformed answer: %w", id, err)
	}
	return nil
}

// peerHandler serves prepare and accept to other nodes' proposers. An
// answer is written only once the state it reports is durable.
func peerHandler(a *acceptor) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(pathPrepare, func(w http.ResponseWriter, r *http.Request) {
		var req prepareReq
		if !decodePeer(w, r, &req) {
			return
		}
		resp, wait := a.prepare(req)
		answerPeer(w, resp, wait)
	})
	mux.HandleFunc(pathAccept, func(w http.ResponseWriter, r *http.Request) {
		var req acceptReq
		if !decodePeer(w, r, &req) {
			return
		}
		resp, wait := a.accept(req)
		answerPeer(w, resp, wait)
	})
	return mux
}

func decodePeer(w http.ResponseWriter, r *http.Request, into any) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPeerBody))
	if err != nil {
		http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	if err := json.Unmarshal(body, into); err != nil {
		http.Error(w, "malformed request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func answerPeer(w http.ResponseWriter, resp any, wait <-chan error) {
	if err := waitDurable(wait); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
