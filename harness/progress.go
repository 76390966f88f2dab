package harness

import (
	"slices"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
)

// Progress is a snapshot of a run's load phase, for a live display. The
// harness calls Config.Progress with one about once a second while clients
// run, and once more with Done set when the load phase ends.
type Progress struct {
	Elapsed   time.Duration // since the clients started
	TimeLimit time.Duration
	OK        int64    // client completions so far, by outcome
	Fail      int64    //
	Info      int64    //
	Faults    []string // kinds of fault in place now, sorted (partition, kill, pause, …)
	Done      bool     // the load phase is over; this is the last call
}

// progressInterval is how often Config.Progress is called; without it, a
// plain progress line is logged every logInterval.
const (
	progressInterval = time.Second
	logInterval      = 5 * time.Second
)

// faultTracker follows the nemesis ops of a recorder, reading only what was
// appended since its last look, to say which faults are in place.
type faultTracker struct {
	next int          // first history index not yet seen
	nem  []history.Op // the nemesis ops so far (a few per fault)
}

func (ft *faultTracker) active(rec *history.Recorder) []string {
	for _, op := range rec.Since(ft.next) {
		ft.next++
		if op.Process.IsNemesis() {
			ft.nem = append(ft.nem, op)
		}
	}
	var kinds []string
	for _, w := range checker.NemesisWindows(ft.nem) {
		if w.Open && !slices.Contains(kinds, w.Kind) {
			kinds = append(kinds, w.Kind)
		}
	}
	slices.Sort(kinds)
	return kinds
}
