package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// decodeReference is the line-by-line encoding/json decoder Decode
// replaced: what every line means, and every error, is defined by it.
func decodeReference(r io.Reader) ([]Op, error) {
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

// sameOps compares decoded ops; a nil and an empty value are the same.
func sameOps(a, b []Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !bytes.Equal(x.Value, y.Value) {
			return false
		}
		x.Value, y.Value = nil, nil
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

var fastSeeds = []string{
	`{"index":0,"time":1,"process":0,"type":"invoke","f":"cas","key":"k","value":[1,2]}`,
	`{"index":1,"time":2,"process":"nemesis","type":"info","f":"kill","value":{"n1":["a\"b",null,true,-1.5e-3]}}`,
	`{"index":2,"time":3,"process":3,"type":"ok","f":"read","key":"k","value":null,"node":"n1","error":"é"}`,
	` { "f" : "read" , "type" : "fail" , "process" : 7 } `,
	`{"F":"read","type":"ok","process":1}`,
	`{"f":"read","f":"write","type":"ok","process":1}`,
	`{"f":"r\u0065ad","type":"ok","process":1,"index":1e2}`,
	`{"f":"read","type":"ok","process":-0,"time":-0,"value":01}`,
	`{"f":"read","type":"ok","process":"nemesis "}`,
	`{"f":"read","type":"ok","process":1,"value":[1,]}`,
	`{"f":"read","type":"ok","process":1}}`,
	`{"f":"read","type":"ok","process":1} {}`,
	`{"f":"x","type":"ok","process":1,"colour":2}`,
	`{"f":"x","type":"ok","process":1,"index":null}`,
	`{"f":"","type":"ok","process":1}`,
	"{\"f\":\"\xff\",\"type\":\"ok\",\"process\":1,\"value\":\"\xfe\"}",
	`{}`,
}

func TestDecodeMatchesReference(t *testing.T) {
	for _, seed := range fastSeeds {
		for _, in := range []string{seed, seed + "\n", "\n" + seed + "\n" + fastSeeds[0] + "\n", fastSeeds[0] + "\n" + seed} {
			compareWithReference(t, []byte(in))
		}
	}
}

func compareWithReference(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := decodeReference(bytes.NewReader(data))
	got, gotErr := Decode(bytes.NewReader(data))
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("input %q:\nerror %v\nwant  %v", data, gotErr, wantErr)
	}
	if !sameOps(got, want) {
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		t.Fatalf("input %q:\nops  %s\nwant %s\n%#v\n%#v", data, a, b, got, want)
	}
}

// TestFastPathReadsRecordedLines makes sure the lines the Recorder writes
// take the fast path, which is the point of it.
func TestFastPathReadsRecordedLines(t *testing.T) {
	var buf bytes.Buffer
	rec := NewRecorder(func() int64 { return 5 }, &buf)
	rec.Invoke(0, "cas", "k1", MustValue([]int{1, 2}), "n1")
	rec.Append(Op{Process: 0, Type: OK, F: "cas", Key: "k1", Value: MustValue([]int{1, 2}), Node: "n1"})
	rec.Invoke(1, "read", "k2", nil, "n2")
	rec.Append(Op{Process: 1, Type: Info, F: "read", Key: "k2", Error: `timeout: "no answer"`})
	rec.Append(Op{Process: NemesisProcess, Type: Info, F: "start-partition", Value: MustValue(map[string][]string{"n1": {"n2"}})})
	d := lineDecoder{strs: map[string]string{}}
	for i, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		want, err := decodeLine([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := d.fast([]byte(line))
		escaped := strings.Contains(line, `\"`)
		if ok == escaped || (ok && !sameOps([]Op{got}, []Op{want})) {
			t.Errorf("line %d %s: fast path ok=%v, op %+v, want %+v", i, line, ok, got, want)
		}
	}
}

func FuzzDecodeMatchesReference(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s + "\n" + fastSeeds[0]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithReference(t, data)
	})
}

func TestDecodeIntegerLimits(t *testing.T) {
	for _, n := range []string{"9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"-9223372036854775809", "18446744073709551615", "18446744073709551616", "99999999999999999999999", "-0", "00"} {
		compareWithReference(t, []byte(`{"index":`+n+`,"time":`+n+`,"process":1,"type":"ok","f":"x"}`))
		compareWithReference(t, []byte(`{"process":`+n+`,"type":"ok","f":"x"}`))
	}
}
