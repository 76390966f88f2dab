package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/faultline-io/faultline/targets/internal/recordlog"
)

// The journal is the node's only durable state: one append-only file of
// records, each
//
//	u32 LE payload length | u32 LE CRC-32C of (kind, payload) | kind byte | payload
//
// A record of kind recBatch holds what one Ready asked to persist, so a
// batch is written (and, on replay, applied) all or nothing:
//
//	flags byte (1 = snapshot, 2 = hard state) |
//	[uvarint len, raftpb.Snapshot] | [uvarint len, raftpb.HardState] |
//	uvarint n | n × (uvarint len, raftpb.Entry)
//
// Replay applies the batches in order to a raft.MemoryStorage exactly as
// the node did while running (ApplySnapshot, Append, SetHardState), so
// Append's truncation of conflicting suffixes is reproduced. A record that
// is cut short or fails its checksum ends the journal: it is the tail of a
// write that was never fsynced (the process died mid-write), nothing was
// sent or acknowledged on its behalf, and it is truncated away.
const (
	journalFile = "raft.journal"
	recBatch    = byte(1)
	maxRecord   = 256 << 20

	flagSnapshot  = 1
	flagHardState = 2
)

// batch is what one Ready (or a compaction) persists.
type batch struct {
	Snapshot  *pb.Snapshot  // nil when none
	HardState *pb.HardState // nil when none
	Entries   []*pb.Entry
}

func (b *batch) empty() bool {
	return b.Snapshot == nil && b.HardState == nil && len(b.Entries) == 0
}

func marshalBatch(b *batch) ([]byte, error) {
	var flags byte
	if b.Snapshot != nil {
		flags |= flagSnapshot
	}
	if b.HardState != nil {
		flags |= flagHardState
	}
	out := []byte{flags}
	add := func(m proto.Message) error {
		data, err := proto.Marshal(m)
		if err != nil {
			return err
		}
		out = binary.AppendUvarint(out, uint64(len(data)))
		out = append(out, data...)
		return nil
	}
	if b.Snapshot != nil {
		if err := add(b.Snapshot); err != nil {
			return nil, err
		}
	}
	if b.HardState != nil {
		if err := add(b.HardState); err != nil {
			return nil, err
		}
	}
	out = binary.AppendUvarint(out, uint64(len(b.Entries)))
	for _, e := range b.Entries {
		if err := add(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func unmarshalBatch(p []byte) (*batch, error) {
	if len(p) < 1 {
		return nil, errors.New("empty batch")
	}
	flags := p[0]
	p = p[1:]
	next := func(m proto.Message) error {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return errors.New("bad length")
		}
		if err := proto.Unmarshal(p[k:k+int(n)], m); err != nil {
			return err
		}
		p = p[k+int(n):]
		return nil
	}
	b := &batch{}
	if flags&flagSnapshot != 0 {
		b.Snapshot = &pb.Snapshot{}
		if err := next(b.Snapshot); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
	}
	if flags&flagHardState != 0 {
		b.HardState = &pb.HardState{}
		if err := next(b.HardState); err != nil {
			return nil, fmt.Errorf("hard state: %w", err)
		}
	}
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)) {
		return nil, errors.New("bad entry count")
	}
	p = p[k:]
	b.Entries = make([]*pb.Entry, 0, n)
	for i := uint64(0); i < n; i++ {
		e := &pb.Entry{}
		if err := next(e); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		b.Entries = append(b.Entries, e)
	}
	if len(p) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(p))
	}
	return b, nil
}

// decodeRecords splits data into batches. valid is the length of the good
// prefix; torn describes why the rest (if any) was rejected.
func decodeRecords(data []byte) (batches []*batch, valid int, torn error) {
	valid, torn = recordlog.Split(data, maxRecord, func(kind byte, payload []byte) error {
		if kind != recBatch {
			return fmt.Errorf("unknown record kind %d", kind)
		}
		b, err := unmarshalBatch(payload)
		if err == nil {
			batches = append(batches, b)
		}
		return err
	})
	return batches, valid, torn
}

// journal is the open journal file.
type journal struct {
	dir  string
	path string
	f    *os.File
	buf  []byte
}

// openJournal opens (creating) the journal in dir and returns the batches
// it holds. A torn tail is truncated away and reported through torn.
func openJournal(dir string) (j *journal, batches []*batch, torn error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, journalFile)
	_ = os.Remove(path + ".tmp") // an unfinished rewrite; the old journal stands
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, fmt.Errorf("reading journal: %w", err)
	}
	batches, valid, torn := decodeRecords(data)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("opening journal: %w", err)
	}
	if valid < len(data) {
		if err := f.Truncate(int64(valid)); err != nil {
			f.Close()
			return nil, nil, nil, fmt.Errorf("truncating torn journal tail: %w", err)
		}
	}
	if _, err := f.Seek(int64(valid), 0); err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("syncing journal: %w", err)
	}
	if err := recordlog.SyncDir(dir); err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	return &journal{dir: dir, path: path, f: f}, batches, torn, nil
}

// save appends b, and fsyncs when sync is set.
func (j *journal) save(b *batch, sync bool) error {
	payload, err := marshalBatch(b)
	if err != nil {
		return fmt.Errorf("journal: encoding: %w", err)
	}
	j.buf = recordlog.Append(j.buf[:0], recBatch, payload)
	if _, err := j.f.Write(j.buf); err != nil {
		return fmt.Errorf("journal: write: %w", err)
	}
	if sync {
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("journal: fsync: %w", err)
		}
	}
	return nil
}

// rewrite atomically replaces the journal with the single batch b (a
// snapshot, the hard state and the entries after the snapshot).
func (j *journal) rewrite(b *batch) error {
	payload, err := marshalBatch(b)
	if err != nil {
		return fmt.Errorf("journal: encoding: %w", err)
	}
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("journal: rewrite: %w", err)
	}
	if _, err := f.Write(recordlog.Append(nil, recBatch, payload)); err != nil {
		f.Close()
		return fmt.Errorf("journal: rewrite: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("journal: rewrite: fsync: %w", err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		f.Close()
		return fmt.Errorf("journal: rewrite: %w", err)
	}
	if err := recordlog.SyncDir(j.dir); err != nil {
		f.Close()
		return err
	}
	old := j.f
	j.f = f // positioned at its end
	old.Close()
	return nil
}

func (j *journal) size() int64 {
	off, err := j.f.Seek(0, 1)
	if err != nil {
		return -1
	}
	return off
}

func (j *journal) close() error {
	if j == nil || j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
