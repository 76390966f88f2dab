package checker

import (
	"encoding/json"
	"strings"

	"github.com/faultline-io/faultline/harness/history"
)

// NemesisAction is one thing the nemesis did: an invocation paired with its
// completion, or a lone nemesis op.
type NemesisAction struct {
	F     string          `json:"f"`
	Start int64           `json:"start_ns"` // invocation time (or the op's time when alone)
	End   int64           `json:"end_ns"`   // completion time (or the op's time when alone)
	Type  history.Type    `json:"type"`     // type of the completion (Invoke when it never completed)
	Value json.RawMessage `json:"value,omitempty"`
	Error string          `json:"error,omitempty"`
	Index int64           `json:"index"` // history index of the first op of the action
}

// NemesisActions pairs nemesis ops into actions. An invocation (type
// invoke) pairs with the next nemesis completion of the same f. As Jepsen
// records nemesis actions as two info ops — one when the action begins, one
// with its result when it ends — an info op immediately followed (among
// nemesis ops) by a completion of the same f pairs with it, and so does an
// info op without a value or error with the next op of its f, though other
// classes' ops come between (faults of different classes overlap). Any
// other op is an action of its own. The value and error are the
// completion's, else the first op's.
func NemesisActions(ops []history.Op) []NemesisAction {
	nem := make([]*history.Op, 0, 64)
	for i := range ops {
		if !ops[i].IsClient() {
			nem = append(nem, &ops[i])
		}
	}
	return nemesisActions(nem)
}

func nemesisActions(nem []*history.Op) []NemesisAction {
	var acts []NemesisAction
	open := map[string]int{}      // f -> index in acts of an invocation awaiting its completion
	next := make([]int, len(nem)) // index of the next op of the same f, or -1
	after := map[string]int{}
	for k := len(nem) - 1; k >= 0; k-- {
		next[k] = -1
		if j, ok := after[nem[k].F]; ok {
			next[k] = j
		}
		after[nem[k].F] = k
	}
	taken := make([]bool, len(nem)) // completions already paired ahead of their turn
	complete := func(a *NemesisAction, op *history.Op) {
		a.End, a.Type = op.Time, op.Type
		if len(op.Value) > 0 {
			a.Value = op.Value
		}
		if op.Error != "" {
			a.Error = op.Error
		}
	}
	for k := 0; k < len(nem); k++ {
		op := nem[k]
		if taken[k] {
			continue
		}
		a := NemesisAction{F: op.F, Start: op.Time, End: op.Time, Type: op.Type,
			Value: op.Value, Error: op.Error, Index: op.Index}
		if op.Type == history.Invoke {
			open[op.F] = len(acts)
			acts = append(acts, a)
			continue
		}
		if j, ok := open[op.F]; ok {
			delete(open, op.F)
			complete(&acts[j], op)
			continue
		}
		if k+1 < len(nem) && nem[k+1].F == op.F && nem[k+1].Type != history.Invoke {
			k++
			complete(&a, nem[k])
		} else if j := next[k]; j >= 0 && len(op.Value) == 0 && op.Error == "" && nem[j].Type != history.Invoke {
			taken[j] = true
			complete(&a, nem[j])
		}
		acts = append(acts, a)
	}
	return acts
}

// NemesisWindow is a span of time during which a fault was in place.
type NemesisWindow struct {
	Kind          string `json:"kind"`           // partition, kill, pause, …
	Start         int64  `json:"start_ns"`       // when the fault began to be injected
	End           int64  `json:"end_ns"`         // when it was healed, or the end of the history
	Open          bool   `json:"open,omitempty"` // never healed
	StartF, StopF string `json:"-"`
	// StartValue is what the starting action recorded (which nodes, the
	// partition's grudge, the clock command), for reports.
	StartValue json.RawMessage `json:"-"`
}

// faultKind says whether f starts or stops a fault, and which.
//
//	start-X / stop-X → X
//	kill → kill, ended by restart or start
//	pause → pause, ended by resume
//	clock → clock, ended by reset-clock
//	heal → ends every fault in place
func faultKind(f string) (kind string, start, stop bool) {
	switch {
	case strings.HasPrefix(f, "start-"):
		return strings.TrimPrefix(f, "start-"), true, false
	case strings.HasPrefix(f, "stop-"):
		return strings.TrimPrefix(f, "stop-"), false, true
	case f == "kill":
		return "kill", true, false
	case f == "restart" || f == "start":
		return "kill", false, true
	case f == "pause":
		return "pause", true, false
	case f == "resume":
		return "pause", false, true
	case f == "clock":
		return "clock", true, false
	case f == "reset-clock":
		return "clock", false, true
	case f == "heal":
		return "", false, true
	}
	return "", false, false
}

// NemesisWindows derives fault windows from the nemesis ops: a window opens
// when a fault starts to be injected (the invocation of start-X, kill,
// pause) and closes when its healing completes (stop-X, restart or start,
// resume; heal closes every window). A window still open when the history
// ends closes at the last op's time and is marked Open. Windows are in
// order of their start.
func NemesisWindows(ops []history.Op) []NemesisWindow {
	var ws []NemesisWindow
	openW := map[string]int{} // kind -> index in ws
	var last int64
	for i := range ops {
		if ops[i].Time > last {
			last = ops[i].Time
		}
	}
	for _, a := range NemesisActions(ops) {
		kind, start, stop := faultKind(a.F)
		switch {
		case start:
			if _, ok := openW[kind]; ok {
				continue
			}
			openW[kind] = len(ws)
			ws = append(ws, NemesisWindow{Kind: kind, Start: a.Start, End: a.End, Open: true, StartF: a.F, StartValue: a.Value})
		case stop && kind == "":
			for k, j := range openW {
				ws[j].End, ws[j].Open, ws[j].StopF = a.End, false, a.F
				delete(openW, k)
			}
		case stop:
			if j, ok := openW[kind]; ok {
				ws[j].End, ws[j].Open, ws[j].StopF = a.End, false, a.F
				delete(openW, kind)
			}
		}
	}
	for _, j := range openW {
		if last > ws[j].End {
			ws[j].End = last
		}
	}
	return ws
}
