package set

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/internal/hist"
	"github.com/faultline-io/faultline/harness/history"
)

// Options tune the checker.
type Options struct {
	// Linearizable makes a stale read (an element missing from a read that
	// began after the element was known present) an anomaly.
	Linearizable bool
}

// New returns the checker, named "set".
func New(o Options) checker.Checker { return setChecker{o} }

type setChecker struct{ o Options }

func (setChecker) Name() string { return "set" }

// maxExamples bounds the stale examples in the details.
const maxExamples = 10

// Details is the checker's report; the JSON names are Jepsen's.
type Details struct {
	AttemptCount      int `json:"attempt-count"`
	AcknowledgedCount int `json:"acknowledged-count"`
	OKCount           int `json:"ok-count"`
	LostCount         int `json:"lost-count"`
	RecoveredCount    int `json:"recovered-count"`
	UnexpectedCount   int `json:"unexpected-count"`
	DuplicatedCount   int `json:"duplicated-count"`
	StaleCount        int `json:"stale-count"`
	NeverReadCount    int `json:"never-read-count"`
	ReadCount         int `json:"read-count"`

	OK         string `json:"ok"`
	Lost       string `json:"lost"`
	Recovered  string `json:"recovered"`
	Unexpected string `json:"unexpected"`
	Duplicated string `json:"duplicated"`
	Stale      string `json:"stale"`
	NeverRead  string `json:"never-read"`

	// StaleReads are the first stale (or lost) observations: which read
	// missed which element, and what made it known.
	StaleReads []Stale         `json:"stale-reads,omitempty"`
	FinalRead  *hist.Ref       `json:"final-read,omitempty"`
	Malformed  *hist.Malformed `json:"malformed,omitempty"`
}

// Stale is one read that missed an element already known present.
type Stale struct {
	Element int64    `json:"element"`
	Read    hist.Ref `json:"read"`
	KnownBy hist.Ref `json:"known-by"` // the add's ok, or the read that first saw it
}

type read struct {
	p     *hist.Pair
	elems map[int64]int // element -> occurrences
}

// element is what the history says about one added value.
type element struct {
	attempted bool
	acked     bool
	known     int         // history position from which it is known present; -1 = never
	knownBy   *history.Op // the op that made it known
}

func (c setChecker) Check(ctx context.Context, ops []history.Op) checker.Result {
	var bad hist.Malformed
	elems := map[int64]*element{}
	get := func(e int64) *element {
		el := elems[e]
		if el == nil {
			el = &element{known: -1}
			elems[e] = el
		}
		return el
	}
	var reads []read
	for _, p := range hist.Pairs(ops) {
		switch p.Inv.F {
		case "add":
			e, err := hist.Int(p.Inv.Value)
			if err != nil {
				bad.Add(p.Inv, err.Error())
				continue
			}
			el := get(e)
			switch p.Type() {
			case history.Fail:
				continue
			case history.OK:
				el.acked = true
				if el.known < 0 || p.CompPos < el.known {
					el.known, el.knownBy = p.CompPos, p.Comp
				}
			}
			el.attempted = true
		case "read":
			if p.Type() != history.OK {
				continue
			}
			var xs []int64
			if err := json.Unmarshal(p.Comp.Value, &xs); err != nil {
				bad.Add(p.Comp, "read value: want an array of integers")
				continue
			}
			r := read{p: &p, elems: make(map[int64]int, len(xs))}
			for _, x := range xs {
				r.elems[x]++
			}
			reads = append(reads, r)
		}
	}
	if ctx.Err() != nil {
		return checker.Result{Verdict: checker.Unknown, Message: "cancelled: " + ctx.Err().Error()}
	}
	if len(reads) == 0 {
		msg := "set was never read"
		if s := bad.Summary(); s != "" {
			msg += "; " + s
		}
		return checker.Result{Verdict: checker.Unknown, Message: msg}
	}
	// A read's elements become known once it completes.
	sort.SliceStable(reads, func(i, j int) bool { return reads[i].p.CompPos < reads[j].p.CompPos })
	for _, r := range reads {
		for x := range r.elems {
			el := get(x)
			if el.known < 0 || r.p.CompPos < el.known {
				el.known, el.knownBy = r.p.CompPos, r.p.Comp
			}
		}
	}
	final := reads[len(reads)-1]
	d := Details{ReadCount: len(reads)}
	var ok, lost, recovered, unexpected, duplicated, stale, neverRead []int64
	for _, r := range reads {
		for x, n := range r.elems {
			if n > 1 {
				duplicated = append(duplicated, x)
			}
		}
	}
	keys := make([]int64, 0, len(elems))
	for e := range elems {
		keys = append(keys, e)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, e := range keys {
		el := elems[e]
		if el.attempted {
			d.AttemptCount++
		}
		if el.acked {
			d.AcknowledgedCount++
		}
		_, inFinal := final.elems[e]
		switch {
		case !el.attempted:
			if el.known >= 0 { // seen by a read, never (successfully) added
				unexpected = append(unexpected, e)
			}
			continue
		case inFinal:
			ok = append(ok, e)
			if !el.acked {
				recovered = append(recovered, e)
			}
		case el.known >= 0 && el.known < final.p.InvPos:
			lost = append(lost, e)
		case el.acked:
			neverRead = append(neverRead, e)
		}
		// Stale: a read that began after e was known and missed it.
		if el.known < 0 {
			continue
		}
		missed := false
		for _, r := range reads {
			if r.p.InvPos > el.known && r.elems[e] == 0 {
				missed = true
				if len(d.StaleReads) < maxExamples {
					d.StaleReads = append(d.StaleReads, Stale{Element: e, Read: hist.RefOf(r.p.Comp), KnownBy: hist.RefOf(el.knownBy)})
				}
				break
			}
		}
		if missed && inFinal {
			stale = append(stale, e)
		}
	}
	d.OKCount, d.LostCount, d.RecoveredCount = len(ok), len(lost), len(recovered)
	d.UnexpectedCount, d.DuplicatedCount, d.StaleCount, d.NeverReadCount = len(unexpected), len(duplicated), len(stale), len(neverRead)
	d.OK, d.Lost, d.Recovered = hist.IntSet(ok), hist.IntSet(lost), hist.IntSet(recovered)
	d.Unexpected, d.Duplicated, d.Stale, d.NeverRead = hist.IntSet(unexpected), hist.IntSet(duplicated), hist.IntSet(stale), hist.IntSet(neverRead)
	fr := hist.RefOf(final.p.Comp)
	fr.Value = nil // the whole set again; ok says what it held
	d.FinalRead = &fr
	if bad.Count > 0 {
		d.Malformed = &bad
	}

	var problems []string
	add := func(n int, what, set string) {
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d %s %s", n, what, set))
		}
	}
	add(d.LostCount, "lost", d.Lost)
	add(d.UnexpectedCount, "unexpected", d.Unexpected)
	add(d.DuplicatedCount, "duplicated", d.Duplicated)
	if c.o.Linearizable {
		add(d.StaleCount, "stale", d.Stale)
	}
	summary := fmt.Sprintf("%d attempted, %d acknowledged, %d in the final read (%d recovered); %d reads",
		d.AttemptCount, d.AcknowledgedCount, d.OKCount, d.RecoveredCount, d.ReadCount)
	r := checker.Result{Details: d}
	switch {
	case len(problems) > 0:
		r.Verdict = checker.Invalid
		r.Message = strings.Join(problems, "; ") + "; " + summary
	case bad.Count > 0:
		r.Verdict = checker.Unknown
		r.Message = bad.Summary() + "; " + summary
	default:
		r.Verdict = checker.Valid
		r.Message = summary
		if d.StaleCount > 0 {
			r.Message += fmt.Sprintf("; %d stale (allowed: reads need not be linearizable)", d.StaleCount)
		}
	}
	return r
}
