package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// FileName is the name of the history file in a run directory.
const FileName = "history.jsonl"

// ErrTruncated marks a history whose last line was cut short, as happens
// when the controller dies while writing it. The ops before it are intact.
var ErrTruncated = errors.New("history: last line is incomplete")

// Decode reads a JSONL history: one op per line, blank lines ignored. An
// invalid line is an error naming its line number, except a final line with
// no newline, which a crash can leave half written: then the ops before it
// are returned together with an error wrapping ErrTruncated.
func Decode(r io.Reader) ([]Op, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		// Keep what was read before the failure, as a line-by-line reader
		// would: the complete lines.
		b = b[:bytes.LastIndexByte(b, '\n')+1]
		ops, derr := DecodeBytes(b)
		if derr != nil {
			return ops, derr
		}
		return ops, fmt.Errorf("history: read line %d: %w", bytes.Count(b, []byte{'\n'})+1, err)
	}
	return DecodeBytes(b)
}

// DecodeBytes is Decode of a history held in memory. Most lines are read by
// a fast scanner; any line it does not fully understand (escapes in names,
// unknown or repeated fields, odd numbers, errors) is decoded by
// encoding/json exactly as before, so the ops and the errors are the same.
// The ops share a few large buffers for their values and one copy of each
// distinct f, key, node and error string, which keeps the memory they hold
// small.
func DecodeBytes(b []byte) ([]Op, error) {
	ops := make([]Op, 0, bytes.Count(b, []byte{'\n'})+1)
	d := lineDecoder{strs: map[string]string{}}
	for line := 1; len(b) > 0; line++ {
		l := b
		i := bytes.IndexByte(b, '\n')
		complete := i >= 0
		if complete {
			l, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		t := bytes.TrimSpace(l)
		if len(t) == 0 {
			continue
		}
		op, ok := d.fast(t)
		if !ok {
			var err error
			if op, err = decodeLine(t); err != nil {
				if !complete {
					return ops, fmt.Errorf("%w (line %d: %v)", ErrTruncated, line, err)
				}
				return ops, fmt.Errorf("history: line %d: %w", line, err)
			}
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func decodeLine(b []byte) (Op, error) {
	var op Op
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&op); err != nil {
		return Op{}, err
	}
	if d.More() {
		return Op{}, errors.New("more than one JSON value on the line")
	}
	if op.F == "" {
		return Op{}, errors.New(`op has no "f"`)
	}
	return op, nil
}

// ReadFile reads a JSONL history file.
func ReadFile(path string) ([]Op, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ops, err := DecodeBytes(b)
	if err != nil {
		return ops, fmt.Errorf("%s: %w", path, err)
	}
	return ops, nil
}

// Encode writes ops as JSONL.
func Encode(w io.Writer, ops []Op) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range ops {
		if err := enc.Encode(&ops[i]); err != nil {
			return fmt.Errorf("history: encode op %d: %w", ops[i].Index, err)
		}
	}
	return bw.Flush()
}
