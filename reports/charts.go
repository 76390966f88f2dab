package reports

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/faultline-io/faultline/harness/history"
)

// Limits that keep the charts small for big runs.
const (
	maxBuckets   = 600 // bars in the throughput chart
	maxQBuckets  = 150 // points per line in the quantile chart
	pointCell    = 2.0 // latency points closer than this (px) to one already drawn are merged
	maxSeriesFns = 8   // fs drawn with a marker of their own; more share the last
)

// outcomes are the completion types drawn, in legend order.
var outcomes = []history.Type{history.OK, history.Info, history.Fail}

// series is one legend entry of a chart: a name, a CSS class or colour,
// and a marker.
type series struct {
	ID, Label, Class, Marker string
	Count                    int
}

// figure is a chart with its legend.
type figure struct {
	ID, Title, Note string
	Legend          []series
	SVG             template.HTML
}

// markers by f: circle, square, triangle, diamond.
var markerNames = []string{"circle", "square", "triangle", "diamond"}

// latencyChart draws each completed client op at (invocation time,
// latency) on a log scale, one series per f and outcome: the colour says
// the outcome, the marker the f. Points closer than pointCell to one
// already drawn in the same series are merged, so the SVG stays small
// however many ops there are.
func latencyChart(tl *timeline, fs []string) *figure {
	f := newFrame(300, tl)
	var lo, hi int64 = math.MaxInt64, 0
	for _, c := range tl.cops {
		if c.comp >= 0 {
			l := tl.latency(c)
			lo, hi = min(lo, l), max(hi, l)
		}
	}
	if hi == 0 {
		return nil
	}
	ys := newLogScale(lo, hi, f.top, f.plotH)
	fig := &figure{ID: "latency", Title: "Latency of each operation",
		Note: "x: when the op was invoked; y: how long it took (log scale). Shaded: faults in place."}
	var s svgBuf
	f.open(&s, "latency-chart", "latency of client operations over time", tl)
	ys.grid(&s, f)

	cols, rows := int(f.plotW/pointCell)+1, int(f.plotH/pointCell)+1
	type key struct {
		f int
		t history.Type
	}
	paths := map[key][]byte{}
	seen := map[key][]bool{}
	counts := map[key]int{}
	fIndex := map[string]int{}
	for i, name := range fs {
		fIndex[name] = min(i, maxSeriesFns-1)
	}
	for _, c := range tl.cops {
		if c.comp < 0 {
			continue
		}
		inv, comp := &tl.ops[c.inv], &tl.ops[c.comp]
		k := key{fIndex[inv.F], comp.Type}
		counts[k]++
		x, y := f.x(inv.Time), ys.y(comp.Time-inv.Time)
		cx, cy := int((x-f.left)/pointCell), int((y-f.top)/pointCell)
		cx, cy = min(max(cx, 0), cols-1), min(max(cy, 0), rows-1)
		grid := seen[k]
		if grid == nil {
			grid = make([]bool, cols*rows)
			seen[k] = grid
		}
		if grid[cy*cols+cx] {
			continue
		}
		grid[cy*cols+cx] = true
		paths[k] = appendMarker(paths[k], markerNames[k.f%len(markerNames)], f.left+(float64(cx)+.5)*pointCell, f.top+(float64(cy)+.5)*pointCell)
	}
	for fi, name := range fs {
		if fi >= maxSeriesFns {
			break
		}
		if fi == maxSeriesFns-1 && len(fs) > maxSeriesFns {
			name = "other"
		}
		for _, t := range outcomes {
			k := key{fi, t}
			if counts[k] == 0 {
				continue
			}
			id := fmt.Sprintf("lat-%d-%s", fi, t)
			marker := markerNames[fi%len(markerNames)]
			fig.Legend = append(fig.Legend, series{ID: id, Label: name + " " + t.String(), Class: t.String(), Marker: marker, Count: counts[k]})
			s.raw(`<path data-series="`, id, `" class="pt `, t.String(), ` `, marker, `" d="`)
			s.b = append(s.b, paths[k]...)
			s.raw(`"/>`)
		}
	}
	f.close(&s)
	fig.SVG = s.html()
	return fig
}

// appendMarker appends path data for one marker centred on (x, y). Round
// and square markers are zero-length strokes with round or square caps
// (the stroke width sets their size); the others are small filled shapes.
func appendMarker(b []byte, marker string, x, y float64) []byte {
	pt := func(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'f', 1, 64) }
	b = append(b, 'M')
	switch marker {
	case "triangle":
		b = pt(b, x)
		b = append(b, ' ')
		b = pt(b, y-2.2)
		return append(b, "l2 3.8h-4z"...)
	case "diamond":
		b = pt(b, x)
		b = append(b, ' ')
		b = pt(b, y-2.4)
		return append(b, "l2.4 2.4-2.4 2.4-2.4-2.4z"...)
	default:
		b = pt(b, x)
		b = append(b, ' ')
		b = pt(b, y)
		return append(b, "h0"...)
	}
}

// quantile returns the q-quantile of sorted ns (nearest rank).
func quantile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

var chartQuantiles = []struct {
	q     float64
	label string
}{{0.5, "p50"}, {0.95, "p95"}, {0.99, "p99"}, {1, "max"}}

// quantileChart draws latency quantiles of the ops invoked in each time
// bucket, one line per quantile, on a log scale.
func quantileChart(tl *timeline) *figure {
	f := newFrame(240, tl)
	span := tl.end - tl.start
	bs := max(int64(time.Second), (span+maxQBuckets-1)/maxQBuckets)
	nb := int(span/bs) + 1
	buckets := make([][]int64, nb)
	var lo, hi int64 = math.MaxInt64, 0
	for _, c := range tl.cops {
		if c.comp < 0 {
			continue
		}
		l := tl.latency(c)
		b := min(max(int((tl.ops[c.inv].Time-tl.start)/bs), 0), nb-1)
		buckets[b] = append(buckets[b], l)
		lo, hi = min(lo, l), max(hi, l)
	}
	if hi == 0 {
		return nil
	}
	for _, b := range buckets {
		slices.Sort(b)
	}
	ys := newLogScale(lo, hi, f.top, f.plotH)
	fig := &figure{ID: "quantiles", Title: "Latency quantiles over time",
		Note: fmt.Sprintf("Quantiles of the latency of all completed ops invoked in each %v (log scale).", time.Duration(bs))}
	var s svgBuf
	f.open(&s, "quantile-chart", "latency quantiles over time", tl)
	ys.grid(&s, f)
	for i, q := range chartQuantiles {
		id := "q-" + q.label
		fig.Legend = append(fig.Legend, series{ID: id, Label: q.label, Class: fmt.Sprintf("q%d", i), Marker: "line"})
		s.raw(`<path data-series="`, id, `" class="qline q`, strconv.Itoa(i), `" d="`)
		pen := byte('M')
		for b, lats := range buckets {
			if len(lats) == 0 {
				pen = 'M'
				continue
			}
			s.b = append(s.b, pen)
			s.num(f.x(tl.start + int64(b)*bs + bs/2))
			s.raw(" ")
			s.num(ys.y(quantile(lats, q.q)))
			pen = 'L'
		}
		s.raw(`"/>`)
	}
	f.close(&s)
	fig.SVG = s.html()
	return fig
}

// throughputChart draws completions per second over time, stacked by
// outcome, one bar per bucket.
func throughputChart(tl *timeline) *figure {
	f := newFrame(220, tl)
	span := tl.end - tl.start
	bs := int64(time.Second)
	if nb := span/bs + 1; nb > maxBuckets {
		bs *= (nb + maxBuckets - 1) / maxBuckets
	}
	nb := int(span/bs) + 1
	counts := make([][4]int, nb)
	for _, c := range tl.cops {
		if c.comp < 0 {
			continue
		}
		op := &tl.ops[c.comp]
		counts[min(max(int((op.Time-tl.start)/bs), 0), nb-1)][op.Type]++
	}
	perSec := float64(time.Second) / float64(bs)
	peak := 1.0
	for _, n := range counts {
		peak = max(peak, float64(n[history.OK]+n[history.Fail]+n[history.Info])*perSec)
	}
	yMax := niceCeil(peak)
	fig := &figure{ID: "throughput", Title: "Throughput",
		Note: fmt.Sprintf("Client ops completed per second, in buckets of %v, by outcome. Shaded: faults in place.", time.Duration(bs))}
	var totals [4]int
	for _, n := range counts {
		for _, t := range outcomes {
			totals[t] += n[t]
		}
	}
	for _, t := range outcomes {
		fig.Legend = append(fig.Legend, series{ID: "tp-" + t.String(), Label: t.String(), Class: t.String(), Marker: "block", Count: totals[t]})
	}
	var s svgBuf
	f.open(&s, "throughput-chart", "client operations completed per second", tl)
	for _, v := range []float64{yMax / 2, yMax} {
		f.yGrid(&s, f.bottom()-v/yMax*f.plotH, trimFloat(v))
	}
	bw := float64(bs) / float64(f.span) * f.plotW
	gap := 0.0
	if bw > 3 {
		gap = 1
	}
	for b, n := range counts {
		total := n[history.OK] + n[history.Fail] + n[history.Info]
		if total == 0 {
			continue
		}
		s.raw(`<g><title>`)
		t0 := tl.start + int64(b)*bs
		s.esc(fmt.Sprintf("%s–%ss: %d ok, %d info, %d fail", secs(t0), secs(t0+bs), n[history.OK], n[history.Info], n[history.Fail]))
		s.raw(`</title>`)
		y := f.bottom()
		for _, t := range outcomes {
			if n[t] == 0 {
				continue
			}
			h := float64(n[t]) * perSec / yMax * f.plotH
			y -= h
			x0 := f.x(tl.start + int64(b)*bs)
			s.raw(`<rect data-series="tp-`, t.String(), `" class="`, t.String(), `" x="`)
			s.num(x0)
			s.raw(`" y="`)
			s.num(y)
			s.raw(`" width="`)
			s.num(max(min(bw-gap, f.left+f.plotW-x0), 0.5))
			s.raw(`" height="`)
			s.num(h)
			s.raw(`"/>`)
		}
		s.raw(`</g>`)
	}
	f.close(&s)
	fig.SVG = s.html()
	return fig
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// latencyRow is one row of the latency table: an f and outcome.
type latencyRow struct {
	F, Type                  string
	N                        int
	P50, P90, P99, P999, Max string
}

// latencyTable gives latency quantiles by f and outcome.
func latencyTable(tl *timeline, fs []string) []latencyRow {
	type key struct {
		f string
		t history.Type
	}
	lats := map[key][]int64{}
	for _, c := range tl.cops {
		if c.comp >= 0 {
			k := key{tl.ops[c.inv].F, tl.ops[c.comp].Type}
			lats[k] = append(lats[k], tl.latency(c))
		}
	}
	var rows []latencyRow
	for _, f := range fs {
		for _, t := range outcomes {
			l := lats[key{f, t}]
			if len(l) == 0 {
				continue
			}
			slices.Sort(l)
			q := func(p float64) string { return fmtLatency(time.Duration(quantile(l, p))) }
			rows = append(rows, latencyRow{F: f, Type: t.String(), N: len(l),
				P50: q(.5), P90: q(.9), P99: q(.99), P999: q(.999), Max: q(1)})
		}
	}
	return rows
}

// availRow is one row of the availability table.
type availRow struct {
	When, Color               string
	Done, OK, Fail, Info      int
	OKPct                     string
	OKWidth, FailW, InfoWidth float64 // percentages for the bar
}

// availability compares the outcome of client ops that completed while a
// fault was in place with those that completed outside any fault, overall
// and by fault kind (an op counts under every kind in place).
func availability(tl *timeline) []availRow {
	outside := availRow{When: "no fault in place"}
	during := availRow{When: "any fault in place", Color: "#888888"}
	byKind := make([]availRow, len(tl.kinds.kinds))
	for i, k := range tl.kinds.kinds {
		byKind[i] = availRow{When: k, Color: tl.kinds.colors[i]}
	}
	add := func(r *availRow, t history.Type) {
		r.Done++
		switch t {
		case history.OK:
			r.OK++
		case history.Fail:
			r.Fail++
		case history.Info:
			r.Info++
		}
	}
	// Per kind, the windows merged into sorted disjoint spans: each op is
	// then a binary search per kind, however long the run.
	spans := make([][][2]int64, len(tl.kinds.kinds))
	for _, w := range tl.windows { // in order of start
		k := slices.Index(tl.kinds.kinds, w.Kind)
		if n := len(spans[k]); n > 0 && w.Start <= spans[k][n-1][1] {
			spans[k][n-1][1] = max(spans[k][n-1][1], w.End)
			continue
		}
		spans[k] = append(spans[k], [2]int64{w.Start, w.End})
	}
	covered := func(ss [][2]int64, t int64) bool {
		i := sort.Search(len(ss), func(i int) bool { return ss[i][1] >= t })
		return i < len(ss) && ss[i][0] <= t
	}
	for _, c := range tl.cops {
		if c.comp < 0 {
			continue
		}
		op := &tl.ops[c.comp]
		inFault := false
		for k, ss := range spans {
			if covered(ss, op.Time) {
				add(&byKind[k], op.Type)
				inFault = true
			}
		}
		if inFault {
			add(&during, op.Type)
		} else {
			add(&outside, op.Type)
		}
	}
	rows := []availRow{outside}
	if during.Done > 0 || len(byKind) > 0 {
		rows = append(rows, during)
		rows = append(rows, byKind...)
	}
	for i := range rows {
		r := &rows[i]
		if r.Done == 0 {
			r.OKPct = "—"
			continue
		}
		r.OKPct = fmt.Sprintf("%.1f%%", 100*float64(r.OK)/float64(r.Done))
		r.OKWidth = 100 * float64(r.OK) / float64(r.Done)
		r.FailW = 100 * float64(r.Fail) / float64(r.Done)
		r.InfoWidth = 100 * float64(r.Info) / float64(r.Done)
	}
	return rows
}
