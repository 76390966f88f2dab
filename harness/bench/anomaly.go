package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
)

// RunAnomalies is what a stored run says about its anomalies.
type RunAnomalies struct {
	Found bool // the linearizability checker named an op it could not linearize
	// First is the time from the first client invocation to the end of
	// the earliest such op (its invocation when it never completed).
	First       time.Duration
	InvalidKeys int
	Ops         int // client invocations in the history
}

// Anomalies reads a finished run directory (results.json and
// history.jsonl) and finds its earliest anomalous operation. The
// linearizable checker reports, per invalid key, the first op that cannot
// be linearized after the longest linearizable prefix; the earliest end
// among those is when the history first showed something impossible.
func Anomalies(dir string) (RunAnomalies, error) {
	var a RunAnomalies
	res, err := checker.ReadResults(filepath.Join(dir, store.ResultsFile))
	if err != nil {
		return a, err
	}
	ops, err := history.ReadFile(filepath.Join(dir, store.HistoryFile))
	if err != nil && !errors.Is(err, history.ErrTruncated) {
		return a, err
	}
	var t0 int64
	started := false
	for i := range ops {
		if ops[i].IsClient() && ops[i].Type == history.Invoke {
			if !started {
				t0, started = ops[i].Time, true
			}
			a.Ops++
		}
	}
	r, ok := res.Result(linearizable.Name)
	if !ok || r.Details == nil {
		return a, nil
	}
	// Details come back from results.json as generic JSON: decode them
	// into the checker's own type.
	raw, err := json.Marshal(r.Details)
	if err != nil {
		return a, err
	}
	var d linearizable.Details
	if err := json.Unmarshal(raw, &d); err != nil {
		return a, fmt.Errorf("%s details: %w", linearizable.Name, err)
	}
	a.InvalidKeys = len(d.InvalidKeys)
	for _, an := range d.Anomalies {
		if an.Op == nil {
			continue
		}
		at := an.Op.End
		if at < 0 {
			at = an.Op.Start
		}
		if !a.Found || time.Duration(at-t0) < a.First {
			a.First = time.Duration(at - t0)
			a.Found = true
		}
	}
	if a.Found && a.First < 0 {
		a.First = 0
	}
	return a, nil
}
