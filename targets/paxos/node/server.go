package node

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/internal/nodeconf"
	"github.com/faultline-io/faultline/targets/kvhttp"
	"github.com/faultline-io/faultline/targets/nodeclock"
)

// ceilingStep is how many rounds one persisted ceiling covers, so the
// proposer fsyncs its ballot counter once per ceilingStep rounds.
const ceilingStep = 1024

// maxBackoffShift caps the doubling of the backoff (base × 32).
const maxBackoffShift = 5

// Run serves one node until ctx is cancelled: it recovers the acceptor
// state from cfg.DataDir and serves clients and peers on cfg.Listen. It
// returns nil after a cancellation, or the error that stopped it.
func Run(ctx context.Context, cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return fmt.Errorf("paxos node: %w", err)
	}
	s, err := newServer(cfg, nodeclock.New())
	if err != nil {
		return fmt.Errorf("paxos node %s: %w", cfg.Name, err)
	}
	defer s.close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("paxos node %s: %w", cfg.Name, err)
	}
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(s.log.Writer(), s.log.Prefix()+"http: ", s.log.Flags()),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.log.Printf("serving on %s (peers %s, quorum %d of %d, op timeout %v, peer timeout %v%s)",
		ln.Addr(), nodeconf.FormatPeers(cfg.Peers), s.quorum, len(s.ids), cfg.OpTimeout, cfg.PeerTimeout, bugNote(cfg.Bug))
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("http server: %w", err)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = srv.Shutdown(shutCtx)
	cancel()
	_ = srv.Close()
	if cerr := s.close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing journal: %w", cerr)
	}
	if err != nil {
		s.log.Printf("stopped: %v", err)
		return fmt.Errorf("paxos node %s: %w", cfg.Name, err)
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

// server is one node: an acceptor for every key, and a proposer that runs
// a CASPaxos round for each client operation.
type server struct {
	cfg    Config
	log    *log.Logger
	clock  *nodeclock.Clock
	j      *journal // nil with the amnesia bug
	acc    *acceptor
	tr     *transport
	ids    []uint64
	quorum int

	bmu     sync.Mutex
	round   uint64 // last round used
	ceiling uint64 // rounds below it are covered by a durable ceiling record

	keys      keyLocks
	boot      uint64        // random per start: op ids stay unique across restarts
	seq       atomic.Uint64 // op counter
	committed atomic.Uint64 // rounds this proposer completed, for /status
	closeOnce sync.Once
	closeErr  error
}

// newServer recovers the acceptor state from cfg.DataDir (unless the
// amnesia bug keeps it in memory) and starts the journal writer.
func newServer(cfg Config, clock *nodeclock.Clock) (*server, error) {
	var rb [8]byte
	if _, err := crand.Read(rb[:]); err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, log: cfg.Logger, clock: clock, ids: nodeconf.SortedIDs(cfg.Peers), quorum: cfg.quorum(),
		boot: binary.LittleEndian.Uint64(rb[:])}
	if cfg.Bug == BugAmnesia {
		// SEEDED BUG amnesia: nothing is written; a restart starts blank.
		s.acc = newAcceptor(cfg.Bug, nil)
		s.log.Printf("start: acceptor state in memory only")
	} else {
		j, recs, torn, err := openJournal(cfg.DataDir, cfg.CompactBytes)
		if err != nil {
			return nil, err
		}
		if torn != nil {
			s.log.Printf("journal: ignored a torn tail (a write cut short by a crash): %v", torn)
		}
		s.j = j
		s.acc = newAcceptor(cfg.Bug, j)
		s.acc.restore(recs)
		j.start(s.acc.snapshot)
		if len(recs) == 0 {
			s.log.Printf("start: empty data dir %s", cfg.DataDir)
		} else {
			s.log.Printf("restart: recovered %d keys and ballot ceiling %d from %d journal records in %s",
				s.acc.keys(), s.acc.persistedCeiling(), len(recs), cfg.DataDir)
		}
	}
	// Every round below the persisted ceiling may have been used before a
	// crash; start above it.
	s.round = s.acc.persistedCeiling()
	s.ceiling = s.round
	s.tr = newTransport(cfg.ID, cfg.Peers, s.acc, cfg.PeerTimeout)
	return s, nil
}

func (s *server) close() error {
	s.closeOnce.Do(func() {
		s.tr.close()
		s.closeErr = s.j.close()
	})
	return s.closeErr
}

// handler is the node's one HTTP handler: the client API, peer messages
// and the clock control.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	peers := peerHandler(s.acc)
	mux.Handle(pathPrepare, peers)
	mux.Handle(pathAccept, peers)
	mux.Handle(nodeclock.Path, s.clock.Handler())
	mux.Handle("/", kvhttp.Handler(s))
	return mux
}

// nextBallot returns a ballot above every one this node used, even before
// a crash: a round is used only once a ceiling above it is durable.
func (s *server) nextBallot() (Ballot, error) {
	s.bmu.Lock()
	defer s.bmu.Unlock()
	next := s.round + 1
	if next >= s.ceiling {
		c := next + ceilingStep
		if err := waitDurable(s.acc.raiseCeiling(c)); err != nil {
			return Ballot{}, fmt.Errorf("persisting the ballot ceiling: %w", err)
		}
		s.ceiling = c
	}
	s.round = next
	return Ballot{Round: next, Node: s.cfg.ID}, nil
}

// observe moves the round counter past a ballot another proposer used, so
// the next attempt can win.
func (s *server) observe(b Ballot) {
	s.bmu.Lock()
	defer s.bmu.Unlock()
	s.round = max(s.round, b.Round)
}

// change says what an operation does to a register holding cur: set
// when it changes it, to x; swapped is a compare-and-set's answer.
type change func(cur Value) (x int64, set, swapped bool)

// outcome is what a proposal did.
type outcome struct {
	prev    Value // the chosen value the operation saw
	swapped bool
}

// newOpID names an operation uniquely (node, boot, counter).
func (s *server) newOpID() OpID {
	return OpID{Node: s.cfg.ID, Boot: s.boot, Seq: s.seq.Add(1)}
}

// propose runs CASPaxos rounds for key until one applies f (nil: a read)
// or the op timeout passes.
//
// A round is a prepare to every acceptor, then an accept of the next value
// computed from the highest-ballot value a quorum reported. A read whose
// promises show the value already chosen skips the accept; otherwise it
// writes the value back unchanged, which makes it chosen.
//
// When an accept carrying the op's change is cut short (some acceptors
// may hold it), the op is not simply tried again, since that could apply
// it twice. The next round looks for the op's id in the value it adopts:
// if it is there, the change is in the adopted lineage and the round only
// makes that value chosen; if it is absent while the window of recent
// changes covers every version since the op's first attempt, the change
// was never chosen, and this round (which seals the adopted value at a
// higher ballot) applies it afresh. So a change takes effect at most
// once, and most contended or cut-short rounds still end in a definite
// answer. A failure is definite while nothing carrying the change can
// have been accepted; after that it is indeterminate.
func (s *server) propose(ctx context.Context, key, what string, f change) (outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	// One round per key at a time on this node: its own operations would
	// only steal each other's ballots.
	unlock, err := s.keys.lock(ctx, key)
	if err != nil {
		return outcome{}, targets.Definite(fmt.Errorf("%s %s: waiting for this node's previous operation on the key: %w", what, key, err))
	}
	defer unlock()
	op := s.newOpID()
	var (
		landed bool   // an accept carrying op's change may have been taken
		base   uint64 // lowest version op's change was computed from
		last   error
	)
	fail := func(err error) (outcome, error) {
		if landed {
			return outcome{}, fmt.Errorf("%s %s: outcome unknown: %w", what, key, err)
		}
		return outcome{}, targets.Definite(fmt.Errorf("%s %s: %w", what, key, err))
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			// Randomized exponential backoff, on the node's clock, so
			// dueling proposers stop colliding.
			d := time.Duration(rand.Int64N(int64(s.cfg.Backoff) << min(attempt, maxBackoffShift)))
			if err := s.clock.Sleep(ctx, d); err != nil {
				return fail(fmt.Errorf("%w; gave up after %d attempts: %w", last, attempt, err))
			}
		}
		b, err := s.nextBallot()
		if err != nil {
			return fail(err)
		}
		cur, chosen, err := s.phase1(ctx, key, b)
		if err != nil {
			last = err
			if ctx.Err() != nil {
				return fail(fmt.Errorf("%w (attempt %d)", err, attempt+1))
			}
			continue
		}
		next, res, carries := cur, outcome{prev: cur}, false
		if f == nil {
			if chosen {
				s.committed.Add(1)
				return res, nil
			}
		} else if a, ok := cur.find(op); landed && ok {
			res.swapped, carries = a.Swapped, true
		} else if landed && !cur.covers(base) {
			return outcome{}, fmt.Errorf("%s %s: outcome unknown: more than %d changes since an interrupted attempt", what, key, RecentWindow)
		} else if x, set, swapped := f(cur); set {
			next, res.swapped, carries = cur.then(op, x, swapped), swapped, true
		} else {
			res.swapped = swapped
		}
		refused, err := s.phase2(ctx, key, b, next)
		if err == nil {
			s.committed.Add(1)
			return res, nil
		}
		last = err
		if carries && !refused {
			if !landed || cur.Ver < base {
				base = cur.Ver
			}
			landed = true
		}
		if ctx.Err() != nil {
			return fail(fmt.Errorf("%w (attempt %d)", err, attempt+1))
		}
	}
}

type prepared struct {
	from uint64
	resp prepareResp
	err  error
}

// phase1 sends prepare(b) to every acceptor and returns, once a quorum
// promised, the value accepted with the highest ballot among them (the
// empty register when none accepted anything). chosen is true when every
// promise of the quorum reports the same accepted ballot: that value was
// accepted by a quorum, so it is chosen, and no later one can have been
// (it would have been accepted by a member of this quorum).
func (s *server) phase1(ctx context.Context, key string, b Ballot) (v Value, chosen bool, err error) {
	ch := make(chan prepared, len(s.ids))
	req := prepareReq{Key: key, Ballot: b}
	for _, id := range s.ids {
		go func() {
			r, err := s.tr.prepare(ctx, id, req)
			ch <- prepared{id, r, err}
		}()
	}
	var (
		oks, refused, failed int
		best                 prepareResp
		lastErr              error
	)
	chosen = true
	for oks < s.quorum {
		if refused+failed > len(s.ids)-s.quorum {
			if refused > 0 {
				return Value{}, false, fmt.Errorf("ballot %v lost: %d of %d acceptors promised a higher one", b, refused, len(s.ids))
			}
			return Value{}, false, fmt.Errorf("no quorum of promises for ballot %v: %w", b, lastErr)
		}
		var r prepared
		select {
		case r = <-ch:
		case <-ctx.Done():
			return Value{}, false, fmt.Errorf("no quorum of promises for ballot %v (%d of %d): %w", b, oks, s.quorum, ctx.Err())
		}
		switch {
		case r.err != nil:
			failed++
			lastErr = r.err
		case !r.resp.OK:
			refused++
			s.observe(r.resp.Promised)
		default:
			if oks > 0 && r.resp.Accepted != best.Accepted {
				chosen = false
			}
			if oks == 0 || (s.cfg.Bug != BugAdoptFirst && best.Accepted.Less(r.resp.Accepted)) {
				// SEEDED BUG adopt-first: only the first promise counts.
				best = r.resp
			}
			oks++
		}
	}
	return best.Value, chosen, nil
}

type accepted struct {
	resp acceptResp
	err  error
}

// phase2 sends accept(b, v) to every acceptor and returns nil once a
// quorum accepted. refused is true when every acceptor answered and none
// accepted: then v can never be chosen, and the caller may retry.
func (s *server) phase2(ctx context.Context, key string, b Ballot, v Value) (refused bool, err error) {
	ch := make(chan accepted, len(s.ids))
	req := acceptReq{Key: key, Ballot: b, Value: v}
	// The accepts outlive a successful round (bounded by the peer timeout)
	// so that slow acceptors still learn the value.
	sendCtx := context.WithoutCancel(ctx)
	for _, id := range s.ids {
		go func() {
			r, err := s.tr.accept(sendCtx, id, req)
			ch <- accepted{r, err}
		}()
	}
	var oks, rejects, failed int
	var lastErr error
	for answered := 0; answered < len(s.ids); answered++ {
		var r accepted
		select {
		case r = <-ch:
		case <-ctx.Done():
			return false, fmt.Errorf("ballot %v: %d of %d accepted before the deadline: %w", b, oks, s.quorum, ctx.Err())
		}
		switch {
		case r.err != nil:
			failed++
			lastErr = r.err
		case !r.resp.OK:
			rejects++
			s.observe(r.resp.Promised)
		default:
			oks++
		}
		if oks >= s.quorum {
			return false, nil
		}
		if oks+failed > 0 && rejects+failed > len(s.ids)-s.quorum {
			// Lost, and some acceptor may hold v.
			if lastErr == nil {
				lastErr = errors.New("refused by a higher ballot")
			}
			return false, fmt.Errorf("ballot %v: accepted by %d, refused by %d, unreachable %d: %w", b, oks, rejects, failed, lastErr)
		}
	}
	return true, fmt.Errorf("ballot %v: every acceptor promised a higher ballot", b)
}

// Read returns the chosen value: it runs a prepare round and, unless the
// promises show that value already chosen, an accept round that writes it
// back unchanged. Either way the value it returns is the latest chosen one
// at a point inside the call, so reads are linearizable.
func (s *server) Read(ctx context.Context, key string) (int64, bool, error) {
	if s.cfg.Bug == BugLocalRead {
		// SEEDED BUG local-read: whatever this acceptor accepted last.
		v := s.acc.local(key).Val
		return v.V, v.Found, nil
	}
	out, err := s.propose(ctx, key, "read", nil)
	if err != nil {
		// A read changes nothing, whether or not its round landed.
		return 0, false, targets.Definite(err)
	}
	return out.prev.V, out.prev.Found, nil
}

// Write sets key to value.
func (s *server) Write(ctx context.Context, key string, value int64) error {
	_, err := s.propose(ctx, key, "write", func(Value) (int64, bool, bool) { return value, true, false })
	return err
}

// CAS sets key to to when it holds from; the comparison happens inside
// the round, against the chosen value.
func (s *server) CAS(ctx context.Context, key string, from, to int64) (bool, error) {
	out, err := s.propose(ctx, key, "cas", func(cur Value) (int64, bool, bool) {
		if cur.Found && cur.V == from {
			return to, true, true
		}
		return 0, false, false
	})
	return out.swapped, err
}

// Status reports this node's view. CASPaxos has no leader; Term is the
// proposer's round counter and Commit the rounds it completed.
func (s *server) Status() kvhttp.Status {
	s.bmu.Lock()
	round := s.round
	s.bmu.Unlock()
	n := s.committed.Load()
	return kvhttp.Status{ID: s.cfg.ID, Name: s.cfg.Name, Term: round, Commit: n, Applied: n}
}

var _ kvhttp.Backend = (*server)(nil)

// keyLocks serialises this node's operations per key.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch      chan struct{} // holds a token while the key is locked
	waiters int           // holders and waiters; the entry goes at zero
}

// lock waits until key is free or ctx ends, and returns the unlock.
func (k *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.waiters++
	k.mu.Unlock()
	release := func() {
		k.mu.Lock()
		if l.waiters--; l.waiters == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
