package reports

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"time"
)

// svgBuf builds SVG markup. Charts are written straight into a byte buffer
// rather than through html/template: a latency chart has thousands of
// points, and every string that comes from the run goes through esc.
type svgBuf struct{ b []byte }

func (s *svgBuf) raw(parts ...string) {
	for _, p := range parts {
		s.b = append(s.b, p...)
	}
}

// num appends v with one decimal, dropping a trailing ".0".
func (s *svgBuf) num(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	n := len(s.b)
	s.b = strconv.AppendFloat(s.b, v, 'f', 1, 64)
	if l := len(s.b); l-n >= 2 && s.b[l-2] == '.' && s.b[l-1] == '0' {
		s.b = s.b[:l-2]
	}
}

func (s *svgBuf) esc(text string) { s.b = append(s.b, template.HTMLEscapeString(text)...) }

func (s *svgBuf) html() template.HTML { return template.HTML(s.b) }

// rect appends a <rect> with a class (or a fill when fill is set), and a
// hover title when title is set.
func (s *svgBuf) rect(x, y, w, h float64, class, fill, opacity, title string) {
	s.raw(`<rect x="`)
	s.num(x)
	s.raw(`" y="`)
	s.num(y)
	s.raw(`" width="`)
	s.num(w)
	s.raw(`" height="`)
	s.num(h)
	s.raw(`"`)
	if class != "" {
		s.raw(` class="`, class, `"`)
	}
	if fill != "" {
		s.raw(` fill="`, fill, `"`)
	}
	if opacity != "" {
		s.raw(` fill-opacity="`, opacity, `"`)
	}
	if title == "" {
		s.raw(`/>`)
		return
	}
	s.raw(`><title>`)
	s.esc(title)
	s.raw(`</title></rect>`)
}

func (s *svgBuf) line(x1, y1, x2, y2 float64, class string) {
	s.raw(`<line x1="`)
	s.num(x1)
	s.raw(`" y1="`)
	s.num(y1)
	s.raw(`" x2="`)
	s.num(x2)
	s.raw(`" y2="`)
	s.num(y2)
	s.raw(`" class="`, class, `"/>`)
}

func (s *svgBuf) text(x, y float64, anchor, text string) {
	s.raw(`<text x="`)
	s.num(x)
	s.raw(`" y="`)
	s.num(y)
	s.raw(`"`)
	if anchor != "" {
		s.raw(` text-anchor="`, anchor, `"`)
	}
	s.raw(`>`)
	s.esc(text)
	s.raw(`</text>`)
}

// frame is the geometry the time charts share: a plot area whose x axis
// is the run's time, from the first op to the last, with the nemesis
// windows shaded.
type frame struct {
	w, h                    float64
	left, top, plotW, plotH float64
	start, span             int64 // ns
}

const chartWidth = 960

func newFrame(height float64, tl *timeline) frame {
	const left, right, top, below = 64, 16, 10, 30
	return frame{w: chartWidth, h: height, left: left, top: top, plotW: chartWidth - left - right,
		plotH: height - top - below, start: tl.start, span: max(tl.end-tl.start, 1)}
}

func (f frame) bottom() float64 { return f.top + f.plotH }

func (f frame) x(t int64) float64 { return f.left + float64(t-f.start)/float64(f.span)*f.plotW }

// open starts the chart's SVG and draws the shaded fault windows.
func (f frame) open(s *svgBuf, id, label string, tl *timeline) {
	s.raw(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="`, id, `" viewBox="0 0 `)
	s.num(f.w)
	s.raw(" ")
	s.num(f.h)
	s.raw(`" role="img" aria-label="`)
	s.esc(label)
	s.raw(`">`)
	for _, w := range tl.windows {
		x0, x1 := f.x(max(w.Start, f.start)), f.x(max(w.End, f.start))
		title := fmt.Sprintf("%s from %ss to %ss", w.Kind, secs(w.Start), secs(w.End))
		if w.Open {
			title += " (never healed)"
		}
		s.rect(x0, f.top, max(x1-x0, 1), f.plotH, "shade", tl.kinds.color(w.Kind), "0.18", title)
	}
}

// close draws the time axis and the frame's left edge, and ends the SVG.
func (f frame) close(s *svgBuf) {
	b := f.bottom()
	s.line(f.left, f.top, f.left, b, "axis")
	s.line(f.left, b, f.left+f.plotW, b, "axis")
	step := tickStep(float64(f.span))
	for t := (f.start + step - 1) / step * step; t <= f.start+f.span; t += step {
		x := f.x(t)
		s.line(x, b, x, b+4, "axis")
		s.text(x, b+16, "middle", strconv.FormatFloat(float64(t)/1e9, 'f', -1, 64)+"s")
	}
	s.raw(`</svg>`)
}

// yGrid draws a horizontal grid line with a label at y.
func (f frame) yGrid(s *svgBuf, y float64, label string) {
	s.line(f.left, y, f.left+f.plotW, y, "grid")
	s.text(f.left-6, y+4, "end", label)
}

// tickStep picks a round step giving at most 10 ticks over span ns.
func tickStep(span float64) int64 {
	for _, s := range []int64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400} {
		if span/float64(s*int64(time.Second)) <= 10 {
			return s * int64(time.Second)
		}
	}
	return int64(span/10) + 1
}

// logScale maps latencies (ns) to y on a log axis spanning whole decades
// from lo to hi.
type logScale struct {
	lo, hi    float64 // log10 of the decades at the bottom and top
	top, span float64 // pixels
}

func newLogScale(minNS, maxNS int64, top, height float64) logScale {
	lo := math.Floor(math.Log10(float64(max(minNS, 1000))))
	hi := math.Ceil(math.Log10(float64(max(maxNS, 1000))))
	if hi <= lo {
		hi = lo + 1
	}
	return logScale{lo: lo, hi: hi, top: top, span: height}
}

func (l logScale) y(ns int64) float64 {
	v := math.Log10(float64(max(ns, 1)))
	v = min(max(v, l.lo), l.hi)
	return l.top + (l.hi-v)/(l.hi-l.lo)*l.span
}

// grid draws one line per decade.
func (l logScale) grid(s *svgBuf, f frame) {
	for d := l.lo; d <= l.hi; d++ {
		ns := math.Pow(10, d)
		f.yGrid(s, l.y(int64(ns)), fmtLatency(time.Duration(ns)))
	}
}

// fmtLatency writes a latency short and round: 850µs, 12ms, 1.5s.
func fmtLatency(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d)
	case d < time.Millisecond:
		return trimFloat(float64(d)/1e3) + "µs"
	case d < time.Second:
		return trimFloat(float64(d)/1e6) + "ms"
	default:
		return trimFloat(float64(d)/1e9) + "s"
	}
}

func trimFloat(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	if v >= 10 {
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}
