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
	br := bufio.NewReaderSize(r, 1<<16)
	var ops []Op
	for line := 1; ; line++ {
		b, readErr := br.ReadBytes('\n')
		if readErr != nil && readErr != io.EOF {
			return ops, fmt.Errorf("history: read line %d: %w", line, readErr)
		}
		complete := readErr == nil
		if t := bytes.TrimSpace(b); len(t) > 0 {
			op, err := decodeLine(t)
			if err != nil {
				if !complete {
					return ops, fmt.Errorf("%w (line %d: %v)", ErrTruncated, line, err)
				}
				return ops, fmt.Errorf("history: line %d: %w", line, err)
			}
			ops = append(ops, op)
		}
		if !complete {
			return ops, nil
		}
	}
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
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ops, err := Decode(f)
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
