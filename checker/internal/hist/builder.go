package hist

import "github.com/faultline-io/faultline/harness/history"

// Builder writes histories by hand, for the checkers' tests: each call
// appends one op with the next index and time.
type Builder struct{ ops []history.Op }

func (b *Builder) add(p int, t history.Type, f string, v any) *Builder {
	n := int64(len(b.ops))
	b.ops = append(b.ops, history.Op{Index: n, Time: n * 1000, Process: history.Process(p), Type: t, F: f, Value: history.MustValue(v)})
	return b
}

// Invoke appends an invocation by process p.
func (b *Builder) Invoke(p int, f string, v any) *Builder { return b.add(p, history.Invoke, f, v) }

// OK appends an ok completion.
func (b *Builder) OK(p int, f string, v any) *Builder { return b.add(p, history.OK, f, v) }

// Fail appends a fail completion.
func (b *Builder) Fail(p int, f string, v any) *Builder { return b.add(p, history.Fail, f, v) }

// Info appends an info completion.
func (b *Builder) Info(p int, f string, v any) *Builder { return b.add(p, history.Info, f, v) }

// Nemesis appends a nemesis op.
func (b *Builder) Nemesis(f string) *Builder {
	return b.add(int(history.NemesisProcess), history.Info, f, nil)
}

// Call appends an invocation and its ok completion with result v.
func (b *Builder) Call(p int, f string, arg, v any) *Builder {
	return b.Invoke(p, f, arg).OK(p, f, v)
}

// Ops returns the history.
func (b *Builder) Ops() []history.Op { return b.ops }
