package node

import (
	"os"
	"path/filepath"
	"testing"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

func ents(term uint64, from, to uint64) []*pb.Entry {
	var es []*pb.Entry
	for i := from; i <= to; i++ {
		es = append(es, &pb.Entry{Term: new(term), Index: new(i), Data: []byte{byte(i)}})
	}
	return es
}

func hardState(term, vote, commit uint64) *pb.HardState {
	return &pb.HardState{Term: new(term), Vote: new(vote), Commit: new(commit)}
}

func TestJournalTornTail(t *testing.T) {
	dir := t.TempDir()
	j, batches, torn, err := openJournal(dir)
	if err != nil || len(batches) != 0 || torn != nil {
		t.Fatalf("fresh journal: %d batches, torn %v, err %v", len(batches), torn, err)
	}
	for i, b := range []*batch{
		{Entries: ents(1, 1, 3), HardState: hardState(1, 1, 0)},
		{Entries: ents(1, 4, 5), HardState: hardState(1, 1, 3)},
		{HardState: hardState(2, 2, 5)},
	} {
		if err := j.save(b, true); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	good := j.size()
	// A fourth batch, cut short as by a crash in mid-write.
	if err := j.save(&batch{Entries: ents(2, 6, 9), HardState: hardState(2, 2, 6)}, true); err != nil {
		t.Fatal(err)
	}
	full := j.size()
	j.close()
	path := filepath.Join(dir, journalFile)
	for _, cut := range []int64{1, 5, 9, 20, full - good - 1} {
		if err := os.Truncate(path, full-cut); err != nil {
			t.Fatal(err)
		}
		j, batches, torn, err = openJournal(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(batches) != 3 || torn == nil {
			t.Fatalf("cut %d bytes: %d batches, torn %v; want 3 and a torn tail", cut, len(batches), torn)
		}
		if j.size() != good {
			t.Fatalf("cut %d bytes: journal continues at %d, want %d", cut, j.size(), good)
		}
		// Re-append the fourth batch whole, for the next round.
		if err := j.save(&batch{Entries: ents(2, 6, 9), HardState: hardState(2, 2, 6)}, true); err != nil {
			t.Fatal(err)
		}
		j.close()
	}

	// A flipped bit in the last record: its checksum fails.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-3] ^= 0x40
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	j, batches, torn, err = openJournal(dir)
	if err != nil || len(batches) != 3 || torn == nil {
		t.Fatalf("corrupt last record: %d batches, torn %v, err %v; want 3 and a torn tail", len(batches), torn, err)
	}
	// Appending after recovery makes a clean journal again.
	if err := j.save(&batch{HardState: hardState(3, 0, 5)}, true); err != nil {
		t.Fatal(err)
	}
	j.close()
	j, batches, torn, err = openJournal(dir)
	if err != nil || len(batches) != 4 || torn != nil {
		t.Fatalf("after repair: %d batches, torn %v, err %v; want 4 and no torn tail", len(batches), torn, err)
	}
	j.close()

	// Trailing zeros (a filesystem that extended the file but lost the
	// data) are torn too.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(make([]byte, 64))
	f.Close()
	j, batches, torn, err = openJournal(dir)
	if err != nil || len(batches) != 4 || torn == nil {
		t.Fatalf("trailing zeros: %d batches, torn %v, err %v", len(batches), torn, err)
	}
	j.close()
}

func TestReplayTruncatesConflictsAndKeepsSnapshot(t *testing.T) {
	dir := t.TempDir()
	j, _, _, err := openJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap := &pb.Snapshot{
		Data: []byte(`{"data":{"a":7}}`),
		Metadata: &pb.SnapshotMetadata{
			Index: new(uint64(4)), Term: new(uint64(1)),
			ConfState: &pb.ConfState{Voters: []uint64{1, 2, 3}},
		},
	}
	for _, b := range []*batch{
		{Entries: ents(1, 1, 6), HardState: hardState(1, 1, 2)},
		{Entries: ents(2, 5, 7), HardState: hardState(2, 2, 3)}, // replaces 5, 6 of term 1
		{Snapshot: snap, Entries: ents(2, 5, 8), HardState: hardState(2, 2, 3)},
	} {
		if err := j.save(b, true); err != nil {
			t.Fatal(err)
		}
	}
	j.close()

	s := &server{ms: raft.NewMemoryStorage(), kv: newKVState(), hs: &pb.HardState{}, confState: &pb.ConfState{}}
	_, batches, _, err := openJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.replay(batches); err != nil {
		t.Fatal(err)
	}
	first, _ := s.ms.FirstIndex()
	last, _ := s.ms.LastIndex()
	if first != 5 || last != 8 {
		t.Fatalf("log [%d, %d], want [5, 8]", first, last)
	}
	if term, _ := s.ms.Term(5); term != 2 {
		t.Fatalf("entry 5 has term %d, want 2", term)
	}
	// The commit index is never behind the snapshot.
	hs, cs, _ := s.ms.InitialState()
	if hs.GetCommit() != 4 || hs.GetTerm() != 2 || hs.GetVote() != 2 {
		t.Fatalf("hard state %v, want term 2 vote 2 commit 4", hs)
	}
	if len(cs.GetVoters()) != 3 {
		t.Fatalf("conf state %v", cs)
	}
	if v, found, applied := s.kv.get("a"); !found || v != 7 || applied != 4 {
		t.Fatalf("state machine: a=%d %v at %d; want 7 at 4", v, found, applied)
	}
}

func TestReplayOfConflictingSuffixWithoutSnapshot(t *testing.T) {
	dir := t.TempDir()
	j, _, _, _ := openJournal(dir)
	j.save(&batch{Entries: ents(1, 1, 6)}, true)
	j.save(&batch{Entries: ents(3, 3, 4), HardState: hardState(3, 3, 2)}, true)
	j.close()
	_, batches, _, err := openJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ms: raft.NewMemoryStorage(), kv: newKVState(), hs: &pb.HardState{}, confState: &pb.ConfState{}}
	if err := s.replay(batches); err != nil {
		t.Fatal(err)
	}
	last, _ := s.ms.LastIndex()
	if term, _ := s.ms.Term(3); last != 4 || term != 3 {
		t.Fatalf("last %d, term(3) %d; want 4 and 3", last, term)
	}
}
