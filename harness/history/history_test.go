package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func counter() func() int64 {
	var t int64
	return func() int64 { t += 10; return t }
}

func TestRecorderAssignsIndexAndTime(t *testing.T) {
	var buf bytes.Buffer
	r := NewRecorder(counter(), &buf)
	r.Invoke(0, "write", "k1", MustValue(3), "n1")
	r.Append(Op{Process: NemesisProcess, Type: Info, F: "start-partition"})
	r.Append(Op{Process: 0, Type: OK, F: "write", Key: "k1", Value: MustValue(3), Node: "n1"})
	ops := r.Ops()
	for i, op := range ops {
		if op.Index != int64(i) || op.Time != int64(10*(i+1)) {
			t.Errorf("op %d: index %d time %d", i, op.Index, op.Time)
		}
	}
	decoded, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(decoded, ops) {
		t.Fatalf("stream and memory differ:\n%v\n%v", decoded, ops)
	}
}

func TestRecorderStreamsEachOpAtOnce(t *testing.T) {
	var buf bytes.Buffer
	r := NewRecorder(counter(), &buf)
	r.Invoke(3, "read", "k", nil, "n2")
	if got := strings.Count(buf.String(), "\n"); got != 1 {
		t.Fatalf("after one op the stream holds %d lines, want 1", got)
	}
	if !strings.Contains(buf.String(), `"process":3`) || !strings.Contains(buf.String(), `"type":"invoke"`) {
		t.Fatalf("unexpected line %q", buf.String())
	}
}

func TestRecorderInvariants(t *testing.T) {
	cases := []struct {
		name string
		ops  []Op
	}{
		{"completion without invoke", []Op{{Process: 1, Type: OK, F: "read"}}},
		{"two invokes in flight", []Op{{Process: 1, Type: Invoke, F: "read"}, {Process: 1, Type: Invoke, F: "read"}}},
		{"process reused after info", []Op{{Process: 1, Type: Invoke, F: "write"}, {Process: 1, Type: Info, F: "write"}, {Process: 1, Type: Invoke, F: "read"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRecorder(counter(), nil)
			defer func() {
				if recover() == nil {
					t.Fatal("no panic on a broken invariant")
				}
			}()
			for _, op := range tc.ops {
				r.Append(op)
			}
		})
	}
}

func TestRecorderTimeNeverGoesBack(t *testing.T) {
	times := []int64{50, 40, 60}
	i := 0
	r := NewRecorder(func() int64 { v := times[i]; i++; return v }, nil)
	for range times {
		r.Append(Op{Process: NemesisProcess, Type: Info, F: "kill"})
	}
	ops := r.Ops()
	if ops[1].Time != 50 || ops[2].Time != 60 {
		t.Fatalf("times %d %d %d", ops[0].Time, ops[1].Time, ops[2].Time)
	}
}

func TestProcessJSON(t *testing.T) {
	for _, p := range []Process{0, 7, NemesisProcess} {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q Process
		if err := json.Unmarshal(b, &q); err != nil || q != p {
			t.Errorf("%v -> %s -> %v (%v)", p, b, q, err)
		}
	}
	var q Process
	for _, bad := range []string{`-3`, `"client"`, `1.5`, `null`} {
		if err := json.Unmarshal([]byte(bad), &q); err == nil {
			t.Errorf("process %s accepted", bad)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
		truncated      bool
		n              int
	}{
		{"bad type", `{"index":0,"time":1,"process":0,"type":"maybe","f":"read"}` + "\n", "line 1", false, 0},
		{"unknown field", `{"index":0,"time":1,"process":0,"type":"ok","f":"read","colour":1}` + "\n", "line 1", false, 0},
		{"no f", `{"index":0,"time":1,"process":0,"type":"ok"}` + "\n", `no "f"`, false, 0},
		{"garbage mid-file", `{"index":0,"time":1,"process":0,"type":"invoke","f":"read"}` + "\nnot json\n", "line 2", false, 1},
		{"torn last line", `{"index":0,"time":1,"process":0,"type":"invoke","f":"read"}` + "\n" + `{"index":1,"ti`, "incomplete", true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ops, err := Decode(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if errors.Is(err, ErrTruncated) != tc.truncated {
				t.Errorf("truncated = %v, want %v", errors.Is(err, ErrTruncated), tc.truncated)
			}
			if len(ops) != tc.n {
				t.Errorf("kept %d ops, want %d", len(ops), tc.n)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"index":0,"time":1,"process":0,"type":"invoke","f":"cas","key":"k","value":[1,2]}` + "\n"))
	f.Add([]byte(`{"index":1,"time":2,"process":"nemesis","type":"info","f":"kill","value":["n1"]}`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, ops); err != nil {
			t.Fatalf("encode of decoded ops: %v", err)
		}
		again, err := Decode(&buf)
		if err != nil {
			t.Fatalf("decode of re-encoded ops: %v\n%s", err, buf.String())
		}
		if len(again) != len(ops) {
			t.Fatalf("round trip changed length %d -> %d", len(ops), len(again))
		}
		for i := range ops {
			a, _ := json.Marshal(ops[i])
			b, _ := json.Marshal(again[i])
			if !bytes.Equal(a, b) {
				t.Fatalf("op %d changed:\n%s\n%s", i, a, b)
			}
		}
	})
}
