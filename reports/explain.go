package reports

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
)

// linearDetails reads the linearizable checker's details back from the
// generic JSON results.json holds.
func linearDetails(r checker.Result) (*linearizable.Details, bool) {
	if r.Checker != linearizable.Name || r.Details == nil {
		return nil, false
	}
	b, err := json.Marshal(r.Details)
	if err != nil {
		return nil, false
	}
	var d linearizable.Details
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, false
	}
	return &d, true
}

// plainExplanation tells in plain words why an anomaly is one, what the
// register held, and which faults were in place: one paragraph for
// someone who has not read the Porcupine page. The checker's own
// explanation stays beside it for those who want the exact op. brief
// leaves out what every anomaly of the kind has in common, for lists.
func plainExplanation(a linearizable.Anomaly, ws []checker.NemesisWindow, brief bool) string {
	op := a.Op
	if op == nil {
		return fmt.Sprintf("Key %s is not linearizable: no order of its %d operations is consistent with what the clients saw "+
			"and with real time, but the checker recorded no partial order to point at a culprit.", a.Key, a.Ops)
	}
	var b strings.Builder
	who := fmt.Sprintf("process %s", op.Process)
	if op.Node != "" {
		who += " (talking to node " + op.Node + ")"
	}
	when := fmt.Sprintf("at %ss", secs(op.Start))
	switch op.F {
	case "read":
		got := "nothing (the key did not exist)"
		if op.Value != nil {
			got = fmt.Sprint(op.Value)
		}
		fmt.Fprintf(&b, "On key %s, %s read %s %s. ", a.Key, who, got, when)
		if !brief {
			b.WriteString("A linearizable store must answer a read with the latest value written before it, " +
				"but no order of the key's operations that respects real time allows that answer: ")
		}
	case "cas":
		fmt.Fprintf(&b, "On key %s, %s swapped %s %s and was told it succeeded. ", a.Key, who, casText(op.Value), when)
		if !brief {
			b.WriteString("A compare-and-set can only succeed when the key holds the expected value, " +
				"and no order of the key's operations that respects real time allows that: ")
		}
	default:
		fmt.Fprintf(&b, "On key %s, the %s by %s %s cannot be placed in any order of the key's operations. ", a.Key, op.F, who, when)
		if !brief {
			b.WriteString("Every operation must appear to take effect at one instant between its invocation and its " +
				"completion, consistently with what the clients saw: ")
		}
	}
	evidence := fmt.Sprintf("the longest valid order the checker found covers %d of the key's %d operations and leaves %s holding %s",
		a.Linearized, a.Ops, a.Key, a.State)
	if brief {
		evidence = strings.ToUpper(evidence[:1]) + evidence[1:]
	}
	b.WriteString(evidence)
	if setter := lastSetter(a); setter != nil {
		fmt.Fprintf(&b, ", last set by %s (process %s", setter.Description, setter.Process)
		if setter.Node != "" {
			fmt.Fprintf(&b, " via %s", setter.Node)
		}
		if setter.End >= 0 {
			fmt.Fprintf(&b, ", done at %ss", secs(setter.End))
			if setter.End < op.Start {
				b.WriteString(", before this operation began")
			}
		}
		b.WriteString(")")
	}
	b.WriteString(". ")
	if op.F == "read" && !brief {
		b.WriteString("The read returned a stale or never-written value. ")
	}
	if ws == nil {
		return strings.TrimSpace(b.String())
	}
	during := faultsAt(ws, op.Start, max(op.End, op.Start))
	switch {
	case len(during) > 0:
		var parts []string
		for _, w := range during {
			parts = append(parts, fmt.Sprintf("%s (%ss–%ss)", w.Kind, secs(w.Start), secs(w.End)))
		}
		fmt.Fprintf(&b, "Faults in place while it ran: %s.", strings.Join(parts, ", "))
	default:
		var prev *checker.NemesisWindow
		for i := range ws {
			if ws[i].End < op.Start && (prev == nil || ws[i].End > prev.End) {
				prev = &ws[i]
			}
		}
		if prev != nil {
			fmt.Fprintf(&b, "No fault was in place while it ran; the last one, %s, was healed at %ss.", prev.Kind, secs(prev.End))
		} else {
			b.WriteString("No fault had been injected before it.")
		}
	}
	if op.F == "read" && len(ws) > 0 && !brief {
		b.WriteString(" Common causes: a node answering reads from its own copy without first checking with a majority " +
			"that it is up to date, or a write acknowledged before it was committed and later lost.")
	}
	return b.String()
}

// lastSetter is the last op of the anomaly's linearized prefix that set the
// register to the state it ends in: a write of it, or a successful cas to it.
func lastSetter(a linearizable.Anomaly) *linearizable.OpRef {
	for i := len(a.PrefixTail) - 1; i >= 0; i-- {
		r := &a.PrefixTail[i]
		switch r.F {
		case "write":
			if fmt.Sprint(r.Value) == a.State {
				return r
			}
		case "cas":
			if vs, ok := r.Value.([]any); ok && len(vs) == 2 && fmt.Sprint(vs[1]) == a.State {
				return r
			}
		}
	}
	return nil
}

func casText(v any) string {
	if vs, ok := v.([]any); ok && len(vs) == 2 {
		return fmt.Sprintf("%v for %v", vs[0], vs[1])
	}
	return fmt.Sprint(v)
}

// explanations collects, in a stable order, the "explanation" strings a
// checker's details hold anywhere (Elle-style anomalies keyed by type, a
// list of anomalies, …), up to n: how a checker other than the
// linearizable one tells a human what it found.
func explanations(details any, n int) (out []string, more int) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if e, ok := x["explanation"].(string); ok && e != "" {
				if len(out) < n {
					out = append(out, e)
				} else {
					more++
				}
			}
			for _, k := range sortedKeys(x) {
				if k != "explanation" {
					walk(x[k])
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(details)
	return out, more
}
