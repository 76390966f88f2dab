package checker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
)

// Result is one checker's conclusion.
type Result struct {
	Checker string  `json:"checker"`
	Verdict Verdict `json:"valid"`
	Message string  `json:"message,omitempty"`
	// Details is checker-specific. Checkers set a typed value; a Result
	// read back with ReadResults holds generic JSON (map[string]any,
	// []any, float64, string, bool or nil).
	Details any `json:"details,omitempty"`
}

// Checker checks a history. Check must not keep the ops, must leave no
// goroutine running when it returns, and must return Unknown — never Valid —
// when ctx ends before it has decided.
type Checker interface {
	Name() string
	Check(ctx context.Context, ops []history.Op) Result
}

// Results is results.json: the merged verdict, each checker's result and
// the statistics of the history.
type Results struct {
	Valid    Verdict  `json:"valid"`
	Checkers []Result `json:"checkers"`
	Stats    Stats    `json:"stats"`
}

// Result returns the result of the checker with the given name.
func (rs *Results) Result(name string) (Result, bool) {
	for _, r := range rs.Checkers {
		if r.Checker == name {
			return r, true
		}
	}
	return Result{}, false
}

// Run runs every checker over ops, one after the other, and merges their
// verdicts. A checker that panics yields Unknown with the panic as message;
// the other checkers still run.
func Run(ctx context.Context, ops []history.Op, cs ...Checker) Results {
	rs := Results{Checkers: make([]Result, 0, len(cs)), Stats: ComputeStats(ops)}
	vs := make([]Verdict, 0, len(cs))
	for _, c := range cs {
		r := runOne(ctx, c, ops)
		rs.Checkers = append(rs.Checkers, r)
		vs = append(vs, r.Verdict)
	}
	rs.Valid = Merge(vs...)
	return rs
}

func runOne(ctx context.Context, c Checker, ops []history.Op) (r Result) {
	name := c.Name()
	defer func() {
		if p := recover(); p != nil {
			r = Result{Checker: name, Verdict: Unknown, Message: fmt.Sprintf("checker panicked: %v", p)}
		}
	}()
	r = c.Check(ctx, ops)
	if r.Checker == "" {
		r.Checker = name
	}
	if r.Verdict > Invalid {
		r.Message = fmt.Sprintf("checker returned %v; %s", r.Verdict, r.Message)
		r.Verdict = Unknown
	}
	return r
}

// WriteResults writes rs as indented JSON to path, atomically.
func WriteResults(path string, rs Results) error {
	if rs.Checkers == nil {
		rs.Checkers = []Result{}
	}
	return store.WriteJSON(path, rs)
}

// ReadResults reads a results.json. Each Result's Details comes back as
// generic JSON.
func ReadResults(path string) (Results, error) {
	var rs Results
	b, err := os.ReadFile(path)
	if err != nil {
		return rs, fmt.Errorf("read results: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&rs); err != nil {
		return Results{}, fmt.Errorf("%s: %w", path, err)
	}
	return rs, nil
}
