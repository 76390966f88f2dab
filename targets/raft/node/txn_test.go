package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-io/faultline/targets"
)

func applyTxn(t *testing.T, s *kvState, index uint64, ops ...targets.TxnOp) result {
	t.Helper()
	res, err := s.apply(index, command{Op: opTxn, Txn: ops})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

func txnJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestApplyTxnMicroOps(t *testing.T) {
	s := newKVState()
	r := applyTxn(t, s, 1,
		targets.TxnOp{F: targets.TxnRead, Key: "x"},
		targets.TxnOp{F: targets.TxnAppend, Key: "x", Value: 1},
		targets.TxnOp{F: targets.TxnAppend, Key: "x", Value: 2},
		targets.TxnOp{F: targets.TxnRead, Key: "x"},
		targets.TxnOp{F: targets.TxnAdd, Key: "c", Value: 5},
		targets.TxnOp{F: targets.TxnInit, Key: "a", Value: 10},
		targets.TxnOp{F: targets.TxnInit, Key: "a", Value: 99},
		targets.TxnOp{F: targets.TxnInit, Key: "b", Value: 0},
		targets.TxnOp{F: targets.TxnTransfer, Key: "a", To: "b", Value: 4},
		targets.TxnOp{F: targets.TxnRead, Key: "a"},
		targets.TxnOp{F: targets.TxnRead, Key: "b"},
		targets.TxnOp{F: targets.TxnWrite, Key: "w", Value: -3},
	)
	if r.Abort != "" {
		t.Fatalf("aborted: %s", r.Abort)
	}
	if got, want := txnJSON(r.Reads), `[null,null,null,[1,2],null,null,null,null,null,6,4,null]`; got != want {
		t.Fatalf("reads %s, want %s", got, want)
	}
	if s.applied != 1 || s.data["c"] != 5 || s.data["a"] != 6 || s.data["b"] != 4 || s.data["w"] != -3 || !slices.Equal(s.lists["x"], []int64{1, 2}) {
		t.Fatalf("state after commit: data %v lists %v applied %d", s.data, s.lists, s.applied)
	}
}

func TestApplyTxnAbortsAllOrNothing(t *testing.T) {
	s := newKVState()
	applyTxn(t, s, 1, targets.TxnOp{F: targets.TxnAppend, Key: "l", Value: 1}, targets.TxnOp{F: targets.TxnWrite, Key: "n", Value: 3})
	// Leave spare capacity in l's backing array, so the aborted append
	// below writes into it: the committed list must not change.
	s.lists["l"] = append(make([]int64, 0, 8), s.lists["l"]...)
	before := txnJSON(snapshotData{Data: s.data, Lists: s.lists})
	for _, tc := range []struct {
		name string
		ops  []targets.TxnOp
		why  string
	}{
		{"insufficient funds", []targets.TxnOp{
			{F: targets.TxnAppend, Key: "l", Value: 2},
			{F: targets.TxnWrite, Key: "n", Value: 100},
			{F: targets.TxnInit, Key: "m", Value: 0},
			{F: targets.TxnTransfer, Key: "n", To: "m", Value: 101},
		}, "insufficient funds"},
		{"append to an integer", []targets.TxnOp{{F: targets.TxnWrite, Key: "z", Value: 1}, {F: targets.TxnAppend, Key: "n", Value: 1}}, "holds an integer"},
		{"add to a list", []targets.TxnOp{{F: targets.TxnAdd, Key: "l", Value: 1}}, "holds a list"},
		{"transfer into a list", []targets.TxnOp{{F: targets.TxnTransfer, Key: "n", To: "l", Value: 1}}, "holds a list"},
		{"transfer to no account", []targets.TxnOp{{F: targets.TxnTransfer, Key: "n", To: "nobody", Value: 1}}, "must exist"},
		{"unknown micro-op", []targets.TxnOp{{F: "delete", Key: "n"}}, "unknown micro-op"},
		{"negative transfer", []targets.TxnOp{{F: targets.TxnTransfer, Key: "n", To: "m", Value: -1}}, "negative amount"},
	} {
		r := applyTxn(t, s, 2, tc.ops...)
		if !strings.Contains(r.Abort, tc.why) || r.Reads != nil {
			t.Errorf("%s: abort %q reads %v, want an abort saying %q", tc.name, r.Abort, r.Reads, tc.why)
		}
		if after := txnJSON(snapshotData{Data: s.data, Lists: s.lists}); after != before {
			t.Errorf("%s: aborted transaction changed the state: %s -> %s", tc.name, before, after)
		}
	}
	// A read result is a copy: a later append does not show through it.
	r := applyTxn(t, s, 3, targets.TxnOp{F: targets.TxnRead, Key: "l"})
	applyTxn(t, s, 4, targets.TxnOp{F: targets.TxnAppend, Key: "l", Value: 7})
	if got := txnJSON(r.Reads); got != `[[1]]` {
		t.Fatalf("earlier read changed to %s", got)
	}
	// A plain write replaces a list.
	if _, err := s.apply(5, command{Op: opWrite, Key: "l", Value: 9}); err != nil {
		t.Fatal(err)
	}
	if _, isList := s.lists["l"]; isList || s.data["l"] != 9 {
		t.Fatalf("after write: data %v lists %v", s.data, s.lists)
	}
}

func TestSnapshotCarriesLists(t *testing.T) {
	s := newKVState()
	applyTxn(t, s, 7, targets.TxnOp{F: targets.TxnAppend, Key: "l", Value: 4}, targets.TxnOp{F: targets.TxnAdd, Key: "c", Value: 2})
	b, idx, err := s.marshal()
	if err != nil || idx != 7 {
		t.Fatalf("marshal: %v at %d", err, idx)
	}
	r := newKVState()
	if err := r.restore(idx, b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.lists["l"], []int64{4}) || r.data["c"] != 2 || r.applied != 7 {
		t.Fatalf("restored data %v lists %v applied %d", r.data, r.lists, r.applied)
	}
	// A snapshot written before transactions existed has no lists.
	old := newKVState()
	if err := old.restore(3, []byte(`{"data":{"k":1}}`)); err != nil {
		t.Fatal(err)
	}
	res := applyTxn(t, old, 4, targets.TxnOp{F: targets.TxnAppend, Key: "l", Value: 1}, targets.TxnOp{F: targets.TxnRead, Key: "k"})
	if res.Abort != "" || txnJSON(res.Reads) != `[null,1]` {
		t.Fatalf("txn on an old snapshot: %+v", res)
	}
}

// TestClusterTxn runs transactions through a real 3-node cluster: through a
// follower, aborts as definite failures, and lists that survive snapshots,
// catch-up through a snapshot and a full restart.
func TestClusterTxn(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.SnapshotEvery = 20 })
	c.start()
	lead := c.waitLeader(5 * time.Second)
	f := lead%3 + 1

	txn := func(id uint64, ops ...targets.TxnOp) []targets.TxnValue {
		t.Helper()
		var res []targets.TxnValue
		retry(t, fmt.Sprintf("txn on n%d", id), func(ctx context.Context) (err error) {
			res, err = c.client(id).Txn(ctx, ops)
			return err
		})
		return res
	}
	txn(f, targets.TxnOp{F: targets.TxnInit, Key: "a", Value: 10}, targets.TxnOp{F: targets.TxnInit, Key: "b", Value: 10})
	_, err := c.client(f).Txn(opCtx(t), []targets.TxnOp{{F: targets.TxnTransfer, Key: "a", To: "b", Value: 11}})
	var ab *targets.TxnAbortedError
	if !errors.As(err, &ab) || !targets.IsDefinite(err) || !strings.Contains(ab.Reason, "insufficient funds") {
		t.Fatalf("overdraft: err = %v, want a definite abort", err)
	}
	got := txn(lead, targets.TxnOp{F: targets.TxnTransfer, Key: "a", To: "b", Value: 3},
		targets.TxnOp{F: targets.TxnRead, Key: "a"}, targets.TxnOp{F: targets.TxnRead, Key: "b"})
	if txnJSON(got) != `[null,7,13]` {
		t.Fatalf("transfer then read: %s", txnJSON(got))
	}

	c.stop(f)
	// Enough entries that the others snapshot and compact past what f has.
	for i := range 60 {
		txn(lead, targets.TxnOp{F: targets.TxnAppend, Key: fmt.Sprintf("l%d", i%3), Value: int64(i)})
	}
	want := `[[0,3,6,9,12,15,18,21,24,27,30,33,36,39,42,45,48,51,54,57],[2,5,8,11,14,17,20,23,26,29,32,35,38,41,44,47,50,53,56,59],13]`
	read := []targets.TxnOp{{F: targets.TxnRead, Key: "l0"}, {F: targets.TxnRead, Key: "l2"}, {F: targets.TxnRead, Key: "b"}}
	c.start(f)
	if got := txnJSON(txn(f, read...)); got != want {
		t.Fatalf("n%d after catching up reads %s, want %s", f, got, want)
	}
	if !c.logged(f, "installed snapshot") {
		t.Errorf("n%d caught up without installing a snapshot", f)
	}
	for _, id := range c.ids() {
		c.stop(id)
	}
	c.start()
	c.waitLeader(5 * time.Second)
	for _, id := range c.ids() {
		if got := txnJSON(txn(id, read...)); got != want {
			t.Fatalf("n%d after a full restart reads %s, want %s", id, got, want)
		}
	}
}
