package reports

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"slices"

	"github.com/faultline-io/faultline/harness/history"
)

// maxTimelineValue bounds the value text of one op in the timeline data.
const maxTimelineValue = 80

// timelineJSON is the data of the timeline view, embedded in report.html
// and drawn on a canvas by the page's script. It is columnar — one array
// per field, strings replaced by indexes into tables — so 100 000 ops
// stay a few megabytes and parse fast.
type timelineJSON struct {
	Begin int64    `json:"begin"` // µs, the start of the time axis
	End   int64    `json:"end"`   // µs, its end
	Lanes []string `json:"lanes"` // lane labels
	F     []string `json:"f"`
	Keys  []string `json:"keys"`
	Nodes []string `json:"nodes"`
	Errs  []string `json:"errs"` // Errs[0] is "": no error

	// One entry per client op, in order of invocation.
	Lane  []int32  `json:"lane"`
	Proc  []int32  `json:"p"`
	Start []int64  `json:"s"` // µs after the previous op's start
	Dur   []int64  `json:"d"` // µs; -1: never completed
	Type  []int8   `json:"t"` // 0 pending, 1 ok, 2 fail, 3 info
	Fi    []int32  `json:"fi"`
	Ki    []int32  `json:"k"`
	Ni    []int32  `json:"n"`
	Ei    []int32  `json:"e"`
	Val   []string `json:"v"`
	Idx   []int64  `json:"i"` // history index of the invocation

	// Fault windows and nemesis actions.
	Kinds  []string `json:"kinds"`
	Colors []string `json:"colors"`
	WK     []int32  `json:"wk"` // kind
	WS     []int64  `json:"ws"` // µs
	WE     []int64  `json:"we"`
	WO     []bool   `json:"wo"` // never healed
	AS     []int64  `json:"as"`
	AE     []int64  `json:"ae"`
	AF     []string `json:"af"`
	AV     []string `json:"av"`
	AErr   []string `json:"aerr"`
}

// interner maps strings to indexes in a table.
type interner struct {
	idx   map[string]int32
	table []string
}

func newInterner(first ...string) *interner {
	in := &interner{idx: map[string]int32{}}
	for _, s := range first {
		in.id(s)
	}
	return in
}

func (in *interner) id(s string) int32 {
	if i, ok := in.idx[s]; ok {
		return i
	}
	i := int32(len(in.table))
	in.idx[s] = i
	in.table = append(in.table, s)
	return i
}

// timelineData builds the embedded timeline data as a ready-made script
// element. Lanes: each client process gets a lane for its lifetime; a
// process that starts after another has ended reuses the lane freed most
// recently, so a worker that moves to a new process after an indeterminate
// op stays on its row.
func timelineData(tl *timeline) (template.HTML, int, error) {
	us := func(ns int64) int64 { return ns / 1000 }
	d := &timelineJSON{Begin: us(tl.start), End: us(tl.end) + 1, Kinds: tl.kinds.kinds, Colors: tl.kinds.colors}
	n := len(tl.cops)
	d.Lane, d.Proc, d.Start, d.Dur = make([]int32, n), make([]int32, n), make([]int64, n), make([]int64, n)
	d.Type, d.Fi, d.Ki, d.Ni, d.Ei = make([]int8, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	d.Val, d.Idx = make([]string, n), make([]int64, n)

	type life struct {
		first, last int64
		lane        int32
	}
	lives := map[history.Process]*life{}
	var order []history.Process
	for _, c := range tl.cops {
		inv := &tl.ops[c.inv]
		end := int64(math.MaxInt64)
		if c.comp >= 0 {
			end = tl.ops[c.comp].Time
		}
		l, ok := lives[inv.Process]
		if !ok {
			l = &life{first: inv.Time}
			lives[inv.Process] = l
			order = append(order, inv.Process)
		}
		l.last = max(l.last, end)
	}
	slices.SortStableFunc(order, func(a, b history.Process) int { return cmp.Compare(lives[a].first, lives[b].first) })
	var laneEnd []int64
	var laneProcs [][]history.Process
	for _, p := range order {
		l := lives[p]
		best := -1
		for i, e := range laneEnd {
			if e < l.first && (best < 0 || e > laneEnd[best]) {
				best = i
			}
		}
		if best < 0 {
			best = len(laneEnd)
			laneEnd = append(laneEnd, 0)
			laneProcs = append(laneProcs, nil)
		}
		laneEnd[best] = l.last
		laneProcs[best] = append(laneProcs[best], p)
		l.lane = int32(best)
	}
	// Rows in order of their first process, as a reader expects.
	rows := make([]int32, len(laneProcs))
	for i := range rows {
		rows[i] = int32(i)
	}
	slices.SortFunc(rows, func(a, b int32) int { return cmp.Compare(laneProcs[a][0], laneProcs[b][0]) })
	rowOf := make([]int32, len(laneProcs))
	for row, lane := range rows {
		rowOf[lane] = int32(row)
		ps := laneProcs[lane]
		label := "p" + ps[0].String()
		if len(ps) > 1 {
			label += fmt.Sprintf(" +%d", len(ps)-1)
		}
		d.Lanes = append(d.Lanes, label)
	}
	for _, l := range lives {
		l.lane = rowOf[l.lane]
	}

	fs, keys, nodes, errs := newInterner(), newInterner(), newInterner(), newInterner("")
	var prev int64
	for i, c := range tl.cops {
		inv := &tl.ops[c.inv]
		d.Lane[i] = lives[inv.Process].lane
		d.Proc[i] = int32(inv.Process)
		d.Start[i] = us(inv.Time) - prev
		prev = us(inv.Time)
		d.Fi[i], d.Ki[i] = fs.id(inv.F), keys.id(inv.Key)
		d.Idx[i] = inv.Index
		node, errText, val := inv.Node, inv.Error, opValue(inv.Value, nil)
		d.Dur[i] = -1
		if c.comp >= 0 {
			comp := &tl.ops[c.comp]
			d.Dur[i] = max(us(comp.Time)-us(inv.Time), 0)
			d.Type[i] = int8(comp.Type)
			if comp.Node != "" {
				node = comp.Node
			}
			errText = comp.Error
			val = opValue(inv.Value, comp.Value)
		}
		d.Ni[i], d.Ei[i] = nodes.id(node), errs.id(errText)
		d.Val[i] = val
	}
	d.F, d.Keys, d.Nodes, d.Errs = fs.table, keys.table, nodes.table, errs.table
	for _, w := range tl.windows {
		d.WK = append(d.WK, int32(slices.Index(tl.kinds.kinds, w.Kind)))
		d.WS = append(d.WS, us(max(w.Start, 0)))
		d.WE = append(d.WE, us(max(w.End, w.Start)))
		d.WO = append(d.WO, w.Open)
	}
	for _, a := range tl.actions {
		d.AS = append(d.AS, us(a.Start))
		d.AE = append(d.AE, us(a.End))
		d.AF = append(d.AF, a.F)
		d.AV = append(d.AV, clipString(string(a.Value), maxTimelineValue))
		d.AErr = append(d.AErr, clipString(a.Error, 2*maxTimelineValue))
	}
	// json.Marshal escapes <, > and &, so the data cannot end the script
	// element early.
	b, err := json.Marshal(d)
	if err != nil {
		return "", 0, err
	}
	return template.HTML(`<script type="application/json" id="timeline-data">` + string(b) + `</script>`), n, nil
}

// opValue is what the timeline shows as an op's value: the argument, and
// what came back when it differs (a read's result).
func opValue(inv, comp json.RawMessage) string {
	a, b := string(inv), string(comp)
	if a == "null" {
		a = ""
	}
	s := a
	if len(comp) > 0 && b != a {
		if s != "" {
			s += " → " + b
		} else {
			s = "→ " + b
		}
	}
	return clipString(s, maxTimelineValue)
}
