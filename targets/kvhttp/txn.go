package kvhttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/faultline-io/faultline/targets"
)

var _ targets.TxnClient = (*Client)(nil)

func (r *TxnRequest) validate() error {
	if len(r.Ops) == 0 {
		return errors.New("a transaction needs at least one micro-op")
	}
	if len(r.Ops) > MaxTxnOps {
		return fmt.Errorf("%d micro-ops, at most %d", len(r.Ops), MaxTxnOps)
	}
	for i, o := range r.Ops {
		if err := o.Validate(); err != nil {
			return fmt.Errorf("micro-op %d: %w", i, err)
		}
	}
	return nil
}

// serveTxn answers POST /kv/txn. An abort is a 200 with aborted set, as a
// CAS that did not swap is: the node did its job, the answer is "no".
func serveTxn(w http.ResponseWriter, r *http.Request, b TxnBackend) {
	var req TxnRequest
	if !decode(w, r, &req) {
		return
	}
	res, err := b.Txn(r.Context(), req.Ops)
	var ab *targets.TxnAbortedError
	switch {
	case errors.As(err, &ab):
		writeJSON(w, http.StatusOK, TxnResponse{Aborted: true, Reason: ab.Reason})
	case err != nil:
		writeError(w, err)
	default:
		writeJSON(w, http.StatusOK, TxnResponse{Results: res})
	}
}

// Txn runs ops as one transaction. An abort comes back as a
// *targets.TxnAbortedError (definite); other errors are classified as for
// every call (see the package doc).
func (c *Client) Txn(ctx context.Context, ops []targets.TxnOp) ([]targets.TxnValue, error) {
	var resp TxnResponse
	if err := c.do(ctx, http.MethodPost, PathTxn, TxnRequest{Ops: ops}, &resp); err != nil {
		return nil, err
	}
	if resp.Aborted {
		return nil, &targets.TxnAbortedError{Reason: resp.Reason}
	}
	if len(resp.Results) != len(ops) {
		return nil, fmt.Errorf("POST %s %s: %d results for %d micro-ops (outcome unknown)", PathTxn, c.addr, len(resp.Results), len(ops))
	}
	return resp.Results, nil
}
