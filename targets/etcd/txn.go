package etcd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/faultline-io/faultline/targets"
)

// Transactions (targets.TxnClient) run the way Jepsen's etcd tests run
// them: optimistically. A read-only etcd Txn takes a snapshot of every key
// the transaction touches; the micro-ops run on it here
// (targets.ApplyTxn); then one etcd Txn writes the results only if no key
// changed since the snapshot (each key's mod_revision, 0 for an absent
// key, compared EQUAL). etcd applies that Txn atomically through Raft, so
// a committed transaction read and wrote one consistent state. When a key
// changed, nothing was written and the attempt is retried from a fresh
// snapshot, up to txnAttempts times; after that the transaction aborts
// (definite). A transaction without writes is just the snapshot.
//
// Values are stored as JSON: an integer (as the register workload's
// writes) or a list of integers.

// txnAttempts bounds the optimistic retries of one transaction.
const txnAttempts = 5

var _ targets.TxnClient = (*Client)(nil)

// NewTxnClient implements targets.TxnClientFactory.
func (t *Target) NewTxnClient(n targets.Node) (targets.TxnClient, error) {
	return NewClient(n.Addr, t.serializable), nil
}

// revision is an int64 the gateway may send as a JSON string or number.
type revision int64

func (r *revision) UnmarshalJSON(b []byte) error {
	n, err := strconv.ParseInt(string(bytes.Trim(b, `"`)), 10, 64)
	if err != nil {
		return fmt.Errorf("revision %.30s: %w", b, err)
	}
	*r = revision(n)
	return nil
}

type revKeyValue struct {
	Key         []byte   `json:"key"`
	Value       []byte   `json:"value"`
	ModRevision revision `json:"mod_revision"`
}

// snapshotEntry is one key as the snapshot saw it.
type snapshotEntry struct {
	value targets.TxnValue
	rev   int64 // mod_revision; 0 when absent
}

// Txn implements targets.TxnClient.
func (c *Client) Txn(ctx context.Context, ops []targets.TxnOp) ([]targets.TxnValue, error) {
	var keys []string
	for i, o := range ops {
		if err := o.Validate(); err != nil {
			return nil, &targets.TxnAbortedError{Reason: fmt.Sprintf("micro-op %d: %v", i, err)}
		}
		keys = append(keys, o.Key)
		if o.To != "" {
			keys = append(keys, o.To)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for attempt := 1; ; attempt++ {
		snap, err := c.snapshot(ctx, keys)
		if err != nil {
			// Reading changes nothing: whatever went wrong, the
			// transaction did not take effect.
			return nil, targets.Definite(err)
		}
		reads, writes, abort := targets.ApplyTxn(func(k string) targets.TxnValue { return snap[k].value }, ops)
		if abort != "" {
			return nil, &targets.TxnAbortedError{Reason: abort}
		}
		if len(writes) == 0 {
			return reads, nil
		}
		ok, err := c.commit(ctx, keys, snap, writes)
		if err != nil {
			return nil, err
		}
		if ok {
			return reads, nil
		}
		if attempt == txnAttempts || ctx.Err() != nil {
			return nil, &targets.TxnAbortedError{Reason: fmt.Sprintf("keys changed under %d optimistic attempts", attempt)}
		}
	}
}

// snapshot reads keys in one read-only etcd Txn: one revision for all.
func (c *Client) snapshot(ctx context.Context, keys []string) (map[string]snapshotEntry, error) {
	req := txnRequest{}
	for _, k := range keys {
		req.Success = append(req.Success, requestOp{RequestRange: &rangeRequest{Key: []byte(k), Serializable: c.serializable}})
	}
	var resp txnResponse
	if err := c.do(ctx, pathTxn, req, &resp); err != nil {
		return nil, err
	}
	if len(resp.Responses) != len(keys) {
		return nil, fmt.Errorf("txn snapshot on %s: %d answers for %d keys", c.addr, len(resp.Responses), len(keys))
	}
	snap := make(map[string]snapshotEntry, len(keys))
	for i, k := range keys {
		r := resp.Responses[i].ResponseRange
		if r == nil || len(r.Kvs) == 0 {
			snap[k] = snapshotEntry{}
			continue
		}
		var v targets.TxnValue
		if err := json.Unmarshal(r.Kvs[0].Value, &v); err != nil {
			return nil, fmt.Errorf("txn snapshot on %s: key %s: %w", c.addr, k, err)
		}
		if !v.Found {
			return nil, fmt.Errorf("txn snapshot on %s: key %s holds null", c.addr, k)
		}
		snap[k] = snapshotEntry{value: v, rev: int64(r.Kvs[0].ModRevision)}
	}
	return snap, nil
}

// commit writes writes if no key of the snapshot changed; false means one
// did and nothing was written. Its errors are do's: definite only when
// etcd certainly did not apply the Txn.
func (c *Client) commit(ctx context.Context, keys []string, snap map[string]snapshotEntry, writes map[string]targets.TxnValue) (bool, error) {
	req := txnRequest{}
	for _, k := range keys {
		req.Compare = append(req.Compare, compare{Key: []byte(k), Result: "EQUAL", Target: "MOD", ModRevision: strconv.FormatInt(snap[k].rev, 10)})
	}
	for _, k := range slices.Sorted(maps.Keys(writes)) {
		b, err := json.Marshal(writes[k])
		if err != nil {
			return false, targets.Definite(fmt.Errorf("encode %s: %w", k, err))
		}
		req.Success = append(req.Success, requestOp{RequestPut: &keyValue{Key: []byte(k), Value: b}})
	}
	var resp txnResponse
	if err := c.do(ctx, pathTxn, req, &resp); err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}
