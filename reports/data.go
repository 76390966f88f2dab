package reports

import (
	"slices"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
)

// clientOp is one client operation: its invocation and, when it
// completed, its completion, as indexes into the history.
type clientOp struct {
	inv, comp int32 // comp is -1 when the op never completed
}

// timeline is what the charts, the availability table and the timeline
// view share, derived from the history in one pass.
type timeline struct {
	ops     []history.Op
	cops    []clientOp // in order of invocation
	windows []checker.NemesisWindow
	actions []checker.NemesisAction
	start   int64 // where time axes begin: the first op's time, down to a whole second
	end     int64 // time of the last op, after start
	kinds   palette
}

func newTimeline(ops []history.Op) *timeline {
	tl := &timeline{ops: ops}
	if len(ops) > 0 {
		tl.start = ops[0].Time
	}
	open := map[history.Process]int32{}
	tl.cops = make([]clientOp, 0, len(ops)/2+1)
	for i := range ops {
		op := &ops[i]
		tl.start, tl.end = min(tl.start, op.Time), max(tl.end, op.Time)
		if !op.IsClient() {
			continue
		}
		if op.Type == history.Invoke {
			open[op.Process] = int32(len(tl.cops))
			tl.cops = append(tl.cops, clientOp{inv: int32(i), comp: -1})
			continue
		}
		if j, ok := open[op.Process]; ok {
			tl.cops[j].comp = int32(i)
			delete(open, op.Process)
		}
	}
	tl.start = max(tl.start, 0) / int64(time.Second) * int64(time.Second)
	tl.end = max(tl.end, tl.start+1)
	tl.windows = checker.NemesisWindows(ops)
	tl.actions = checker.NemesisActions(ops)
	tl.kinds = newPalette(tl.windows)
	return tl
}

// latency of a completed op, in ns.
func (tl *timeline) latency(c clientOp) int64 {
	return tl.ops[c.comp].Time - tl.ops[c.inv].Time
}

// palette gives each fault kind a colour, the same in every chart, the
// timeline and the legend. Well-known kinds keep their colour from run to
// run; others take the next free one in order of first appearance.
type palette struct {
	kinds  []string
	colors []string
}

var knownKindColors = map[string]string{
	"partition": "#f59e0b",
	"kill":      "#dc2626",
	"pause":     "#7c3aed",
	"clock":     "#0891b2",
}

var spareColors = []string{"#16a34a", "#db2777", "#65a30d", "#0d9488", "#9333ea", "#ca8a04", "#475569"}

func newPalette(ws []checker.NemesisWindow) palette {
	var p palette
	spare := 0
	for _, w := range ws {
		if slices.Contains(p.kinds, w.Kind) {
			continue
		}
		c, ok := knownKindColors[w.Kind]
		if !ok {
			c = spareColors[spare%len(spareColors)]
			spare++
		}
		p.kinds = append(p.kinds, w.Kind)
		p.colors = append(p.colors, c)
	}
	return p
}

func (p palette) color(kind string) string {
	if i := slices.Index(p.kinds, kind); i >= 0 {
		return p.colors[i]
	}
	return "#888888"
}

// faultsAt returns the windows in force at any time in [from, to].
func faultsAt(ws []checker.NemesisWindow, from, to int64) []checker.NemesisWindow {
	var out []checker.NemesisWindow
	for _, w := range ws {
		if w.Start <= to && w.End >= from {
			out = append(out, w)
		}
	}
	return out
}
