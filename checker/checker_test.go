package checker

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/faultline-io/faultline/harness/history"
)

func TestVerdictJSON(t *testing.T) {
	for _, tc := range []struct {
		v    Verdict
		json string
	}{{Valid, "true"}, {Invalid, "false"}, {Unknown, `"unknown"`}} {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.v, b, err, tc.json)
		}
		var got Verdict = 42
		if err := json.Unmarshal([]byte(tc.json), &got); err != nil || got != tc.v {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", tc.json, got, err, tc.v)
		}
		if tc.v.String() == "" {
			t.Errorf("empty String for %d", tc.v)
		}
	}
	for _, bad := range []string{`"true"`, `"valid"`, `1`, `null`, `"Unknown"`, `{}`} {
		var v Verdict
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) accepted, got %v", bad, v)
		}
	}
	if _, err := json.Marshal(Verdict(9)); err == nil {
		t.Error("Marshal(Verdict(9)) succeeded")
	}
	var zero Verdict
	if zero != Unknown {
		t.Error("the zero Verdict must be Unknown")
	}
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		in   []Verdict
		want Verdict
	}{
		{nil, Valid},
		{[]Verdict{Valid}, Valid},
		{[]Verdict{Valid, Unknown}, Unknown},
		{[]Verdict{Unknown, Valid, Invalid}, Invalid},
		{[]Verdict{Invalid, Unknown}, Invalid},
		{[]Verdict{Valid, Valid}, Valid},
		{[]Verdict{Valid, Verdict(7)}, Unknown},
	} {
		if got := Merge(tc.in...); got != tc.want {
			t.Errorf("Merge(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// h builds a history; times are the indices times 10.
func h(ops ...history.Op) []history.Op {
	for i := range ops {
		ops[i].Index = int64(i)
		ops[i].Time = int64(i) * 10
	}
	return ops
}

func inv(p int, f string) history.Op {
	return history.Op{Process: history.Process(p), Type: history.Invoke, F: f}
}
func done(p int, t history.Type, f string) history.Op {
	return history.Op{Process: history.Process(p), Type: t, F: f}
}
func nem(t history.Type, f string) history.Op {
	return history.Op{Process: history.NemesisProcess, Type: t, F: f}
}

func TestComputeStats(t *testing.T) {
	ops := h(
		inv(0, "read"), inv(1, "write"),
		nem(history.Invoke, "start-partition"), nem(history.Info, "start-partition"),
		done(0, history.OK, "read"), done(1, history.Info, "write"),
		inv(0, "cas"), inv(2, "write"), done(0, history.Fail, "cas"),
		nem(history.Info, "kill"),
		inv(0, "read"),
	)
	s := ComputeStats(ops)
	want := Stats{
		Ops:    len(ops),
		Client: Counts{Invoke: 5, OK: 1, Fail: 1, Info: 1, Pending: 2},
		ByF: map[string]Counts{
			"read":  {Invoke: 2, OK: 1, Pending: 1},
			"write": {Invoke: 2, Info: 1, Pending: 1},
			"cas":   {Invoke: 1, Fail: 1},
		},
		Nemesis:    map[string]int{"start-partition": 1, "kill": 1},
		NemesisOps: 3,
		FirstTime:  0,
		LastTime:   100,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("ComputeStats:\n got %+v\nwant %+v", s, want)
	}
	if z := ComputeStats(nil); z.Ops != 0 || len(z.ByF) != 0 {
		t.Errorf("ComputeStats(nil) = %+v", z)
	}
}

func TestStatsChecker(t *testing.T) {
	c := StatsChecker()
	if c.Name() != "stats" {
		t.Errorf("Name = %q", c.Name())
	}
	ctx := context.Background()
	if r := c.Check(ctx, h(inv(0, "read"), done(0, history.Fail, "read"))); r.Verdict != Unknown {
		t.Errorf("no ok ops: %v %s", r.Verdict, r.Message)
	}
	if r := c.Check(ctx, nil); r.Verdict != Unknown {
		t.Errorf("empty: %v %s", r.Verdict, r.Message)
	}
	r := c.Check(ctx, h(inv(0, "read"), done(0, history.OK, "read")))
	if r.Verdict != Valid {
		t.Errorf("ok op: %v %s", r.Verdict, r.Message)
	}
	if _, ok := r.Details.(Stats); !ok {
		t.Errorf("Details is %T", r.Details)
	}
}

type fixed struct {
	name string
	v    Verdict
	p    bool
}

func (f fixed) Name() string { return f.name }
func (f fixed) Check(context.Context, []history.Op) Result {
	if f.p {
		panic("boom")
	}
	return Result{Verdict: f.v, Message: "m", Details: map[string]int{"n": 1}}
}

func TestRunAndFiles(t *testing.T) {
	ops := h(inv(0, "read"), done(0, history.OK, "read"))
	ctx := context.Background()
	rs := Run(ctx, ops, fixed{"a", Valid, false}, fixed{"b", Unknown, false})
	if rs.Valid != Unknown || len(rs.Checkers) != 2 || rs.Checkers[0].Checker != "a" || rs.Stats.Ops != 2 {
		t.Fatalf("Run = %+v", rs)
	}
	rs = Run(ctx, ops, fixed{"a", Valid, false}, fixed{"p", Valid, true}, fixed{"c", Invalid, false})
	if rs.Valid != Invalid || rs.Checkers[1].Verdict != Unknown || rs.Checkers[2].Checker != "c" {
		t.Fatalf("Run with panic = %+v", rs)
	}
	if r, ok := rs.Result("p"); !ok || r.Message == "" {
		t.Errorf("Result(p) = %+v, %v", r, ok)
	}
	if rs := Run(ctx, ops); rs.Valid != Valid {
		t.Errorf("Run with no checkers = %v", rs.Valid)
	}

	path := filepath.Join(t.TempDir(), "results.json")
	if err := WriteResults(path, rs); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Valid != Invalid || len(got.Checkers) != 3 || !reflect.DeepEqual(got.Stats, rs.Stats) {
		t.Errorf("ReadResults = %+v", got)
	}
	if d, ok := got.Checkers[0].Details.(map[string]any); !ok || d["n"] != 1.0 {
		t.Errorf("Details = %#v", got.Checkers[0].Details)
	}
	if _, err := ReadResults(filepath.Join(t.TempDir(), "nope.json")); err == nil {
		t.Error("ReadResults of a missing file succeeded")
	}
}

func TestNemesisWindows(t *testing.T) {
	ops := h(
		nem(history.Invoke, "start-partition"), // 0
		nem(history.Info, "start-partition"),   // 10
		inv(0, "read"),                         // 20
		nem(history.Invoke, "stop-partition"),  // 30
		nem(history.Info, "stop-partition"),    // 40
		nem(history.Info, "kill"),              // 50
		nem(history.Info, "pause"),             // 60
		nem(history.Info, "restart"),           // 70
		nem(history.Info, "start-clock"),       // 80
		nem(history.Info, "heal"),              // 90
		nem(history.Invoke, "kill"),            // 100
		done(0, history.OK, "read"),            // 110
	)
	acts := NemesisActions(ops)
	if len(acts) != 8 || acts[0].Start != 0 || acts[0].End != 10 || acts[0].Type != history.Info || acts[7].Type != history.Invoke {
		t.Fatalf("actions = %+v", acts)
	}
	ws := NemesisWindows(ops)
	got := map[string][]int64{}
	for _, w := range ws {
		got[w.Kind] = append(got[w.Kind], w.Start, w.End)
		if w.Open != (w.Kind == "kill" && w.Start == 100) {
			t.Errorf("window %+v: wrong Open", w)
		}
	}
	want := map[string][]int64{
		"partition": {0, 40},
		"kill":      {50, 70, 100, 110},
		"pause":     {60, 90},
		"clock":     {80, 90},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("windows = %v, want %v", got, want)
	}
}

// The nemesis schedule records each action as two info ops, as Jepsen does.
func TestNemesisInfoPairs(t *testing.T) {
	withValue := func(op history.Op, v string) history.Op { op.Value = json.RawMessage(v); return op }
	ops := h(
		nem(history.Info, "start-partition"), // 0
		inv(0, "read"),                       // 10
		withValue(nem(history.Info, "start-partition"), `["n1"]`), // 20
		nem(history.Info, "stop-partition"),                       // 30
		nem(history.Info, "stop-partition"),                       // 40
		nem(history.Info, "kill"),                                 // 50
		withValue(nem(history.Info, "kill"), `"n2"`),              // 60
		done(0, history.OK, "read"),                               // 70
		nem(history.Info, "restart"),                              // 80
		nem(history.Info, "restart"),                              // 90
		nem(history.Info, "restart"),                              // 100: final heal, nothing to restart
	)
	acts := NemesisActions(ops)
	if len(acts) != 5 || acts[0].Start != 0 || acts[0].End != 20 || string(acts[0].Value) != `["n1"]` ||
		acts[2].F != "kill" || string(acts[2].Value) != `"n2"` || acts[4].Start != 100 {
		t.Fatalf("actions %+v", acts)
	}
	ws := NemesisWindows(ops)
	if len(ws) != 2 || !reflect.DeepEqual(ws[0], NemesisWindow{Kind: "partition", Start: 0, End: 40, StartF: "start-partition", StopF: "stop-partition", StartValue: acts[0].Value}) ||
		!reflect.DeepEqual(ws[1], NemesisWindow{Kind: "kill", Start: 50, End: 90, StartF: "kill", StopF: "restart", StartValue: acts[2].Value}) {
		t.Errorf("windows %+v", ws)
	}
	s := ComputeStats(ops)
	if want := map[string]int{"start-partition": 1, "stop-partition": 1, "kill": 1, "restart": 2}; !reflect.DeepEqual(s.Nemesis, want) || s.NemesisOps != 9 {
		t.Errorf("stats nemesis %v (%d ops)", s.Nemesis, s.NemesisOps)
	}
}

// Classes overlap: a partition that takes seconds to apply has a clock
// fault's ops between its two info ops. The opening op (no value) still
// pairs with its own completion, and clock faults make windows of their
// own, closed by reset-clock.
func TestNemesisPairsAcrossOtherClasses(t *testing.T) {
	val := func(op history.Op, v string) history.Op { op.Value = json.RawMessage(v); return op }
	ops := h(
		nem(history.Info, "start-partition"),                    // 0
		nem(history.Info, "clock"),                              // 10
		val(nem(history.Info, "clock"), `{"op":"rate"}`),        // 20
		val(nem(history.Info, "start-partition"), `{"g":1}`),    // 30
		nem(history.Info, "reset-clock"),                        // 40
		val(nem(history.Info, "reset-clock"), `{"op":"reset"}`), // 50
		nem(history.Info, "stop-partition"),                     // 60
		val(nem(history.Info, "stop-partition"), `"healed"`),    // 70
	)
	acts := NemesisActions(ops)
	if len(acts) != 4 || acts[0].F != "start-partition" || acts[0].Start != 0 || acts[0].End != 30 || string(acts[0].Value) != `{"g":1}` ||
		acts[1].F != "clock" || acts[1].End != 20 {
		t.Fatalf("actions %+v", acts)
	}
	ws := NemesisWindows(ops)
	if len(ws) != 2 || ws[0].Kind != "partition" || ws[0].End != 70 || string(ws[0].StartValue) != `{"g":1}` ||
		ws[1].Kind != "clock" || ws[1].Start != 10 || ws[1].End != 50 {
		t.Errorf("windows %+v", ws)
	}
}
