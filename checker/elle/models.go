package elle

import (
	"fmt"
	"slices"
	"strings"
)

// Anomaly names, as Elle names them.
const (
	G0              = "G0"
	G1a             = "G1a"
	G1b             = "G1b"
	G1c             = "G1c"
	GSingle         = "G-single"
	G2              = "G2"
	Internal        = "internal"
	IncompatibleOrd = "incompatible-order"
	DuplicateElems  = "duplicate-elements"
	GarbageRead     = "garbage-read"
)

// model is a consistency model: the anomalies it forbids itself, and the
// weaker models it implies (whose anomalies it forbids too).
type model struct {
	name    string
	weaker  []string
	forbids []string
}

// models is a small lattice after Elle's (elle.consistency-model), over the
// anomalies this checker finds. Process and realtime variants of a cycle
// are forbidden only by the session and strict models.
var models = []model{
	{name: "read-uncommitted", forbids: []string{G0, DuplicateElems, GarbageRead}},
	{name: "read-committed", weaker: []string{"read-uncommitted"}, forbids: []string{G1a, G1b, G1c, IncompatibleOrd}},
	{name: "repeatable-read", weaker: []string{"read-committed"}, forbids: []string{GSingle, G2}},
	{name: "snapshot-isolation", weaker: []string{"read-committed"}, forbids: []string{GSingle, Internal}},
	{name: "serializable", weaker: []string{"repeatable-read", "snapshot-isolation"}},
	{name: "strong-session-serializable", weaker: []string{"serializable"},
		forbids: []string{G0 + "-process", G1c + "-process", GSingle + "-process", G2 + "-process"}},
	{name: "strict-serializable", weaker: []string{"strong-session-serializable"},
		forbids: []string{G0 + "-realtime", G1c + "-realtime", GSingle + "-realtime", G2 + "-realtime"}},
}

// ModelNames lists the models the checker knows, weakest first.
func ModelNames() []string {
	var n []string
	for _, m := range models {
		n = append(n, m.name)
	}
	return n
}

func lookupModel(name string) (*model, error) {
	for i := range models {
		if models[i].name == name {
			return &models[i], nil
		}
	}
	return nil, fmt.Errorf("unknown consistency model %q (have: %s)", name, strings.Join(ModelNames(), ", "))
}

// forbidden is every anomaly m rules out, its weaker models' included.
func forbidden(m *model) map[string]bool {
	out := map[string]bool{}
	var walk func(*model)
	walk = func(m *model) {
		for _, a := range m.forbids {
			out[a] = true
		}
		for _, w := range m.weaker {
			wm, _ := lookupModel(w)
			walk(wm)
		}
	}
	walk(m)
	return out
}

// stronger reports whether a implies b (a is b or stronger).
func stronger(a, b *model) bool {
	if a == b {
		return true
	}
	for _, w := range a.weaker {
		wm, _ := lookupModel(w)
		if stronger(wm, b) {
			return true
		}
	}
	return false
}

// Boundary is where a history sits among the models.
type Boundary struct {
	// Strongest are the strongest models the history satisfies (those
	// no satisfied model is stronger than).
	Strongest []string `json:"strongest"`
	// Not are the weakest models it violates; AlsoNot the other violated
	// ones, as Elle's :not and :also-not.
	Not     []string `json:"not,omitempty"`
	AlsoNot []string `json:"also-not,omitempty"`
}

func boundary(found map[string]bool) Boundary {
	var ok, bad []*model
	for i := range models {
		m := &models[i]
		violated := false
		for a := range forbidden(m) {
			if found[a] {
				violated = true
				break
			}
		}
		if violated {
			bad = append(bad, m)
		} else {
			ok = append(ok, m)
		}
	}
	var b Boundary
	for _, m := range ok {
		if !slices.ContainsFunc(ok, func(o *model) bool { return o != m && stronger(o, m) }) {
			b.Strongest = append(b.Strongest, m.name)
		}
	}
	for _, m := range bad {
		if slices.ContainsFunc(bad, func(o *model) bool { return o != m && stronger(m, o) }) {
			b.AlsoNot = append(b.AlsoNot, m.name)
		} else {
			b.Not = append(b.Not, m.name)
		}
	}
	if b.Strongest == nil {
		b.Strongest = []string{}
	}
	return b
}
