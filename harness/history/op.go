package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Type says what an op is: an invocation, or what is known of its outcome.
type Type uint8

// The op types, as Jepsen names them.
const (
	Invoke Type = iota
	OK
	Fail
	Info
)

var typeNames = [...]string{Invoke: "invoke", OK: "ok", Fail: "fail", Info: "info"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (t Type) MarshalText() ([]byte, error) {
	if int(t) >= len(typeNames) {
		return nil, fmt.Errorf("history: invalid op type %d", t)
	}
	return []byte(typeNames[t]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Type) UnmarshalText(b []byte) error {
	for i, n := range typeNames {
		if string(b) == n {
			*t = Type(i)
			return nil
		}
	}
	return fmt.Errorf("history: unknown op type %q (want invoke, ok, fail or info)", b)
}

// Process identifies who issued an op: a logical client (0, 1, 2, …) or the
// nemesis. A client process is sequential: it has at most one op in flight.
type Process int

// NemesisProcess is the process of every fault the nemesis injects or heals.
const NemesisProcess Process = -1

// IsNemesis reports whether p is the nemesis.
func (p Process) IsNemesis() bool { return p == NemesisProcess }

func (p Process) String() string {
	if p.IsNemesis() {
		return "nemesis"
	}
	return strconv.Itoa(int(p))
}

// MarshalJSON writes clients as numbers and the nemesis as "nemesis", as
// Jepsen does.
func (p Process) MarshalJSON() ([]byte, error) {
	if p.IsNemesis() {
		return []byte(`"nemesis"`), nil
	}
	if p < 0 {
		return nil, fmt.Errorf("history: invalid process %d", int(p))
	}
	return strconv.AppendInt(nil, int64(p), 10), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Process) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte(`"nemesis"`)) {
		*p = NemesisProcess
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 {
		return fmt.Errorf("history: process must be a non-negative integer or \"nemesis\", got %s", b)
	}
	*p = Process(n)
	return nil
}

// Op is one entry of a history.
type Op struct {
	Index   int64   `json:"index"`   // position in the history, from 0
	Time    int64   `json:"time"`    // nanoseconds since the run started (monotonic)
	Process Process `json:"process"` // client, or "nemesis"
	Type    Type    `json:"type"`
	F       string  `json:"f"`             // what was asked: read, write, cas, kill, start-partition…
	Key     string  `json:"key,omitempty"` // independent key the op is about, if any
	// Value is the argument of an invoke and the result of an ok
	// completion, as JSON whose shape depends on F (a register read
	// returns an integer or null, a cas takes [from, to]).
	Value json.RawMessage `json:"value,omitempty"`
	Error string          `json:"error,omitempty"` // why it failed or is indeterminate
	Node  string          `json:"node,omitempty"`  // node the client talked to
}

// IsClient reports whether the op comes from a client, not the nemesis.
func (o *Op) IsClient() bool { return !o.Process.IsNemesis() }

// IntValue decodes Value as an integer; ok is false for null, absent or
// anything that is not an integer.
func (o *Op) IntValue() (v int64, ok bool) {
	if len(o.Value) == 0 || string(o.Value) == "null" {
		return 0, false
	}
	v, err := strconv.ParseInt(string(o.Value), 10, 64)
	return v, err == nil
}

// MustValue encodes v as JSON for an op's Value. It panics only on values
// that cannot be encoded, which is a programming error.
func MustValue(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("history: encode value %#v: %v", v, err))
	}
	return b
}
