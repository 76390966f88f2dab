package linearizable

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
)

// Name is the checker's name in results.json.
const Name = "linearizable"

// SmallHistory is the history length up to which linearization info is kept
// for every key, so every key can be visualized; above it only failing keys
// keep theirs.
const SmallHistory = 2000

// maxListedKeys bounds the keys named in a message.
const maxListedKeys = 10

// Options configure the checker.
type Options struct {
	// Timeout bounds the whole check; 0 means none. Keys not decided in
	// time are unknown, and so is the result unless a key is invalid.
	Timeout time.Duration
	// Model is the data type every key holds; nil means CAS registers
	// that start with no value (NewRegister(true, nil)).
	Model *Model
	// Strict makes a client op whose f the model does not know
	// uninterpretable (its key is unknown) instead of ignored: right for a
	// history of that model alone, as Knossos checks them.
	Strict bool
}

// Details is the Result's Details.
type Details struct {
	Model         string    `json:"model,omitempty"`        // the model checked against
	Init          string    `json:"init,omitempty"`         // every key's initial state
	Keys          int       `json:"keys"`                   // keys with register ops
	Checked       int       `json:"checked"`                // keys decided: linearizable or not
	InvalidKeys   []string  `json:"invalid_keys,omitempty"` // keys that are not linearizable, sorted
	UnknownKeys   []string  `json:"unknown_keys,omitempty"` // keys not decided, sorted
	Ops           int       `json:"ops"`                    // operations checked
	Indeterminate int       `json:"indeterminate"`          // writes and cas kept open-ended (info or never completed)
	DroppedFailed int       `json:"dropped_failed"`         // fail completions: did not happen
	DroppedReads  int       `json:"dropped_reads"`          // indeterminate reads: tell nothing
	Ignored       int       `json:"ignored,omitempty"`      // client ops of another f, completions without invocation
	Malformed     []string  `json:"malformed,omitempty"`    // ops that could not be interpreted (their keys are unknown)
	TimedOut      bool      `json:"timed_out,omitempty"`    // the timeout or the context ended the check
	Anomalies     []Anomaly `json:"anomalies,omitempty"`    // one per invalid key, for humans
	Visualizable  []string  `json:"visualizable,omitempty"` // keys with linearization info, sorted

	// Info is Porcupine's linearization info per key, for the failing keys
	// and, when the history has at most SmallHistory ops, for every key.
	// Give it to porcupine.Visualize with Spec(), or use
	// WriteVisualizations. It is not serialized.
	Info map[string]porcupine.LinearizationInfo `json:"-"`
	// Annotations are the nemesis windows of the history, as Porcupine
	// annotations with Tag "nemesis". Not serialized.
	Annotations []porcupine.Annotation `json:"-"`

	spans map[string][2]int64 // per key: earliest and latest finite time
	spec  porcupine.Model     // the porcupine model the info is for
}

// Spec returns the Porcupine model the linearization info in Info was
// computed with (the register model when d was not made by Check). Its
// Step is pure.
func (d *Details) Spec() porcupine.Model {
	if d.spec.Step == nil {
		return spec(defaultModel.NewReader())
	}
	return d.spec
}

// Anomaly describes why a key is not linearizable, from Porcupine's
// partial linearizations: the longest linearizable prefix found, and the
// op that cannot be linearized after it (the earliest-returning op left
// out of it).
type Anomaly struct {
	Key         string  `json:"key"`
	Ops         int     `json:"ops"`                   // operations of the key
	Linearized  int     `json:"linearized"`            // length of the longest linearizable prefix
	State       string  `json:"state"`                 // the register after that prefix
	PrefixTail  []OpRef `json:"prefix_tail,omitempty"` // the last ops of that prefix, in linearization order
	Op          *OpRef  `json:"op,omitempty"`          // the first op that cannot be linearized
	Explanation string  `json:"explanation"`
}

// OpRef names an operation of the history.
type OpRef struct {
	Index         int64           `json:"index"`          // history index of the invocation
	CompleteIndex int64           `json:"complete_index"` // history index of the completion; -1 when none
	Process       history.Process `json:"process"`
	F             string          `json:"f"`
	Type          string          `json:"type"`     // ok, info, or pending (never completed)
	Value         any             `json:"value"`    // the completion's value when ok (a read: what it returned), else the invocation's
	Start         int64           `json:"start_ns"` // invocation time
	End           int64           `json:"end_ns"`   // completion time; -1 when open-ended
	Node          string          `json:"node,omitempty"`
	Description   string          `json:"description"`
}

// New returns the linearizability checker: per-key CAS registers unless
// opts.Model says otherwise.
func New(opts Options) checker.Checker {
	if opts.Model == nil {
		opts.Model = defaultModel
	}
	return &lin{opts: opts}
}

type lin struct{ opts Options }

func (*lin) Name() string { return Name }

// keyResult is the outcome for one key.
type keyResult struct {
	res     porcupine.CheckResult // Ok, Illegal or Unknown
	info    porcupine.LinearizationInfo
	hasInfo bool
}

func (c *lin) Check(ctx context.Context, ops []history.Op) checker.Result {
	if c.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
	}
	p := prepare(ops, c.opts.Model, c.opts.Strict)
	d := &Details{
		Model:         c.opts.Model.Name,
		Init:          c.opts.Model.Init,
		spec:          p.spec,
		Keys:          len(p.keys),
		Ops:           p.ops,
		Indeterminate: p.indeterminate,
		DroppedFailed: p.droppedFail,
		DroppedReads:  p.droppedReads,
		Ignored:       p.ignored,
		Malformed:     p.malformed,
		Info:          map[string]porcupine.LinearizationInfo{},
		spans:         map[string][2]int64{},
	}
	if p.nMalformed > len(p.malformed) {
		d.Malformed = append(d.Malformed, fmt.Sprintf("… and %d more", p.nMalformed-len(p.malformed)))
	}
	keepAll := len(ops) <= SmallHistory
	results := checkKeys(ctx, p.keys, p.spec, keepAll)

	for i, ko := range p.keys {
		kr := &results[i]
		switch kr.res {
		case porcupine.Ok:
			d.Checked++
		case porcupine.Illegal:
			d.Checked++
			d.InvalidKeys = append(d.InvalidKeys, ko.key)
			d.Anomalies = append(d.Anomalies, explain(ops, p, c.opts.Model.Noun, ko, kr))
		default:
			d.UnknownKeys = append(d.UnknownKeys, ko.key)
		}
		if kr.hasInfo && (keepAll || kr.res == porcupine.Illegal) {
			d.Info[ko.key] = kr.info
			d.spans[ko.key] = [2]int64{ko.start, ko.end}
			d.Visualizable = append(d.Visualizable, ko.key)
		}
	}
	slices.Sort(d.InvalidKeys)
	slices.Sort(d.UnknownKeys)
	slices.Sort(d.Visualizable)
	slices.SortFunc(d.Anomalies, func(a, b Anomaly) int { return cmp.Compare(a.Key, b.Key) })
	d.TimedOut = ctx.Err() != nil && len(d.UnknownKeys) > 0
	d.Annotations = nemesisAnnotations(ops)

	r := checker.Result{Checker: Name, Details: d}
	switch {
	case len(d.InvalidKeys) == 1 && d.Keys == 1 && d.InvalidKeys[0] == "":
		r.Verdict = checker.Invalid
		r.Message = fmt.Sprintf("not linearizable (%s model, %d ops)", c.opts.Model.Name, d.Ops)
	case len(d.UnknownKeys) == 1 && d.Keys == 1 && d.UnknownKeys[0] == "":
		r.Verdict = checker.Unknown
		r.Message = fmt.Sprintf("undecided (%s)", unknownCause(ctx, c.opts, p))
	case len(d.InvalidKeys) > 0:
		r.Verdict = checker.Invalid
		r.Message = fmt.Sprintf("%d of %d %s not linearizable: %s", len(d.InvalidKeys), d.Keys,
			plural(d.Keys, "key", "keys"), listKeys(d.InvalidKeys))
		if len(d.UnknownKeys) > 0 {
			r.Message += fmt.Sprintf("; %d undecided", len(d.UnknownKeys))
		}
	case len(d.UnknownKeys) > 0:
		r.Verdict = checker.Unknown
		r.Message = fmt.Sprintf("%d of %d %s undecided (%s): %s", len(d.UnknownKeys), d.Keys,
			plural(d.Keys, "key", "keys"), unknownCause(ctx, c.opts, p), listKeys(d.UnknownKeys))
	case ctx.Err() != nil:
		// Nothing was left undecided, but a check cut short is never a pass.
		r.Verdict = checker.Unknown
		r.Message = "check cut short: " + ctx.Err().Error()
		d.TimedOut = true
	case d.Keys == 0:
		r.Verdict = checker.Valid
		r.Message = fmt.Sprintf("no %s operations to check", c.opts.Model.Name)
	case d.Keys == 1 && p.keys[0].key == "":
		r.Verdict = checker.Valid
		r.Message = fmt.Sprintf("linearizable (%s model, %d ops, %d indeterminate)", c.opts.Model.Name, d.Ops, d.Indeterminate)
	default:
		r.Verdict = checker.Valid
		r.Message = fmt.Sprintf("%d %s linearizable (%d ops, %d indeterminate)", d.Keys,
			plural(d.Keys, "key", "keys"), d.Ops, d.Indeterminate)
	}
	return r
}

func unknownCause(ctx context.Context, opts Options, p *prepared) string {
	var causes []string
	if err := ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && opts.Timeout > 0 {
			causes = append(causes, "timed out after "+opts.Timeout.String())
		} else {
			causes = append(causes, err.Error())
		}
	}
	if p.nMalformed > 0 {
		causes = append(causes, fmt.Sprintf("%d uninterpretable %s", p.nMalformed, plural(p.nMalformed, "op", "ops")))
	}
	return strings.Join(causes, "; ")
}

// checkKeys checks every key on a pool of GOMAXPROCS workers, biggest keys
// first. Every worker has returned when it returns.
func checkKeys(ctx context.Context, keys []*keyOps, spec porcupine.Model, keepAll bool) []keyResult {
	results := make([]keyResult, len(keys))
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(keys[b].ops), len(keys[a].ops)) })
	workers := min(runtime.GOMAXPROCS(0), len(keys))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= len(order) {
					return
				}
				i := order[n]
				results[i] = checkKey(ctx, keys[i], spec, keepAll)
			}
		})
	}
	wg.Wait()
	return results
}

// checkKey checks one key. The model's StepContext watches ctx: once it is
// done every step fails, so Porcupine unwinds quickly; a result other than
// Ok obtained that way is Unknown (a failed step proves nothing), while an
// Ok result stands (failing steps can only hide linearizations).
//
// When the key's info is not wanted unless it fails, the key is first
// checked without computing partial linearizations — about twice as fast on
// big keys, and it unwinds faster when cancelled — and only a key found not
// linearizable is checked again, verbosely, for its info. That second
// check cannot change the verdict; if it is cut short, the info is partial.
func checkKey(ctx context.Context, ko *keyOps, spec porcupine.Model, keepAll bool) keyResult {
	if ko.malformed > 0 {
		return keyResult{res: porcupine.Unknown}
	}
	if ctx.Err() != nil {
		return keyResult{res: porcupine.Unknown}
	}
	if !keepAll {
		m, cut := watchedModel(ctx, spec)
		res := porcupine.CheckOperationsTimeout(m, ko.ops, 0)
		switch {
		case res == porcupine.Ok:
			return keyResult{res: res}
		case *cut:
			return keyResult{res: porcupine.Unknown}
		}
		m, _ = watchedModel(ctx, spec)
		_, info := porcupine.CheckOperationsVerbose(m, ko.ops, 0)
		return keyResult{res: porcupine.Illegal, info: info, hasInfo: true}
	}
	m, cut := watchedModel(ctx, spec)
	res, info := porcupine.CheckOperationsVerbose(m, ko.ops, 0)
	if res != porcupine.Ok && *cut {
		return keyResult{res: porcupine.Unknown, info: info, hasInfo: true}
	}
	return keyResult{res: res, info: info, hasInfo: true}
}

// watchedModel is m with a StepContext that fails every step once ctx is
// done; *cut tells whether that happened. The model must be used by one
// check at a time: Porcupine steps a partition from one goroutine, and we
// give it a single partition.
func watchedModel(ctx context.Context, m porcupine.Model) (porcupine.Model, *bool) {
	step := m.Step
	cut := new(bool)
	var n uint32
	m.StepContext = func(_ context.Context, s, in, out any) (bool, any) {
		if *cut {
			return false, nil
		}
		n++
		if n&63 == 0 && ctx.Err() != nil {
			*cut = true
			return false, nil
		}
		return step(s, in, out)
	}
	return m, cut
}

func listKeys(keys []string) string {
	if len(keys) <= maxListedKeys {
		return strings.Join(keys, ", ")
	}
	return strings.Join(keys[:maxListedKeys], ", ") + fmt.Sprintf(" and %d more", len(keys)-maxListedKeys)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
