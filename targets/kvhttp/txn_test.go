package kvhttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faultline-io/faultline/targets"
)

// txnBackend adds transactions to memBackend: integers only, with the
// transfer abort, which is all the protocol layer needs to carry.
type txnBackend struct {
	memBackend
	lists map[string][]int64
}

func (m *txnBackend) Txn(ctx context.Context, ops []targets.TxnOp) ([]targets.TxnValue, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	res := make([]targets.TxnValue, len(ops))
	for i, o := range ops {
		switch o.F {
		case targets.TxnRead:
			if l, ok := m.lists[o.Key]; ok {
				res[i] = targets.ListValue(l)
			} else if v, ok := m.kv[o.Key]; ok {
				res[i] = targets.IntValue(v)
			}
		case targets.TxnAppend:
			m.lists[o.Key] = append(m.lists[o.Key], o.Value)
		case targets.TxnTransfer:
			if m.kv[o.Key] < o.Value {
				return nil, &targets.TxnAbortedError{Reason: "insufficient funds"}
			}
			m.kv[o.Key] -= o.Value
			m.kv[o.To] += o.Value
		}
	}
	return res, nil
}

func TestTxnRoundTrip(t *testing.T) {
	b := &txnBackend{memBackend: memBackend{kv: map[string]int64{"a": 5}}, lists: map[string][]int64{}}
	c := newServer(t, b)
	ctx := ctxT(t, 5*time.Second)
	res, err := c.Txn(ctx, []targets.TxnOp{
		{F: targets.TxnAppend, Key: "l", Value: 1},
		{F: targets.TxnAppend, Key: "l", Value: 2},
		{F: targets.TxnRead, Key: "l"},
		{F: targets.TxnRead, Key: "a"},
		{F: targets.TxnRead, Key: "none"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 || !res[2].IsList || len(res[2].List) != 2 || res[2].List[1] != 2 ||
		!res[3].Found || res[3].IsList || res[3].Int != 5 || res[4].Found || res[0].Found {
		t.Fatalf("results %+v", res)
	}

	_, err = c.Txn(ctx, []targets.TxnOp{{F: targets.TxnTransfer, Key: "a", To: "b", Value: 6}})
	var ab *targets.TxnAbortedError
	if !errors.As(err, &ab) || ab.Reason != "insufficient funds" || !targets.IsDefinite(err) {
		t.Fatalf("abort: err = %v, want a definite *TxnAbortedError", err)
	}

	b.mu.Lock()
	b.err = errors.New("proposed, then lost leadership")
	b.mu.Unlock()
	if _, err := c.Txn(ctx, []targets.TxnOp{{F: targets.TxnAppend, Key: "l", Value: 3}}); err == nil || targets.IsDefinite(err) {
		t.Fatalf("backend error after proposing: err = %v, want indeterminate", err)
	}
}

func TestTxnMalformedAndUnsupported(t *testing.T) {
	srv := httptest.NewServer(Handler(&txnBackend{memBackend: memBackend{kv: map[string]int64{}}, lists: map[string][]int64{}}))
	defer srv.Close()
	for _, body := range []string{
		`{"ops":[]}`,
		`{"ops":[{"f":"read"}]}`,
		`{"ops":[{"f":"drop","key":"x"}]}`,
		`{"ops":[{"f":"transfer","key":"a"}]}`,
		`{"ops":[{"f":"transfer","key":"a","to":"a","value":1}]}`,
		`{"ops":[{"f":"transfer","key":"a","to":"b","value":-1}]}`,
		`{"ops":[{"f":"read","key":"a","to":"b"}]}`,
		`{"ops":"x"}`,
	} {
		resp, err := http.Post(srv.URL+PathTxn, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", body, resp.StatusCode)
		}
	}
	// A backend without transactions does not serve the path; the client
	// sees a definite "not found" or an unknown outcome, never success.
	c := newServer(t, &memBackend{kv: map[string]int64{}})
	if _, err := c.Txn(ctxT(t, 2*time.Second), []targets.TxnOp{{F: targets.TxnRead, Key: "x"}}); err == nil {
		t.Fatal("txn against a backend without transactions succeeded")
	}
}
