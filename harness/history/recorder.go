package history

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Recorder appends ops to a history from many goroutines. It assigns each op
// its index and time, keeps the history in memory and streams every op as
// one JSON line to a writer as soon as it is appended, so a controller that
// crashes keeps what it recorded.
//
// Append panics on a broken invariant (a completion without an invoke, two
// invokes in flight on one process, a retired process reused): that is a
// harness bug, not a property of the system under test.
type Recorder struct {
	mu       sync.Mutex
	now      func() int64 // monotonic nanoseconds since the run started
	ops      []Op
	open     map[Process]int64 // process -> index of its invoke in flight
	retired  map[Process]bool
	lastTime int64
	out      *bufio.Writer
	sink     io.Writer
	err      error // first write error; reported by Err, never panics
}

// NewRecorder returns a recorder that takes times from now and, when w is
// not nil, writes each op to w as a JSON line.
func NewRecorder(now func() int64, w io.Writer) *Recorder {
	r := &Recorder{now: now, open: map[Process]int64{}, retired: map[Process]bool{}, sink: w}
	if w != nil {
		r.out = bufio.NewWriterSize(w, 4096)
	}
	return r
}

// Invoke records the invocation of f by a client process and returns the
// op as recorded.
func (r *Recorder) Invoke(p Process, f, key string, value json.RawMessage, node string) Op {
	return r.Append(Op{Process: p, Type: Invoke, F: f, Key: key, Value: value, Node: node})
}

// Append records op, assigning Index and Time, and returns it as recorded.
func (r *Recorder) Append(op Op) Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.now()
	if t < r.lastTime {
		t = r.lastTime // a clock that steps back must not reorder the history
	}
	r.lastTime = t
	op.Time = t
	op.Index = int64(len(r.ops))
	if !op.Process.IsNemesis() {
		r.checkClient(op)
	}
	r.ops = append(r.ops, op)
	r.write(op)
	return op
}

func (r *Recorder) checkClient(op Op) {
	p := op.Process
	if r.retired[p] {
		panic(fmt.Sprintf("history: process %d reused after an info completion", p))
	}
	_, inFlight := r.open[p]
	switch op.Type {
	case Invoke:
		if inFlight {
			panic(fmt.Sprintf("history: process %d invoked %s with an op already in flight", p, op.F))
		}
		r.open[p] = op.Index
	default:
		if !inFlight {
			panic(fmt.Sprintf("history: process %d completed %s without an invoke", p, op.F))
		}
		delete(r.open, p)
		if op.Type == Info {
			r.retired[p] = true
		}
	}
}

func (r *Recorder) write(op Op) {
	if r.out == nil || r.err != nil {
		return
	}
	b, err := json.Marshal(op)
	if err == nil {
		b = append(b, '\n')
		_, err = r.out.Write(b)
	}
	if err == nil {
		err = r.out.Flush() // one line per op reaches the file at once
	}
	if err != nil {
		r.err = fmt.Errorf("history: write op %d: %w", op.Index, err)
	}
}

// Err returns the first error met writing the stream, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// InFlight returns the processes with an invoke not yet completed.
func (r *Recorder) InFlight() []Process {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := make([]Process, 0, len(r.open))
	for p := range r.open {
		ps = append(ps, p)
	}
	return ps
}

// Ops returns a copy of the history so far.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Op(nil), r.ops...)
}

// Len returns how many ops have been recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ops)
}

// Since returns a copy of the ops recorded from index i on, so a watcher
// can follow the history without copying all of it each time.
func (r *Recorder) Since(i int) []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i < 0 || i >= len(r.ops) {
		return nil
	}
	return append([]Op(nil), r.ops[i:]...)
}
