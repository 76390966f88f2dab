package bank

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/internal/hist"
	"github.com/faultline-io/faultline/harness/history"
)

// Options say what every read must show.
type Options struct {
	Accounts []string // every account name
	Total    int64    // the sum of all balances, conserved by transfers
}

// The error kinds, as Jepsen names them.
const (
	UnexpectedKey = "unexpected-key"
	NilBalance    = "nil-balance"
	NegativeValue = "negative-value"
	WrongTotal    = "wrong-total"
)

// New returns the checker, named "bank".
func New(o Options) checker.Checker { return bankChecker{o} }

type bankChecker struct{ o Options }

func (bankChecker) Name() string { return "bank" }

// Details is the checker's report.
type Details struct {
	ReadCount     int                   `json:"read-count"`
	TransferCount int                   `json:"transfer-count"` // transfers that completed ok
	ErrorCount    int                   `json:"error-count"`    // reads with at least one error
	Errors        map[string]*ErrorKind `json:"errors,omitempty"`
	Total         int64                 `json:"total"`
	Accounts      int                   `json:"accounts"`
	Malformed     *hist.Malformed       `json:"malformed,omitempty"`
}

// ErrorKind is every read with one kind of error.
type ErrorKind struct {
	Count int        `json:"count"`
	First *ReadError `json:"first"`
	Worst *ReadError `json:"worst"` // the largest deviation (wrong-total, negative-value), else the first
	Last  *ReadError `json:"last"`
}

// ReadError is one read with one kind of error.
type ReadError struct {
	Read       hist.Ref         `json:"read"`
	Total      *int64           `json:"total,omitempty"`      // wrong-total
	Negative   map[string]int64 `json:"negative,omitempty"`   // negative-value
	Missing    []string         `json:"missing,omitempty"`    // nil-balance
	Unexpected []string         `json:"unexpected,omitempty"` // unexpected-key
	badness    int64
}

func (c bankChecker) Check(ctx context.Context, ops []history.Op) checker.Result {
	d := Details{Errors: map[string]*ErrorKind{}, Total: c.o.Total, Accounts: len(c.o.Accounts)}
	var bad hist.Malformed
	known := make(map[string]bool, len(c.o.Accounts))
	for _, a := range c.o.Accounts {
		known[a] = true
	}
	record := func(kind string, e *ReadError) {
		k := d.Errors[kind]
		if k == nil {
			k = &ErrorKind{First: e, Worst: e}
			d.Errors[kind] = k
		}
		k.Count++
		k.Last = e
		if e.badness > k.Worst.badness {
			k.Worst = e
		}
	}
	for _, p := range hist.Pairs(ops) {
		if p.Type() != history.OK {
			continue
		}
		switch p.Inv.F {
		case "transfer":
			d.TransferCount++
			continue
		case "read":
		default:
			continue
		}
		var bal map[string]*int64
		dec := json.NewDecoder(bytes.NewReader(p.Comp.Value))
		if err := dec.Decode(&bal); err != nil || bal == nil {
			bad.Add(p.Comp, "read value: want an object from account to integer balance")
			continue
		}
		d.ReadCount++
		ref := hist.RefOf(p.Comp)
		errs := 0
		var total int64
		var missing, unexpected []string
		negative := map[string]int64{}
		var worstNeg int64
		for _, a := range c.o.Accounts {
			b := bal[a]
			if b == nil {
				missing = append(missing, a)
				continue
			}
			total += *b
			if *b < 0 {
				negative[a] = *b
				worstNeg = max(worstNeg, -*b)
			}
		}
		for a := range bal {
			if !known[a] {
				unexpected = append(unexpected, a)
			}
		}
		sort.Strings(unexpected)
		if len(unexpected) > 0 {
			errs++
			record(UnexpectedKey, &ReadError{Read: ref, Unexpected: unexpected})
		}
		if len(missing) > 0 {
			errs++
			record(NilBalance, &ReadError{Read: ref, Missing: missing})
		}
		if len(negative) > 0 {
			errs++
			record(NegativeValue, &ReadError{Read: ref, Negative: negative, badness: worstNeg})
		}
		// A total over missing balances means nothing: nil-balance says it.
		if len(missing) == 0 && total != c.o.Total {
			errs++
			t := total
			record(WrongTotal, &ReadError{Read: ref, Total: &t, badness: max(total-c.o.Total, c.o.Total-total)})
		}
		if errs > 0 {
			d.ErrorCount++
		}
	}
	if bad.Count > 0 {
		d.Malformed = &bad
	}
	r := checker.Result{Details: d}
	switch {
	case ctx.Err() != nil:
		r.Verdict, r.Message = checker.Unknown, "cancelled: "+ctx.Err().Error()
	case d.ErrorCount > 0:
		var kinds []string
		for _, k := range []string{UnexpectedKey, NilBalance, NegativeValue, WrongTotal} {
			if e := d.Errors[k]; e != nil {
				kinds = append(kinds, fmt.Sprintf("%s ×%d (first: %s)", k, e.Count, e.First.describe(k, c.o.Total)))
			}
		}
		r.Verdict = checker.Invalid
		r.Message = fmt.Sprintf("%d of %d reads wrong: %s", d.ErrorCount, d.ReadCount, strings.Join(kinds, "; "))
	case bad.Count > 0:
		r.Verdict, r.Message = checker.Unknown, bad.Summary()
	case d.ReadCount == 0:
		r.Verdict, r.Message = checker.Unknown, "no read of the balances completed"
	default:
		r.Verdict = checker.Valid
		r.Message = fmt.Sprintf("%d reads, every one totalling %d over %d accounts with no negative balance; %d transfers",
			d.ReadCount, c.o.Total, len(c.o.Accounts), d.TransferCount)
	}
	if len(d.Errors) == 0 {
		d.Errors = nil
		r.Details = d
	}
	return r
}

func (e *ReadError) describe(kind string, want int64) string {
	switch kind {
	case WrongTotal:
		return fmt.Sprintf("%s totals %d, want %d", e.Read, *e.Total, want)
	case NegativeValue:
		return fmt.Sprintf("%s has %v", e.Read, e.Negative)
	case NilBalance:
		return fmt.Sprintf("%s lacks %s", e.Read, strings.Join(e.Missing, ", "))
	default:
		return fmt.Sprintf("%s has %s", e.Read, strings.Join(e.Unexpected, ", "))
	}
}
