package reports

import (
	"fmt"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
)

// chart is the SVG of client completions over time, stacked ok/info/fail
// per bucket, over shaded nemesis windows. One pass over the ops.
type chart struct {
	W, H                       int
	Left, Top, PlotW, PlotH    float64
	Bottom                     float64 // y of the x axis
	Bars                       []bar
	Shades                     []shade
	XTicks                     []tick
	YMax                       int
	Bucket                     string // bucket length, e.g. "1s"
	TotalOK, TotalFail, TotInf int
}

type bar struct {
	X, W  float64
	Segs  []seg
	Title string
}

type seg struct {
	Y, H  float64
	Class string
}

type shade struct {
	X, W  float64
	Title string
}

type tick struct {
	X     float64
	Label string
}

func newChart(ops []history.Op, ws []checker.NemesisWindow, last int64) *chart {
	const (
		width, height           = 960, 240
		left, right, top, below = 56.0, 12.0, 12.0, 40.0
	)
	c := &chart{W: width, H: height, Left: left, Top: top, PlotW: width - left - right, PlotH: height - top - below}
	c.Bottom = c.Top + c.PlotH
	last = max(last, 1)
	bs := int64(time.Second)
	nb := int(last/bs) + 1
	if nb > maxBuckets {
		bs *= int64((nb + maxBuckets - 1) / maxBuckets)
		nb = int(last/bs) + 1
	}
	c.Bucket = time.Duration(bs).String()
	okN, failN, infoN := make([]int, nb), make([]int, nb), make([]int, nb)
	for i := range ops {
		op := &ops[i]
		if !op.IsClient() || op.Type == history.Invoke {
			continue
		}
		b := min(max(int(op.Time/bs), 0), nb-1)
		switch op.Type {
		case history.OK:
			okN[b]++
		case history.Fail:
			failN[b]++
		case history.Info:
			infoN[b]++
		}
	}
	for b := range nb {
		c.YMax = max(c.YMax, okN[b]+failN[b]+infoN[b])
	}
	ymax := float64(max(c.YMax, 1))
	span := float64(int64(nb) * bs)
	x := func(t int64) float64 { return c.Left + float64(t)/span*c.PlotW }

	for _, w := range ws {
		x0, x1 := x(max(w.Start, 0)), x(max(w.End, 0))
		title := fmt.Sprintf("%s %s–%ss", w.Kind, secs(w.Start), secs(w.End))
		if w.Open {
			title += " (never healed)"
		}
		c.Shades = append(c.Shades, shade{X: x0, W: max(x1-x0, 1), Title: title})
	}
	bw := c.PlotW / float64(nb)
	gap := 0.0
	if bw > 3 {
		gap = 1
	}
	for b := range nb {
		total := okN[b] + failN[b] + infoN[b]
		c.TotalOK += okN[b]
		c.TotalFail += failN[b]
		c.TotInf += infoN[b]
		if total == 0 {
			continue
		}
		br := bar{X: c.Left + float64(b)*bw, W: bw - gap,
			Title: fmt.Sprintf("%s–%ss: %d ok, %d info, %d fail", secs(int64(b)*bs), secs(int64(b+1)*bs), okN[b], infoN[b], failN[b])}
		y := c.Bottom
		for _, s := range []struct {
			n     int
			class string
		}{{okN[b], "ok"}, {infoN[b], "info"}, {failN[b], "fail"}} {
			if s.n == 0 {
				continue
			}
			h := float64(s.n) / ymax * c.PlotH
			y -= h
			br.Segs = append(br.Segs, seg{Y: y, H: h, Class: s.class})
		}
		c.Bars = append(c.Bars, br)
	}
	step := tickStep(span)
	for t := int64(0); float64(t) <= span; t += step {
		c.XTicks = append(c.XTicks, tick{X: x(t), Label: fmt.Sprintf("%gs", float64(t)/1e9)})
	}
	return c
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
