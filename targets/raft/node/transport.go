package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Peer messages travel as POST /raft, a batch per request: the body is a
// sequence of (uvarint length, protobuf raftpb.Message).
const (
	pathRaft = "/raft"

	peerQueueLen   = 1024             // messages queued per peer before dropping
	peerQueueBytes = 64 << 20         // bytes queued per peer before dropping
	peerBatchMax   = 256              // messages per request
	peerBatchBytes = 4 << 20          // bytes per request (a snapshot may exceed it alone)
	peerTimeout    = time.Second      // per request
	snapTimeout    = 10 * time.Second // per request carrying a snapshot
	peerDial       = 500 * time.Millisecond
	maxPeerBody    = 512 << 20
)

// partitioned, when set, says whether the network drops messages from one
// node to another. Tests use it to cut links in-process.
var partitioned atomic.Pointer[func(from, to uint64) bool]

// outMsg is a marshalled message waiting to be sent.
type outMsg struct {
	to   uint64
	snap bool // MsgSnap: report its fate with ReportSnapshot
	data []byte
}

// report is a transport event for the raft loop.
type report struct {
	to          uint64
	snap        bool // a snapshot was in the batch
	snapOK      bool
	unreachable bool
}

// transport sends messages to peers without ever blocking the raft loop:
// each peer has a goroutine and a bounded queue; when the queue is full the
// message is dropped (raft retransmits).
type transport struct {
	self    uint64
	peers   map[uint64]*peer
	reports chan report
	client  *http.Client
	tr      *http.Transport
	wg      sync.WaitGroup
}

type peer struct {
	id     uint64
	url    string
	q      chan outMsg
	addr   string
	queued atomic.Int64 // bytes in q
}

func newTransport(self uint64, addrs map[uint64]string) *transport {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: peerDial, KeepAlive: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	t := &transport{
		self:    self,
		peers:   map[uint64]*peer{},
		reports: make(chan report, 256),
		client:  &http.Client{Transport: tr},
		tr:      tr,
	}
	for id, addr := range addrs {
		if id == self {
			continue
		}
		t.peers[id] = &peer{id: id, addr: addr, url: "http://" + addr + pathRaft, q: make(chan outMsg, peerQueueLen)}
	}
	return t
}

// start runs one sender per peer until ctx ends.
func (t *transport) start(ctx context.Context) {
	for _, p := range t.peers {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.sendLoop(ctx, p)
		}()
	}
}

// wait waits for the senders to stop (after ctx ended).
func (t *transport) wait() {
	t.wg.Wait()
	t.tr.CloseIdleConnections()
}

// send marshals m (on the raft loop, as the Ready contract asks) and queues
// it for its peer. It never blocks. It returns false when m was dropped.
func (t *transport) send(m *pb.Message) bool {
	p := t.peers[m.GetTo()]
	if p == nil {
		return false
	}
	if cut := partitioned.Load(); cut != nil && (*cut)(t.self, p.id) {
		return false
	}
	data, err := proto.Marshal(m)
	if err != nil {
		return false
	}
	if p.queued.Load()+int64(len(data)) > peerQueueBytes && len(p.q) > 0 {
		return false
	}
	select {
	case p.q <- outMsg{to: p.id, snap: m.GetType() == pb.MsgSnap, data: data}:
		p.queued.Add(int64(len(data)))
		return true
	default:
		return false
	}
}

func (t *transport) sendLoop(ctx context.Context, p *peer) {
	var body bytes.Buffer
	for {
		var first outMsg
		select {
		case <-ctx.Done():
			return
		case first = <-p.q:
			p.queued.Add(-int64(len(first.data)))
		}
		batch := []outMsg{first}
		size := len(first.data)
	fill:
		for len(batch) < peerBatchMax && size < peerBatchBytes {
			select {
			case m := <-p.q:
				p.queued.Add(-int64(len(m.data)))
				batch = append(batch, m)
				size += len(m.data)
			default:
				break fill
			}
		}
		body.Reset()
		hasSnap := false
		for _, m := range batch {
			var lenBuf [binary.MaxVarintLen64]byte
			body.Write(lenBuf[:binary.PutUvarint(lenBuf[:], uint64(len(m.data)))])
			body.Write(m.data)
			hasSnap = hasSnap || m.snap
		}
		err := t.post(ctx, p, body.Bytes(), hasSnap)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// The peer is down or cut off. What is queued is stale by the
			// time it could get through: drop it, and let raft know so it
			// probes instead of streaming.
		drain:
			for {
				select {
				case m := <-p.q:
					p.queued.Add(-int64(len(m.data)))
					if m.snap {
						hasSnap = true
					}
				default:
					break drain
				}
			}
		}
		t.report(ctx, report{to: p.id, snap: hasSnap, snapOK: err == nil, unreachable: err != nil})
	}
}

func (t *transport) report(ctx context.Context, r report) {
	if !r.snap && !r.unreachable {
		return
	}
	select {
	case t.reports <- r:
	case <-ctx.Done():
	}
}

func (t *transport) post(ctx context.Context, p *peer, body []byte, hasSnap bool) error {
	timeout := peerTimeout
	if hasSnap {
		timeout = snapTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("peer %d: HTTP %d", p.id, resp.StatusCode)
	}
	return nil
}

// decodeMessages parses a POST /raft body.
func decodeMessages(body []byte) ([]*pb.Message, error) {
	var msgs []*pb.Message
	for len(body) > 0 {
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)-k) {
			return nil, errors.New("bad message length")
		}
		m := &pb.Message{}
		if err := proto.Unmarshal(body[k:k+int(n)], m); err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
		body = body[k+int(n):]
	}
	return msgs, nil
}

// raftHandler serves POST /raft: it hands each message to the raft loop
// through recv, waiting no longer than the request lives.
func raftHandler(recv chan<- *pb.Message, done <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPeerBody))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		msgs, err := decodeMessages(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, m := range msgs {
			if raft.IsLocalMsg(m.GetType()) {
				continue // never from the network
			}
			select {
			case recv <- m:
			case <-r.Context().Done():
				http.Error(w, "cancelled", http.StatusServiceUnavailable)
				return
			case <-done:
				http.Error(w, "stopping", http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
