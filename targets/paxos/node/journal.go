package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/faultline-io/faultline/targets/internal/recordlog"
)

// The journal is the node's only durable state: one append-only file of
// records, each
//
//	u32 LE payload length | u32 LE CRC-32C of (kind, payload) | kind byte | payload
//
// with two kinds:
//
//	recSlot:    uvarint key length | key | promised | accepted | varint value | found byte |
//	            uvarint version | uvarint n | n × (op id | uvarint version | swapped byte)
//	            (a ballot is uvarint round | uvarint node; an op id three uvarints)
//	recCeiling: uvarint round — the proposer uses no round at or above it
//
// The last record of a key wins on replay, and the largest ceiling. A
// record that is cut short or fails its checksum ends the journal: it is a
// write the process died in the middle of, which was never fsynced, so no
// reply depended on it; it is truncated away.
//
// Writes are group-committed: callers enqueue a record (under the lock
// that orders their state changes, so the journal's order is the order of
// the changes) and wait on a channel; one writer goroutine writes whatever
// is queued, fsyncs once, and then releases every waiter of the batch. A
// reply is sent only after its record is durable, and since an fsync covers
// everything written before it, every state change a reply could have
// observed is durable by then too.
const (
	journalFile = "paxos.journal"
	recSlot     = byte(1)
	recCeiling  = byte(2)
	maxRecord   = 1 << 20
)

// record is one decoded journal record.
type record struct {
	kind    byte
	key     string
	slot    slot
	ceiling uint64
}

func encodeSlot(dst []byte, key string, s slot) []byte {
	p := binary.AppendUvarint(nil, uint64(len(key)))
	p = append(p, key...)
	for _, b := range []Ballot{s.Promised, s.Accepted} {
		p = binary.AppendUvarint(p, b.Round)
		p = binary.AppendUvarint(p, b.Node)
	}
	p = binary.AppendVarint(p, s.Val.V)
	p = append(p, boolByte(s.Val.Found))
	p = binary.AppendUvarint(p, s.Val.Ver)
	p = binary.AppendUvarint(p, uint64(len(s.Val.Recent)))
	for _, a := range s.Val.Recent {
		for _, x := range []uint64{a.ID.Node, a.ID.Boot, a.ID.Seq, a.Ver} {
			p = binary.AppendUvarint(p, x)
		}
		p = append(p, boolByte(a.Swapped))
	}
	return recordlog.Append(dst, recSlot, p)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func encodeCeiling(dst []byte, round uint64) []byte {
	return recordlog.Append(dst, recCeiling, binary.AppendUvarint(nil, round))
}

func decodePayload(kind byte, p []byte) (record, error) {
	r := record{kind: kind}
	uv := func() (uint64, error) {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, errors.New("bad uvarint")
		}
		p = p[n:]
		return v, nil
	}
	switch kind {
	case recCeiling:
		v, err := uv()
		if err != nil {
			return r, err
		}
		r.ceiling = v
	case recSlot:
		n, err := uv()
		if err != nil || n > uint64(len(p)) {
			return r, errors.New("bad key length")
		}
		r.key = string(p[:n])
		p = p[n:]
		var vals [4]uint64
		for i := range vals {
			if vals[i], err = uv(); err != nil {
				return r, err
			}
		}
		r.slot.Promised = Ballot{vals[0], vals[1]}
		r.slot.Accepted = Ballot{vals[2], vals[3]}
		v, k := binary.Varint(p)
		if k <= 0 {
			return r, errors.New("bad value")
		}
		p = p[k:]
		flag := func() (bool, error) {
			if len(p) < 1 || p[0] > 1 {
				return false, errors.New("bad flag")
			}
			b := p[0] == 1
			p = p[1:]
			return b, nil
		}
		found, err := flag()
		if err != nil {
			return r, err
		}
		r.slot.Val = Value{V: v, Found: found}
		if r.slot.Val.Ver, err = uv(); err != nil {
			return r, err
		}
		n, err = uv()
		if err != nil || n > RecentWindow {
			return r, errors.New("bad recent count")
		}
		for range n {
			var x [4]uint64
			for i := range x {
				if x[i], err = uv(); err != nil {
					return r, err
				}
			}
			sw, err := flag()
			if err != nil {
				return r, err
			}
			r.slot.Val.Recent = append(r.slot.Val.Recent, Applied{ID: OpID{x[0], x[1], x[2]}, Ver: x[3], Swapped: sw})
		}
		if len(p) != 0 {
			return r, fmt.Errorf("%d trailing bytes", len(p))
		}
	default:
		return r, fmt.Errorf("unknown record kind %d", kind)
	}
	return r, nil
}

// decodeRecords splits data into records. valid is the length of the good
// prefix; torn says why the rest (if any) was rejected.
func decodeRecords(data []byte) (recs []record, valid int, torn error) {
	valid, torn = recordlog.Split(data, maxRecord, func(kind byte, payload []byte) error {
		r, err := decodePayload(kind, payload)
		if err == nil {
			recs = append(recs, r)
		}
		return err
	})
	return recs, valid, torn
}

// waiter is a queued record and the channel its writer is told on.
type waiter struct {
	buf  []byte
	done chan error
}

// journal is the open journal file and its writer goroutine.
type journal struct {
	dir, path    string
	compactBytes int64
	// snapshot returns the whole durable state as records (every key's
	// slot and the ceiling), encoded; the writer calls it to compact.
	snapshot func() []byte

	mu     sync.Mutex
	queue  []waiter
	wake   chan struct{} // cap 1: the writer has work
	err    error         // sticky: after a failed write nothing more is acknowledged
	closed bool
	stop   chan struct{}
	exited chan struct{}

	f    *os.File // writer goroutine only (and open/close)
	size int64    // writer goroutine only
}

// openJournal opens (creating) the journal in dir, truncates a torn tail
// and returns the records it holds. torn describes a tail that was cut.
func openJournal(dir string, compactBytes int64) (j *journal, recs []record, torn error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, journalFile)
	_ = os.Remove(path + ".tmp") // an unfinished compaction; the old journal stands
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, fmt.Errorf("reading journal: %w", err)
	}
	recs, valid, torn := decodeRecords(data)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("opening journal: %w", err)
	}
	fail := func(err error) (*journal, []record, error, error) {
		f.Close()
		return nil, nil, nil, err
	}
	if valid < len(data) {
		if err := f.Truncate(int64(valid)); err != nil {
			return fail(fmt.Errorf("truncating torn journal tail: %w", err))
		}
	}
	if _, err := f.Seek(int64(valid), 0); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("syncing journal: %w", err))
	}
	if err := recordlog.SyncDir(dir); err != nil {
		return fail(err)
	}
	j = &journal{
		dir: dir, path: path, compactBytes: compactBytes, f: f, size: int64(valid),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), exited: make(chan struct{}),
	}
	return j, recs, torn, nil
}

// start runs the writer; snapshot is what compaction writes.
func (j *journal) start(snapshot func() []byte) {
	j.snapshot = snapshot
	go j.writer()
}

// append queues buf (one or more encoded records) and returns the channel
// that receives nil once it is durable, or the error that prevented it.
// Callers hold the lock that orders their state changes.
func (j *journal) append(buf []byte) <-chan error {
	done := make(chan error, 1)
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.err != nil:
		done <- j.err
		return done
	case j.closed:
		done <- errors.New("journal closed")
		return done
	}
	j.queue = append(j.queue, waiter{buf: buf, done: done})
	select {
	case j.wake <- struct{}{}:
	default:
	}
	return done
}

func (j *journal) writer() {
	defer close(j.exited)
	var batch []byte
	for {
		select {
		case <-j.wake:
		case <-j.stop:
			j.failAll(errors.New("journal closed"))
			return
		}
		j.mu.Lock()
		q := j.queue
		j.queue = nil
		j.mu.Unlock()
		if len(q) == 0 {
			continue
		}
		batch = batch[:0]
		for _, w := range q {
			batch = append(batch, w.buf...)
		}
		err := j.write(batch)
		if err == nil && j.size >= j.compactBytes {
			err = j.compact()
		}
		if err != nil {
			j.mu.Lock()
			j.err = fmt.Errorf("journal: %w", err)
			j.mu.Unlock()
		}
		for _, w := range q {
			w.done <- err
		}
		if err != nil {
			j.failAll(err)
			return
		}
	}
}

func (j *journal) write(b []byte) error {
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	j.size += int64(len(b))
	return nil
}

// compact atomically replaces the journal with a snapshot of the state:
// temp file, fsync, rename, fsync of the directory. Records queued while
// it runs are older than or equal to the snapshot for their key, and each
// is followed in the queue by the record of any later change to that key,
// so appending them after the snapshot replays to the same state.
func (j *journal) compact() error {
	snap := j.snapshot()
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if _, err := f.Write(snap); err != nil {
		f.Close()
		return fmt.Errorf("compact: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("compact: fsync: %w", err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		f.Close()
		return fmt.Errorf("compact: %w", err)
	}
	if err := recordlog.SyncDir(j.dir); err != nil {
		f.Close()
		return err
	}
	j.f.Close()
	j.f = f // positioned at its end
	j.size = int64(len(snap))
	return nil
}

func (j *journal) failAll(err error) {
	j.mu.Lock()
	q := j.queue
	j.queue = nil
	if j.err == nil {
		j.err = err
	}
	j.mu.Unlock()
	for _, w := range q {
		w.done <- err
	}
}

// close stops the writer (failing what is still queued) and closes the
// file. Safe to call more than once and before start.
func (j *journal) close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	if j.snapshot != nil {
		close(j.stop)
		<-j.exited
	}
	return j.f.Close()
}
