package counter

import (
	"context"
	"fmt"
	"strings"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/internal/hist"
	"github.com/faultline-io/faultline/harness/history"
)

// New returns the checker, named "counter".
func New() checker.Checker { return counterChecker{} }

type counterChecker struct{}

func (counterChecker) Name() string { return "counter" }

// maxErrors bounds the out-of-bounds reads listed in the details.
const maxErrors = 10

// Details is the checker's report.
type Details struct {
	Reads      int             `json:"reads"`
	ErrorCount int             `json:"error-count"`
	Errors     []ReadError     `json:"errors,omitempty"` // the first few
	Final      *Bounds         `json:"final,omitempty"`  // the last read
	Malformed  *hist.Malformed `json:"malformed,omitempty"`
}

// Bounds is what a read returned and what it could have returned.
type Bounds struct {
	Lower int64 `json:"lower"`
	Value int64 `json:"value"`
	Upper int64 `json:"upper"`
}

// ReadError is a read outside its bounds.
type ReadError struct {
	Bounds
	Read hist.Ref `json:"read"`
}

func (counterChecker) Check(ctx context.Context, ops []history.Op) checker.Result {
	var bad hist.Malformed
	var d Details
	var lower, upper int64
	addOf := map[history.Process]int64{}   // process -> amount of its add in flight
	readLow := map[history.Process]int64{} // process -> lower bound when its read was invoked
	for i := range ops {
		op := &ops[i]
		if !op.IsClient() {
			continue
		}
		switch {
		case op.F == "add" && op.Type == history.Invoke:
			n, err := hist.Int(op.Value)
			if err == nil && n < 0 {
				err = fmt.Errorf("negative increment %d", n)
			}
			if err != nil {
				bad.Add(op, err.Error())
				continue
			}
			addOf[op.Process] = n
			upper += n
		case op.F == "add":
			n, ok := addOf[op.Process]
			if !ok {
				continue
			}
			delete(addOf, op.Process)
			switch op.Type {
			case history.OK:
				lower += n
			case history.Fail:
				upper -= n
			}
		case op.F == "read" && op.Type == history.Invoke:
			readLow[op.Process] = lower
		case op.F == "read":
			low, ok := readLow[op.Process]
			delete(readLow, op.Process)
			if !ok || op.Type != history.OK {
				continue
			}
			var v int64
			if s := strings.TrimSpace(string(op.Value)); s != "null" && s != "" {
				n, err := hist.Int(op.Value)
				if err != nil {
					bad.Add(op, err.Error())
					continue
				}
				v = n
			}
			d.Reads++
			b := Bounds{Lower: low, Value: v, Upper: upper}
			d.Final = &b
			if v < low || v > upper {
				d.ErrorCount++
				if len(d.Errors) < maxErrors {
					d.Errors = append(d.Errors, ReadError{Bounds: b, Read: hist.RefOf(op)})
				}
			}
		}
	}
	if bad.Count > 0 {
		d.Malformed = &bad
	}
	r := checker.Result{Details: d}
	switch {
	case ctx.Err() != nil:
		r.Verdict, r.Message = checker.Unknown, "cancelled: "+ctx.Err().Error()
	case bad.Count > 0:
		// An add that could not be read makes every later bound unsure, so
		// no read can be called out of bounds.
		r.Verdict, r.Message = checker.Unknown, bad.Summary()
	case d.ErrorCount > 0:
		e := d.Errors[0]
		r.Verdict = checker.Invalid
		r.Message = fmt.Sprintf("%d of %d reads out of bounds; first: %s read %d, possible %d..%d",
			d.ErrorCount, d.Reads, e.Read, e.Value, e.Lower, e.Upper)
	case d.Reads == 0:
		r.Verdict, r.Message = checker.Unknown, "the counter was never read"
	default:
		r.Verdict = checker.Valid
		r.Message = fmt.Sprintf("%d reads, all within bounds; last read %d (possible %d..%d)", d.Reads, d.Final.Value, d.Final.Lower, d.Final.Upper)
	}
	return r
}
