package elle

import (
	"fmt"
	"strings"
)

// explainCycle turns a cycle into an Anomaly: each step names the
// transaction and why it must precede the next one, T1, T2, … in order.
func explainCycle(name string, cyc []step, nodes []*txn) Anomaly {
	label := func(i int) string { return fmt.Sprintf("T%d", i%len(cyc)+1) }
	x := Anomaly{Type: name}
	var lines []string
	for i, s := range cyc {
		t := nodes[s.node]
		ref := t.ref()
		from, to := label(i), label(i+1)
		var why string
		switch s.rel {
		case ww:
			why = fmt.Sprintf("%s appended %d to key %s and %s appended %d right after it", from, s.why.prev, s.why.key, to, s.why.next)
		case wr:
			why = fmt.Sprintf("%s read key %s ending in %d, which %s appended", to, s.why.key, s.why.next, from)
		case rw:
			seen := "empty"
			if s.why.hasPrev {
				seen = fmt.Sprintf("up to %d", s.why.prev)
			}
			why = fmt.Sprintf("%s read key %s %s, without %d, which %s appended next", from, s.why.key, seen, s.why.next, to)
		case process:
			why = fmt.Sprintf("%s is the next transaction of process %v after %s", to, ref.Process, from)
		case realtime:
			why = fmt.Sprintf("%s completed (op %d) before %s was invoked (op %d)", from, ref.Index, to, nodes[cyc[(i+1)%len(cyc)].node].p.Inv.Index)
		}
		x.Cycle = append(x.Cycle, Step{Op: ref, Rel: s.rel.String(), Key: s.why.key, Why: why})
		lines = append(lines, fmt.Sprintf("%s = %s; %s -%s-> %s: %s", from, ref, from, s.rel, to, why))
	}
	x.Explanation = fmt.Sprintf("%s cycle of %d transactions: %s", name, len(cyc), strings.Join(lines, "; "))
	return x
}
