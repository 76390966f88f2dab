package kvhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/faultline-io/faultline/targets"
)

// Paths of the protocol.
const (
	PathRead   = "/kv/read"
	PathWrite  = "/kv/write"
	PathCAS    = "/kv/cas"
	PathTxn    = "/kv/txn"
	PathStatus = "/status"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// ReadRequest is the body of POST /kv/read.
type ReadRequest struct {
	Key string `json:"key"`
}

// ReadResponse answers a read. Found is false when the key has no value.
type ReadResponse struct {
	Value int64 `json:"value"`
	Found bool  `json:"found"`
}

// WriteRequest is the body of POST /kv/write. A successful write answers
// 200 with {}.
type WriteRequest struct {
	Key   string `json:"key"`
	Value int64  `json:"value"`
}

// CASRequest is the body of POST /kv/cas: set Key to To when it holds From.
type CASRequest struct {
	Key  string `json:"key"`
	From int64  `json:"from"`
	To   int64  `json:"to"`
}

// CASResponse answers a compare-and-set. Swapped is false when the key did
// not hold From (a definite no-op).
type CASResponse struct {
	Swapped bool `json:"swapped"`
}

// MaxTxnOps bounds the micro-ops of one transaction.
const MaxTxnOps = 1024

// TxnRequest is the body of POST /kv/txn: micro-ops applied in order, all
// or nothing (see targets.TxnOp).
type TxnRequest struct {
	Ops []targets.TxnOp `json:"ops"`
}

// TxnResponse answers a transaction. Results has one entry per op (what a
// read saw, null for the others). Aborted says the transaction as a whole
// was refused at apply time, Reason why: a definite no-op, like a CAS that
// did not swap.
type TxnResponse struct {
	Results []targets.TxnValue `json:"results,omitempty"`
	Aborted bool               `json:"aborted,omitempty"`
	Reason  string             `json:"reason,omitempty"`
}

// Status is a node's view of its cluster, from GET /status.
type Status struct {
	ID      uint64 `json:"id"`
	Name    string `json:"name"`
	Leader  uint64 `json:"leader"` // 0 when no leader is known
	Term    uint64 `json:"term"`
	Commit  uint64 `json:"commit"`
	Applied uint64 `json:"applied"`
}

// ErrorResponse is the body of every non-200 answer. Definite is true only
// when the operation certainly did not and will not take effect.
type ErrorResponse struct {
	Error    string `json:"error"`
	Definite bool   `json:"definite"`
}

// Backend is the key-value store behind a Handler. Each method honours
// ctx (the request's context). An error wrapping targets.ErrDefinite says
// the operation did not and will not take effect; any other error leaves
// the outcome unknown.
type Backend interface {
	Read(ctx context.Context, key string) (value int64, found bool, err error)
	Write(ctx context.Context, key string, value int64) error
	CAS(ctx context.Context, key string, from, to int64) (swapped bool, err error)
	Status() Status
}

// TxnBackend is the optional capability of a Backend that runs
// transactions. Txn returns *targets.TxnAbortedError when the transaction
// was refused as a whole; other errors are classified as Backend's.
type TxnBackend interface {
	Txn(ctx context.Context, ops []targets.TxnOp) ([]targets.TxnValue, error)
}

// Handler serves the protocol over b: POST /kv/read, /kv/write, /kv/cas,
// /kv/txn (when b is a TxnBackend) and GET /status.
func Handler(b Backend) http.Handler {
	mux := http.NewServeMux()
	if tb, ok := b.(TxnBackend); ok {
		mux.HandleFunc(PathTxn, func(w http.ResponseWriter, r *http.Request) { serveTxn(w, r, tb) })
	}
	mux.HandleFunc(PathRead, func(w http.ResponseWriter, r *http.Request) {
		var req ReadRequest
		if !decode(w, r, &req) {
			return
		}
		v, found, err := b.Read(r.Context(), req.Key)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, ReadResponse{Value: v, Found: found})
	})
	mux.HandleFunc(PathWrite, func(w http.ResponseWriter, r *http.Request) {
		var req WriteRequest
		if !decode(w, r, &req) {
			return
		}
		if err := b.Write(r.Context(), req.Key, req.Value); err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, struct{}{})
	})
	mux.HandleFunc(PathCAS, func(w http.ResponseWriter, r *http.Request) {
		var req CASRequest
		if !decode(w, r, &req) {
			return
		}
		swapped, err := b.CAS(r.Context(), req.Key, req.From, req.To)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, CASResponse{Swapped: swapped})
	})
	mux.HandleFunc(PathStatus, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, ErrorResponse{Error: "use GET", Definite: true})
			return
		}
		writeJSON(w, http.StatusOK, b.Status())
	})
	return mux
}

// decode reads the whole body (so a request cut short is never processed)
// and unmarshals it, answering 400 or 405 itself when it cannot.
func decode(w http.ResponseWriter, r *http.Request, into any) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, ErrorResponse{Error: "use POST", Definite: true})
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, ErrorResponse{Error: "reading request: " + err.Error(), Definite: true})
		return false
	}
	if err := json.Unmarshal(body, into); err != nil {
		writeJSON(w, http.StatusBadRequest, ErrorResponse{Error: "malformed request: " + err.Error(), Definite: true})
		return false
	}
	var key string
	switch v := into.(type) {
	case *ReadRequest:
		key = v.Key
	case *WriteRequest:
		key = v.Key
	case *CASRequest:
		key = v.Key
	case *TxnRequest:
		if err := v.validate(); err != nil {
			writeJSON(w, http.StatusBadRequest, ErrorResponse{Error: "malformed request: " + err.Error(), Definite: true})
			return false
		}
		return true
	}
	if key == "" {
		writeJSON(w, http.StatusBadRequest, ErrorResponse{Error: "malformed request: empty key", Definite: true})
		return false
	}
	return true
}

// writeError maps a backend error to 503 (504 for timeouts), with definite
// set when the error wraps targets.ErrDefinite.
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusServiceUnavailable
	if isTimeout(err) {
		code = http.StatusGatewayTimeout
	}
	writeJSON(w, code, ErrorResponse{Error: err.Error(), Definite: targets.IsDefinite(err)})
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = fmt.Appendf(nil, `{"error":%q,"definite":false}`, err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
