package edn

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/harness/history"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestReadFixtures(t *testing.T) {
	nem := history.NemesisProcess
	cases := map[string][]history.Op{
		"register.edn": {
			{Index: 0, Time: 10, Process: 0, Type: history.Invoke, F: "write", Value: raw(`1`)},
			{Index: 1, Time: 20, Process: 0, Type: history.OK, F: "write", Value: raw(`1`)},
			{Index: 2, Time: 30, Process: 1, Type: history.Invoke, F: "cas", Value: raw(`[1,2]`)},
			{Index: 3, Time: 35, Process: nem, Type: history.Info, F: "start", Value: raw(`null`)},
			{Index: 4, Time: 40, Process: 2, Type: history.Invoke, F: "read", Value: raw(`null`)},
			{Index: 5, Time: 50, Process: 1, Type: history.Fail, F: "cas", Value: raw(`[1,2]`), Error: `[:timeout "no leader"]`},
			{Index: 6, Time: 60, Process: 2, Type: history.Info, F: "read", Value: raw(`null`), Error: "timeout"},
		},
		"txn-stream.edn": {
			{Index: 7, Process: 3, Type: history.Invoke, F: "txn", Value: raw(`[["read","x",null],["write","y",2]]`)},
			{Index: 8, Process: 3, Type: history.OK, F: "txn", Value: raw(`[["read","x",0],["write","y",2]]`)},
			{Index: 2, Process: 4, Type: history.Invoke, F: "add", Key: "12", Value: raw(`"hello \"world\""`)},
			{Index: 3, Process: 4, Type: history.OK, F: "add", Key: "k1", Node: "n1", Value: raw(`{"a":1,"b":[true,false],"3":-1500}`)},
		},
		"mutex-list.edn": {
			{Index: 0, Process: 0, Type: history.Invoke, F: "acquire"},
			{Index: 1, Process: 0, Type: history.OK, F: "acquire"},
			{Index: 2, Process: 1, Type: history.Invoke, F: "acquire"},
		},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got\n%s\nwant\n%s", dump(got), dump(want))
			}
			roundTrip(t, got)
		})
	}
}

func dump(ops []history.Op) string {
	var b strings.Builder
	for _, op := range ops {
		j, _ := json.Marshal(op)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// roundTrip writes ops as EDN, reads them back and wants the same ops.
func roundTrip(t *testing.T, ops []history.Op) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, ops); err != nil {
		t.Fatalf("encode: %v", err)
	}
	again, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, buf.String())
	}
	if len(again) != len(ops) {
		t.Fatalf("round trip: %d ops became %d\n%s", len(ops), len(again), buf.String())
	}
	for i := range ops {
		if !reflect.DeepEqual(again[i], ops[i]) {
			t.Fatalf("round trip changed op %d:\n%s\n%s\nEDN:\n%s", i, dump(ops[i:i+1]), dump(again[i:i+1]), buf.String())
		}
	}
	return buf.Bytes()
}

func TestValues(t *testing.T) {
	for _, tc := range []struct{ edn, json string }{
		{"nil", "null"},
		{"true", "true"},
		{"0", "0"},
		{"-0", "0"},
		{"+7", "7"},
		{"42N", "42"},
		{"123456789012345678901234567890", "123456789012345678901234567890"},
		{"1.5", "1.5"},
		{"-0.0", "0"},
		{"2.5M", "2.5"},
		{"1e3", "1000"},
		{":x", `"x"`},
		{":ns/name", `"ns/name"`},
		{"sym", `"sym"`},
		{`"a\tb\u00e9\"\\"`, `"a\tbé\"\\"`},
		{`"\101"`, `"A"`},
		{`\a`, `"a"`},
		{`\newline`, `"\n"`},
		{`\u0041`, `"A"`},
		{"[1 2 [3]]", "[1,2,[3]]"},
		{"(1, 2)", "[1,2]"},
		{"#{1}", "[1]"},
		{"{:x 0 :y nil}", `{"x":0,"y":null}`},
		{`{"s" 1, 2 3, [1 2] 4, nil 5}`, `{"s":1,"2":3,"[1 2]":4,"nil":5}`},
		{`#inst "2024-01-01T00:00:00Z"`, `"2024-01-01T00:00:00Z"`},
		{`#uuid "0b4e8a2c-0000-0000-0000-000000000000"`, `"0b4e8a2c-0000-0000-0000-000000000000"`},
		{`#"a.b"`, `"a.b"`},
		{"[1 #_ 2 3]", "[1,3]"},
		{"; comment\n 5 ; trailing", "5"},
		{"[[:read :x nil] [:write :y 2]]", `[["read","x",null],["write","y",2]]`},
	} {
		got, err := ToJSON([]byte(tc.edn))
		if err != nil {
			t.Errorf("ToJSON(%q): %v", tc.edn, err)
			continue
		}
		if string(got) != tc.json {
			t.Errorf("ToJSON(%q) = %s, want %s", tc.edn, got, tc.json)
		}
		if !json.Valid(got) {
			t.Errorf("ToJSON(%q) = %s is not valid JSON", tc.edn, got)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		line, col int
		want      string
	}{
		{"no type", "[{:process 0 :f :read}]", 1, 2, "no :type"},
		{"no process", "[{:type :ok :f :read}\n]", 1, 2, "no :process"},
		{"no f", "{:process 0 :type :ok}", 1, 1, "no :f"},
		{"bad type", "[{:process 0\n  :type :done :f :read}]", 2, 9, ":type must be"},
		{"bad process", "[{:process -1 :type :ok :f :read}]", 1, 12, ":process must be"},
		{"string process", `[{:process "p" :type :ok :f :read}]`, 1, 12, ":process must be"},
		{"duplicate key", "{:process 0 :process 1 :type :ok :f :read}", 1, 13, "duplicate key"},
		{"odd map", "{:process 0 :type}", 1, 13, "has no value"},
		{"unclosed vector", "[{:process 0 :type :ok :f :read}\n", 1, 1, "never closed"},
		{"unclosed map", "[{:process 0\n :type :ok", 1, 2, "never closed"},
		{"unclosed string", "[{:process 0 :type :ok :f :read :value \"abc}]", 1, 40, "never closed"},
		{"not a map", "[{:process 0 :type :ok :f :read} 12]", 1, 34, "want a map"},
		{"garbage after", "[] x", 1, 4, "after the history"},
		{"top level number", "12", 1, 1, "want a vector"},
		{"stray closer", "[{:process 0 :type :ok :f :read :value )}]", 1, 40, "unexpected"},
		{"bad number", "{:process 0 :type :ok :f :read :value 1/2}", 1, 39, "ratios"},
		{"octal", "{:process 0 :type :ok :f :read :value 010}", 1, 39, "leading zero"},
		{"NaN", "{:process 0 :type :ok :f :read :value ##NaN}", 1, 39, "JSON"},
		{"huge float", "{:process 0 :type :ok :f :read :value 1e999}", 1, 39, "out of range"},
		{"bad escape", `{:process 0 :type :ok :f :read :value "\q"}`, 1, 40, "unknown escape"},
		{"quote", "{:process 0 :type :ok :f :read :value 'x}", 1, 39, "not EDN"},
		{"time not int", "{:process 0 :type :ok :f :read :time 1.5}", 1, 38, "integer"},
		{"dup value key", "{:process 0 :type :ok :f :read :value {:a 1 :a 2}}", 1, 45, "duplicate map key"},
		{"deep", "{:value " + strings.Repeat("[", maxDepth+5), 1, maxDepth + 8, "deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if e.Line != tc.line || e.Col != tc.col || !strings.Contains(e.Msg, tc.want) {
				t.Errorf("err = %v, want line %d column %d mentioning %q", err, tc.line, tc.col, tc.want)
			}
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("message does not name the line: %v", err)
			}
		})
	}
	if _, err := ToJSON([]byte("1 2")); err == nil {
		t.Error("ToJSON accepted two values")
	}
	if _, err := ToJSON([]byte("  ")); err == nil {
		t.Error("ToJSON accepted nothing")
	}
}

func TestEmpty(t *testing.T) {
	for _, in := range []string{"", " ; nothing\n", "[]", "()", "[\n]\n"} {
		ops, err := Parse([]byte(in))
		if err != nil || len(ops) != 0 {
			t.Errorf("Parse(%q) = %v, %v", in, ops, err)
		}
	}
}

// TestEncode checks the shape of what Encode writes: keywords where Jepsen
// wants keywords, strings elsewhere.
func TestEncode(t *testing.T) {
	ops := []history.Op{
		{Index: 0, Time: 5, Process: 3, Type: history.Invoke, F: "txn", Key: "k 1",
			Value: raw(`[["read","x",null],["write","y",2]]`), Node: "n1"},
		{Index: 1, Time: 6, Process: history.NemesisProcess, Type: history.Info, F: "start-partition",
			Value: raw(`{"n3":["n1","n2"],"not a keyword":"two words"}`), Error: "it \"failed\"\n"},
		{Index: 2, Time: 7, Process: 0, Type: history.OK, F: "odd f", Value: raw(` [ 1 , 2.50, -3e2, true ] `)},
	}
	b := roundTripLoose(t, ops)
	want := `[{:index 0, :time 5, :process 3, :type :invoke, :f :txn, :key "k 1", :value [[:read :x nil] [:write :y 2]], :node "n1"}
 {:index 1, :time 6, :process :nemesis, :type :info, :f :start-partition, :value {:n3 [:n1 :n2] "not a keyword" "two words"}, :error "it \"failed\"\n"}
 {:index 2, :time 7, :process 0, :type :ok, :f "odd f", :value [1 2.50 -3e2 true]}]
`
	if string(b) != want {
		t.Errorf("Encode wrote\n%s\nwant\n%s", b, want)
	}
	if err := Encode(&bytes.Buffer{}, []history.Op{{Process: -5, F: "x"}}); err == nil {
		t.Error("Encode accepted process -5")
	}
	if err := Encode(&bytes.Buffer{}, []history.Op{{F: "x", Value: raw(`{"a" 1}`)}}); err == nil {
		t.Error("Encode accepted a bad JSON value")
	}
}

// roundTripLoose is roundTrip for ops whose values are not in the
// canonical form Parse produces: values compare as JSON.
func roundTripLoose(t *testing.T, ops []history.Op) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, ops); err != nil {
		t.Fatalf("encode: %v", err)
	}
	again, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, buf.String())
	}
	for i := range ops {
		a, b := ops[i], again[i]
		var va, vb any
		_ = json.Unmarshal(a.Value, &va)
		_ = json.Unmarshal(b.Value, &vb)
		a.Value, b.Value = nil, nil
		if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(va, vb) {
			t.Errorf("op %d changed:\n%+v %v\n%+v %v", i, a, va, b, vb)
		}
	}
	return buf.Bytes()
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.edn"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{:process 0 :type :ok :f :read :value #{"a\u0000" \x 1.5M -0 99999999999999999999}}`))
	f.Add([]byte("[{:process :nemesis :type :info :f \"\xff\" :key [1 2] :error 3.0 :value {nil nil}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := Parse(data)
		if err != nil {
			if !IsError(err) {
				t.Fatalf("error of the wrong type: %v", err)
			}
			return
		}
		for i := range ops {
			if len(ops[i].Value) > 0 && !json.Valid(ops[i].Value) {
				t.Fatalf("op %d: value %q is not JSON", i, ops[i].Value)
			}
		}
		roundTrip(t, ops)
	})
}
