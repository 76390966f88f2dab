package node

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/internal/nodeconf"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

// defaultOpTimeout bounds an operation whose context has no deadline.
const defaultOpTimeout = 10 * time.Second

var (
	errNoLeader = errors.New("no leader known")
	errStopping = errors.New("node is stopping")
)

// Run serves one node until ctx is cancelled: it recovers (or bootstraps)
// from cfg.DataDir, listens on cfg.Listen and runs raft. It returns nil
// after a cancellation, or the error that stopped it.
func Run(ctx context.Context, cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return fmt.Errorf("raft node: %w", err)
	}
	s, err := newServer(cfg)
	if err != nil {
		return fmt.Errorf("raft node %s: %w", cfg.Name, err)
	}
	defer s.j.close()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("raft node %s: %w", cfg.Name, err)
	}
	mux := http.NewServeMux()
	mux.Handle(pathRaft, raftHandler(s.recvc, s.done))
	s.mountAdmin(mux) // /admin/clock (clock.go)
	mux.Handle("/", kvhttp.Handler(s))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(s.log.Writer(), s.log.Prefix()+"http: ", s.log.Flags()),
	}

	loopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.tr.start(loopCtx)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	loopErr := make(chan error, 1)
	go func() { loopErr <- s.loop(loopCtx) }()
	s.log.Printf("serving on %s (peers %s, tick %v, election %d ticks, heartbeat %d ticks%s)",
		ln.Addr(), nodeconf.FormatPeers(cfg.Peers), cfg.Tick, cfg.ElectionTicks, cfg.HeartbeatTicks, bugNote(cfg.Bug))

	select {
	case err = <-loopErr:
	case err = <-serveErr:
		err = fmt.Errorf("http server: %w", err)
		cancel()
		<-loopErr
	}
	cancel()
	// The loop has stopped and s.done is closed: handlers return promptly.
	shutCtx, shutCancel := context.WithTimeout(context.Background(), time.Second)
	_ = srv.Shutdown(shutCtx)
	shutCancel()
	_ = srv.Close()
	s.tr.wait()
	if cerr := s.j.close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing journal: %w", cerr)
	}
	if err != nil {
		s.log.Printf("stopped: %v", err)
		return fmt.Errorf("raft node %s: %w", cfg.Name, err)
	}
	s.log.Printf("stopped")
	return nil
}

func bugNote(bug string) string {
	if bug == "" {
		return ""
	}
	return ", SEEDED BUG " + bug
}

// loopReq asks the raft loop to propose an entry or a read index.
type loopReq struct {
	read bool   // ReadIndex instead of Propose
	data []byte // entry data, or read request context
	errc chan error
}

// server is one running node. Fields marked "loop" are touched only by
// the raft loop goroutine.
type server struct {
	cfg  Config
	log  *log.Logger
	boot uint64        // random per start, makes request ids unique across restarts
	seq  atomic.Uint64 // request counter

	rn        *raft.RawNode       // loop
	ms        *raft.MemoryStorage // loop (and raft, on the loop)
	j         *journal            // loop
	confState *pb.ConfState       // loop
	snapIndex uint64              // loop: index of the latest snapshot in ms
	hs        *pb.HardState       // loop: last hard state written to the journal
	lastLead  uint64              // loop
	kv        *kvState            // shared, locked
	tr        *transport          // send: loop; senders: own goroutines
	recvc     chan *pb.Message    // peer messages for the loop
	reqc      chan loopReq        // proposals and reads for the loop
	done      chan struct{}       // closed when the loop has stopped
	readRetry time.Duration       // how often a read re-asks for a read index

	pmu       sync.Mutex
	proposals map[reqID]chan result // awaiting apply on this node
	reads     map[string]chan uint64

	lead, term, commit atomic.Uint64 // for Status

	clk   *nodeclock.Clock // protocol time, skewable at run time (clock.go)
	lease leaseState       // loop: the lease of the lease-read bug (lease.go)

	skipApply uint64 // loop: the skip-replay bug's wrongly trusted applied index
}

// newServer opens the journal and recovers raft and the state machine from
// it, or prepares to bootstrap when it is empty.
func newServer(cfg Config) (s *server, err error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	s = &server{
		cfg:       cfg,
		log:       cfg.Logger,
		boot:      binary.LittleEndian.Uint64(b[:]),
		ms:        raft.NewMemoryStorage(),
		kv:        newKVState(),
		tr:        newTransport(cfg.ID, cfg.Peers),
		recvc:     make(chan *pb.Message, 4096),
		reqc:      make(chan loopReq),
		done:      make(chan struct{}),
		readRetry: time.Duration(cfg.ElectionTicks) * cfg.Tick,
		proposals: map[reqID]chan result{},
		reads:     map[string]chan uint64{},
		confState: &pb.ConfState{},
		hs:        &pb.HardState{},
		clk:       nodeclock.New(),
	}

	j, batches, torn, err := openJournal(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s.j = j
	defer func() {
		if err != nil {
			j.close()
		}
	}()
	if torn != nil {
		s.log.Printf("journal: ignored a torn tail (a write cut short by a crash): %v", torn)
	}
	fresh := len(batches) == 0
	if !fresh {
		if err := s.replay(batches); err != nil {
			return nil, fmt.Errorf("replaying journal: %w", err)
		}
	}

	if cfg.Bug == BugSkipReplay && !fresh {
		// SEEDED BUG: the state machine trusts the persisted commit index
		// as applied; apply skips the entries up to it.
		s.skipApply = s.hs.GetCommit()
	}
	rc := &raft.Config{
		ID:                        cfg.ID,
		ElectionTick:              cfg.ElectionTicks,
		HeartbeatTick:             cfg.HeartbeatTicks,
		Storage:                   s.ms,
		Applied:                   s.snapIndex,
		MaxSizePerMsg:             1 << 20,
		MaxCommittedSizePerReady:  4 << 20,
		MaxUncommittedEntriesSize: 64 << 20,
		MaxInflightMsgs:           256,
		CheckQuorum:               true,
		PreVote:                   true,
		ReadOnlyOption:            readOnlyOption(cfg.Bug), // ReadOnlySafe but for the lease-read bug
		Logger:                    raftLogger{s.log},
	}
	if err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("raft refused the recovered state: %v", r)
			}
		}()
		s.rn, err = raft.NewRawNode(rc)
		return err
	}(); err != nil {
		return nil, err
	}

	if fresh {
		ids := slices.Sorted(func(yield func(uint64) bool) {
			for id := range cfg.Peers {
				if !yield(id) {
					return
				}
			}
		})
		peers := make([]raft.Peer, len(ids))
		for i, id := range ids {
			peers[i] = raft.Peer{ID: id}
		}
		if err := s.rn.Bootstrap(peers); err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		s.log.Printf("start: empty data dir %s, bootstrapping a cluster of %v", cfg.DataDir, ids)
	} else {
		last, _ := s.ms.LastIndex()
		s.log.Printf("restart: recovered from %s: term %d, vote %d, commit %d, snapshot %d, applied %d, last index %d",
			cfg.DataDir, s.hs.GetTerm(), s.hs.GetVote(), s.hs.GetCommit(), s.snapIndex, s.kv.appliedIndex(), last)
	}
	st := s.rn.BasicStatus()
	s.term.Store(st.GetTerm())
	s.commit.Store(st.GetCommit())
	return s, nil
}

// replay applies the journal's batches to the storage exactly as the loop
// did when it wrote them, then restores the state machine from the latest
// snapshot (entries after it are re-applied by raft as committed entries).
func (s *server) replay(batches []*batch) (err error) {
	defer func() {
		if r := recover(); r != nil { // MemoryStorage panics on a gap
			err = fmt.Errorf("inconsistent journal: %v", r)
		}
	}()
	var hs *pb.HardState
	for _, b := range batches {
		if !raft.IsEmptySnap(b.Snapshot) {
			if err := s.ms.ApplySnapshot(b.Snapshot); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
				return err
			}
		}
		if err := s.ms.Append(b.Entries); err != nil {
			return err
		}
		if b.HardState != nil {
			hs = b.HardState
		}
	}
	snap, err := s.ms.Snapshot()
	if err != nil {
		return err
	}
	snapIndex := snap.GetMetadata().GetIndex()
	if hs == nil {
		hs = &pb.HardState{}
	}
	if hs.GetCommit() < snapIndex {
		// A snapshot's contents are committed; never recover a commit
		// index behind it.
		hs.Commit = new(snapIndex)
	}
	if err := s.ms.SetHardState(hs); err != nil {
		return err
	}
	s.hs = proto.Clone(hs).(*pb.HardState)
	if !raft.IsEmptySnap(snap) {
		if err := s.kv.restore(snapIndex, snap.GetData()); err != nil {
			return err
		}
		s.confState = proto.Clone(snap.GetMetadata().GetConfState()).(*pb.ConfState)
		s.snapIndex = snapIndex
	}
	return nil
}

// loop is the raft goroutine: it owns the RawNode, the storage and the
// journal. It returns nil when ctx ends, or the error (a failed write to
// the journal) that makes continuing unsafe.
func (s *server) loop(ctx context.Context) error {
	defer close(s.done)
	ticker := s.clk.NewTicker(s.cfg.Tick) // ticks follow the node clock's rate
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			s.rn.Tick()
		case m := <-s.recvc:
			s.step(m) // lease.go
		moreMsgs: // batch what is queued into one Ready
			for range 256 {
				select {
				case m := <-s.recvc:
					s.step(m)
				default:
					break moreMsgs
				}
			}
		case r := <-s.tr.reports:
			s.onReport(r)
		case r := <-s.reqc:
			s.handleReq(r)
		moreReqs:
			for range 64 {
				select {
				case r := <-s.reqc:
					s.handleReq(r)
				default:
					break moreReqs
				}
			}
		}
		if err := s.processReady(); err != nil {
			return err
		}
	}
}

func (s *server) onReport(r report) {
	if r.unreachable {
		s.rn.ReportUnreachable(r.to)
	}
	if r.snap {
		st := raft.SnapshotFinish
		if !r.snapOK {
			st = raft.SnapshotFailure
		}
		s.rn.ReportSnapshot(r.to, st)
	}
}

// handleReq proposes or asks for a read index, refusing at once when no
// leader is known (then nothing was proposed: a definite failure).
func (s *server) handleReq(r loopReq) {
	if s.rn.BasicStatus().Lead == raft.None {
		r.errc <- errNoLeader
		return
	}
	if r.read {
		if err := s.leaseCheck(); err != nil { // lease-read bug only (lease.go)
			r.errc <- targets.Definite(err)
			return
		}
		s.rn.ReadIndex(r.data)
		r.errc <- nil
		return
	}
	r.errc <- s.rn.Propose(r.data)
}

// processReady handles every pending Ready, in the order the raft
// contract asks: persist (fsync) the snapshot, entries and hard state;
// then send messages; then apply; then Advance.
func (s *server) processReady() error {
	for s.rn.HasReady() {
		rd := s.rn.Ready()
		if rd.SoftState != nil {
			s.onSoftState(*rd.SoftState)
		}

		b := &batch{Entries: rd.Entries}
		if !raft.IsEmptySnap(rd.Snapshot) {
			b.Snapshot = rd.Snapshot
		}
		if !raft.IsEmptyHardState(rd.HardState) {
			b.HardState = rd.HardState
		}
		if !b.empty() {
			if err := s.j.save(b, rd.MustSync || b.Snapshot != nil); err != nil {
				return err
			}
		}
		if b.Snapshot != nil {
			if err := s.ms.ApplySnapshot(b.Snapshot); err != nil {
				return fmt.Errorf("storage: applying snapshot: %w", err)
			}
		}
		if err := s.ms.Append(rd.Entries); err != nil {
			return fmt.Errorf("storage: append: %w", err)
		}
		if b.HardState != nil {
			if err := s.ms.SetHardState(b.HardState); err != nil {
				return fmt.Errorf("storage: hard state: %w", err)
			}
			s.hs = proto.Clone(b.HardState).(*pb.HardState)
			s.term.Store(s.hs.GetTerm())
			s.commit.Store(s.hs.GetCommit())
		}

		for _, m := range rd.Messages {
			if m.GetTo() == s.cfg.ID {
				continue
			}
			s.stampHeartbeat(m) // lease-read bug only (lease.go)
			if !s.tr.send(m) && m.GetType() == pb.MsgSnap {
				s.rn.ReportSnapshot(m.GetTo(), raft.SnapshotFailure)
			}
		}

		if b.Snapshot != nil {
			md := b.Snapshot.GetMetadata()
			if err := s.kv.restore(md.GetIndex(), b.Snapshot.GetData()); err != nil {
				return err
			}
			s.confState = proto.Clone(md.GetConfState()).(*pb.ConfState)
			s.snapIndex = md.GetIndex()
			s.log.Printf("installed snapshot from the leader at index %d (term %d)", md.GetIndex(), md.GetTerm())
		}
		s.apply(rd.CommittedEntries)

		for _, rs := range rd.ReadStates {
			s.pmu.Lock()
			ch := s.reads[string(rs.RequestCtx)]
			s.pmu.Unlock()
			if ch != nil {
				select {
				case ch <- rs.Index:
				default: // an earlier retry's answer got there first
				}
			}
		}

		s.rn.Advance(rd)
		if err := s.maybeSnapshot(); err != nil {
			return err
		}
	}
	return nil
}

func (s *server) onSoftState(ss raft.SoftState) {
	s.lead.Store(ss.Lead)
	if ss.Lead == s.lastLead {
		return
	}
	term := s.rn.BasicStatus().GetTerm()
	switch {
	case ss.Lead == raft.None:
		s.log.Printf("lost leader %d (term %d, now %s)", s.lastLead, term, ss.RaftState)
	case ss.Lead == s.cfg.ID:
		s.log.Printf("became leader (term %d)", term)
	default:
		s.log.Printf("leader is %d (term %d)", ss.Lead, term)
	}
	s.lastLead = ss.Lead
}

// apply runs committed entries against the state machine and hands each
// result to the proposer waiting on this node, if any.
func (s *server) apply(ents []*pb.Entry) {
	for _, e := range ents {
		idx := e.GetIndex()
		if idx <= s.kv.appliedIndex() {
			continue // covered by a snapshot
		}
		switch e.GetType() {
		case pb.EntryNormal:
			if idx <= s.skipApply { // SEEDED BUG skip-replay: never applied
				s.kv.setApplied(idx)
				continue
			}
			if len(e.GetData()) == 0 { // a new leader's empty entry
				s.kv.setApplied(idx)
				continue
			}
			c, err := decodeCommand(e.GetData())
			if err != nil {
				s.log.Printf("entry %d: undecodable command, skipped: %v", idx, err)
				s.kv.setApplied(idx)
				continue
			}
			res, err := s.kv.apply(idx, c)
			if err != nil {
				s.log.Printf("entry %d: %v", idx, err)
			}
			if c.ID.Node == s.cfg.ID && c.ID.Boot == s.boot {
				s.pmu.Lock()
				ch := s.proposals[c.ID]
				s.pmu.Unlock()
				if ch != nil {
					select {
					case ch <- res:
					default: // cannot happen: one entry per id
					}
				}
			}
		case pb.EntryConfChange:
			var cc pb.ConfChange
			if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
				s.log.Printf("entry %d: undecodable conf change: %v", idx, err)
			} else {
				s.confState = s.rn.ApplyConfChange(&cc)
			}
			s.kv.setApplied(idx)
		case pb.EntryConfChangeV2:
			var cc pb.ConfChangeV2
			if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
				s.log.Printf("entry %d: undecodable conf change: %v", idx, err)
			} else {
				s.confState = s.rn.ApplyConfChange(&cc)
			}
			s.kv.setApplied(idx)
		}
	}
}

// maybeSnapshot snapshots the state machine every cfg.SnapshotEvery
// applied entries, compacts the in-memory log (keeping a tail for slow
// followers) and rewrites the journal as snapshot + hard state + the
// entries after the snapshot.
func (s *server) maybeSnapshot() error {
	applied := s.kv.appliedIndex()
	if applied < s.snapIndex+s.cfg.SnapshotEvery {
		return nil
	}
	data, idx, err := s.kv.marshal()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	snap, err := s.ms.CreateSnapshot(idx, s.confState, data)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	last, _ := s.ms.LastIndex()
	var ents []*pb.Entry
	if last > idx {
		ents, err = s.ms.Entries(idx+1, last+1, math.MaxUint64)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	if err := s.j.rewrite(&batch{Snapshot: snap, HardState: s.hs, Entries: ents}); err != nil {
		return err
	}
	s.snapIndex = idx
	keep := s.cfg.SnapshotEvery / 4
	first, _ := s.ms.FirstIndex()
	if idx > keep && idx-keep >= first {
		if err := s.ms.Compact(idx - keep); err != nil && !errors.Is(err, raft.ErrCompacted) {
			return fmt.Errorf("compact: %w", err)
		}
	}
	s.log.Printf("snapshot at index %d (%d bytes of state); journal rewritten (%d bytes)", idx, len(data), s.j.size())
	return nil
}

// submit hands r to the raft loop. An error means nothing was proposed.
func (s *server) submit(ctx context.Context, r loopReq) error {
	r.errc = make(chan error, 1)
	select {
	case s.reqc <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errStopping
	}
	return <-r.errc // the loop answers at once
}

func (s *server) newID() reqID {
	return reqID{Node: s.cfg.ID, Boot: s.boot, Seq: s.seq.Add(1)}
}

func opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, defaultOpTimeout)
}

// propose replicates c and returns the result of applying it on this node.
func (s *server) propose(ctx context.Context, c command) (result, error) {
	ctx, cancel := opContext(ctx)
	defer cancel()
	c.ID = s.newID()
	ch := make(chan result, 1)
	s.pmu.Lock()
	s.proposals[c.ID] = ch
	s.pmu.Unlock()
	defer func() {
		s.pmu.Lock()
		delete(s.proposals, c.ID)
		s.pmu.Unlock()
	}()

	if err := s.submit(ctx, loopReq{data: encodeCommand(c)}); err != nil {
		return result{}, targets.Definite(fmt.Errorf("%s not proposed: %w", c.Op, err))
	}
	select {
	case res := <-ch:
		return res, nil
	case <-ctx.Done():
		return result{}, fmt.Errorf("%s proposed but not applied here in time, outcome unknown: %w", c.Op, ctx.Err())
	case <-s.done:
		return result{}, fmt.Errorf("%s proposed, outcome unknown: %w", c.Op, errStopping)
	}
}

// Write sets key to value once the write is committed and applied here.
func (s *server) Write(ctx context.Context, key string, value int64) error {
	if s.cfg.Bug == BugAckBeforeCommit {
		// SEEDED BUG: acknowledged once raft took the proposal; it may
		// never commit, and reads may not see it yet.
		c := command{ID: s.newID(), Op: opWrite, Key: key, Value: value}
		if err := s.submit(ctx, loopReq{data: encodeCommand(c)}); err != nil {
			return targets.Definite(fmt.Errorf("write not proposed: %w", err))
		}
		return nil
	}
	_, err := s.propose(ctx, command{Op: opWrite, Key: key, Value: value})
	return err
}

// CAS compares and sets at apply time.
func (s *server) CAS(ctx context.Context, key string, from, to int64) (bool, error) {
	res, err := s.propose(ctx, command{Op: opCAS, Key: key, From: from, To: to})
	return res.Swapped, err
}

// Read is linearizable: it asks raft for a read index (the leader's commit
// index, confirmed by a quorum of heartbeats in its term), waits until this
// node has applied that far, then reads local state. A read has no effect,
// so every failure is definite.
func (s *server) Read(ctx context.Context, key string) (int64, bool, error) {
	if s.cfg.Bug == BugStaleRead {
		// SEEDED BUG: no quorum check; whatever this node has applied.
		v, found, _ := s.kv.get(key)
		return v, found, nil
	}
	ctx, cancel := opContext(ctx)
	defer cancel()

	id := s.newID()
	rctx := make([]byte, 24)
	binary.BigEndian.PutUint64(rctx[0:], id.Node)
	binary.BigEndian.PutUint64(rctx[8:], id.Boot)
	binary.BigEndian.PutUint64(rctx[16:], id.Seq)
	ch := make(chan uint64, 1)
	s.pmu.Lock()
	s.reads[string(rctx)] = ch
	s.pmu.Unlock()
	defer func() {
		s.pmu.Lock()
		delete(s.reads, string(rctx))
		s.pmu.Unlock()
	}()

	retry := time.NewTicker(s.readRetry)
	defer retry.Stop()
	var index uint64
ask:
	for {
		// A read index request can be lost (a leader dies, a message is
		// dropped): ask again, with the same context, until answered.
		if err := s.submit(ctx, loopReq{read: true, data: rctx}); err != nil {
			return 0, false, targets.Definite(fmt.Errorf("read: %w", err))
		}
		select {
		case index = <-ch:
			break ask
		case <-retry.C:
		case <-ctx.Done():
			return 0, false, targets.Definite(fmt.Errorf("read: no read index confirmed by a quorum: %w", ctx.Err()))
		case <-s.done:
			return 0, false, targets.Definite(fmt.Errorf("read: %w", errStopping))
		}
	}
	for {
		v, found, ok, wait := s.kv.getAt(index, key)
		if ok {
			return v, found, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return 0, false, targets.Definite(fmt.Errorf("read: waiting to apply up to %d: %w", index, ctx.Err()))
		case <-s.done:
			return 0, false, targets.Definite(fmt.Errorf("read: %w", errStopping))
		}
	}
}

// Status reports this node's view.
func (s *server) Status() kvhttp.Status {
	return kvhttp.Status{
		ID:      s.cfg.ID,
		Name:    s.cfg.Name,
		Leader:  s.lead.Load(),
		Term:    s.term.Load(),
		Commit:  s.commit.Load(),
		Applied: s.kv.appliedIndex(),
	}
}

// raftLogger passes raft's warnings and errors to the node's log; its
// info and debug chatter (every vote, every probe) is dropped.
type raftLogger struct{ l *log.Logger }

func (r raftLogger) Debug(...any)          {}
func (r raftLogger) Debugf(string, ...any) {}
func (r raftLogger) Info(...any)           {}
func (r raftLogger) Infof(string, ...any)  {}
func (r raftLogger) Warning(v ...any)      { r.l.Print(append([]any{"raft warning: "}, v...)...) }
func (r raftLogger) Warningf(f string, v ...any) {
	r.l.Printf("raft warning: "+f, v...)
}
func (r raftLogger) Error(v ...any) { r.l.Print(append([]any{"raft error: "}, v...)...) }
func (r raftLogger) Errorf(f string, v ...any) {
	r.l.Printf("raft error: "+f, v...)
}
func (r raftLogger) Fatal(v ...any) { r.Panic(v...) }
func (r raftLogger) Fatalf(f string, v ...any) {
	r.Panicf(f, v...)
}
func (r raftLogger) Panic(v ...any) {
	s := fmt.Sprint(v...)
	r.l.Print("raft panic: " + s)
	panic(s)
}
func (r raftLogger) Panicf(f string, v ...any) {
	s := fmt.Sprintf(f, v...)
	r.l.Print("raft panic: " + s)
	panic(s)
}

var _ kvhttp.Backend = (*server)(nil)
