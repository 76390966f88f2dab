package hist

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/faultline-io/faultline/harness/history"
)

// Pair is one client operation: its invocation and what became of it.
type Pair struct {
	Inv    *history.Op
	Comp   *history.Op // nil when the history ended before it completed
	InvPos int         // position of Inv in the history
	// CompPos is the position of Comp, or len(history) for an op that
	// never completed: it may take effect until the very end.
	CompPos int
}

// Type is the completion's type; an op that never completed is Info, as
// Jepsen treats a dangling invocation.
func (p *Pair) Type() history.Type {
	if p.Comp == nil {
		return history.Info
	}
	return p.Comp.Type
}

// Pairs pairs the client invocations of ops with their completions (the
// next op of the same process), in invocation order. Nemesis ops and
// completions without an invocation are skipped.
func Pairs(ops []history.Op) []Pair {
	var out []Pair
	open := map[history.Process]int{} // process -> index in out
	for i := range ops {
		op := &ops[i]
		if !op.IsClient() {
			continue
		}
		if op.Type == history.Invoke {
			open[op.Process] = len(out)
			out = append(out, Pair{Inv: op, InvPos: i, CompPos: len(ops)})
			continue
		}
		if j, ok := open[op.Process]; ok {
			out[j].Comp, out[j].CompPos = op, i
			delete(open, op.Process)
		}
	}
	return out
}

// Ref points at an op in a result: enough to find it in history.jsonl and
// to read it without opening the file.
type Ref struct {
	Index   int64           `json:"index"`
	Time    int64           `json:"time"`
	Process history.Process `json:"process"`
	Type    history.Type    `json:"type"`
	F       string          `json:"f"`
	Value   json.RawMessage `json:"value,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// RefOf describes op.
func RefOf(op *history.Op) Ref {
	return Ref{Index: op.Index, Time: op.Time, Process: op.Process, Type: op.Type, F: op.F, Value: op.Value, Error: op.Error}
}

// String renders a ref for messages.
func (r Ref) String() string {
	s := fmt.Sprintf("op %d (process %v, %v %s", r.Index, r.Process, r.Type, r.F)
	if len(r.Value) > 0 {
		v := string(r.Value)
		if len(v) > 120 {
			v = v[:117] + "..."
		}
		s += " " + v
	}
	return s + ")"
}

// MaxMalformed bounds the examples of ops a checker could not interpret.
const MaxMalformed = 5

// Malformed counts ops a checker could not interpret and keeps the first
// few; a checker that met any cannot call the history valid.
type Malformed struct {
	Count    int      `json:"count"`
	Examples []string `json:"examples,omitempty"`
}

// Add records op as uninterpretable because of why.
func (m *Malformed) Add(op *history.Op, why string) {
	m.Count++
	if len(m.Examples) < MaxMalformed {
		m.Examples = append(m.Examples, RefOf(op).String()+": "+why)
	}
}

// Summary is a sentence for a result's message, or "" when there are none.
func (m *Malformed) Summary() string {
	if m.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d ops could not be interpreted (first: %s)", m.Count, m.Examples[0])
}

// IntSet renders integers as Jepsen renders an integer interval set:
// "#{1..5 7 9..10}".
func IntSet(xs []int64) string {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	xs = slices.Compact(xs)
	var b strings.Builder
	b.WriteString("#{")
	for i := 0; i < len(xs); {
		j := i
		for j+1 < len(xs) && xs[j+1] == xs[j]+1 {
			j++
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(xs[i], 10))
		if j > i {
			b.WriteString("..")
			b.WriteString(strconv.FormatInt(xs[j], 10))
		}
		i = j + 1
	}
	b.WriteByte('}')
	return b.String()
}

// Int decodes an op value that must be an integer.
func Int(v json.RawMessage) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want an integer, got %.60q", v)
	}
	return n, nil
}
