package cmd

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/faultline-io/faultline/harness"
)

// liveProgress shows how a run is going. On a terminal, when CI is not
// set, it keeps one status line at the bottom of stderr, redrawn in place
// about once a second, while log lines scroll above it. Elsewhere (a file,
// a pipe, a CI log) it prints a plain progress line every few seconds,
// because carriage returns and escape codes make a mess of logs.
//
// It is both the harness's log writer and its Progress callback, so that
// a log line never lands in the middle of the status line.
type liveProgress struct {
	mu        sync.Mutex
	w         io.Writer
	tty       bool
	width     int    // terminal columns; 0 when unknown
	prefix    string // e.g. "[2/6] " in a suite
	status    string // the status line on screen; "" when none
	midLine   bool   // the last log write did not end its line
	samples   []progressSample
	lastPlain time.Duration
}

type progressSample struct {
	at   time.Duration
	done int64
}

// plainEvery is how often a plain progress line is printed.
const plainEvery = 5 * time.Second

// clearLine returns the cursor to the line start and erases the line.
const clearLine = "\r\x1b[K"

func newLiveProgress(w io.Writer) *liveProgress {
	lp := &liveProgress{w: w}
	if f, ok := w.(*os.File); ok && os.Getenv("CI") == "" && term.IsTerminal(int(f.Fd())) {
		lp.tty = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			lp.width = cols
		}
	}
	return lp
}

// Write writes log output, lifting the status line out of the way.
func (lp *liveProgress) Write(p []byte) (int, error) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	shown := lp.tty && lp.status != ""
	if shown && !lp.midLine {
		io.WriteString(lp.w, clearLine)
	}
	n, err := lp.w.Write(p)
	if len(p) > 0 {
		lp.midLine = p[len(p)-1] != '\n'
	}
	if shown && !lp.midLine {
		io.WriteString(lp.w, lp.status)
	}
	return n, err
}

// update is the harness's Progress callback.
func (lp *liveProgress) update(p harness.Progress) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	line := lp.prefix + formatProgress(p, lp.rate(p))
	if !lp.tty {
		if p.Done || p.Elapsed/plainEvery > lp.lastPlain/plainEvery {
			lp.lastPlain = p.Elapsed
			fmt.Fprintln(lp.w, "progress: "+line)
		}
		return
	}
	if lp.midLine {
		// A log line is being written; draw on the next whole line.
		lp.status = ""
		return
	}
	if p.Done {
		lp.status = ""
		io.WriteString(lp.w, clearLine+"load phase over: "+line+"\n")
		return
	}
	lp.status = clipWidth(line, lp.width-1)
	io.WriteString(lp.w, clearLine+lp.status)
}

// rate is completions per second over the last few seconds.
func (lp *liveProgress) rate(p harness.Progress) float64 {
	done := p.OK + p.Fail + p.Info
	lp.samples = append(lp.samples, progressSample{p.Elapsed, done})
	for len(lp.samples) > 2 && p.Elapsed-lp.samples[0].at > plainEvery {
		lp.samples = lp.samples[1:]
	}
	first := lp.samples[0]
	if len(lp.samples) == 1 {
		first = progressSample{}
	}
	dt := (p.Elapsed - first.at).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(done-first.done) / dt
}

func formatProgress(p harness.Progress, rate float64) string {
	faults := "none"
	if len(p.Faults) > 0 {
		faults = strings.Join(p.Faults, ", ")
	}
	return fmt.Sprintf("%s/%s · %.0f ops/s · %d ok, %d fail, %d info · faults: %s",
		p.Elapsed.Round(time.Second), p.TimeLimit.Round(time.Second), rate, p.OK, p.Fail, p.Info, faults)
}

// clipWidth cuts s to n runes (a status line that wraps cannot be
// redrawn in place); n <= 0 means no limit.
func clipWidth(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}
