package hist

import (
	"encoding/json"
	"testing"

	"github.com/faultline-io/faultline/harness/history"
)

func TestPairs(t *testing.T) {
	ops := []history.Op{
		{Index: 0, Process: 0, Type: history.Invoke, F: "add", Value: json.RawMessage("1")},
		{Index: 1, Process: 1, Type: history.Invoke, F: "add", Value: json.RawMessage("2")},
		{Index: 2, Process: history.NemesisProcess, Type: history.Info, F: "kill"},
		{Index: 3, Process: 1, Type: history.OK, F: "add"},
		{Index: 4, Process: 7, Type: history.OK, F: "add"}, // no invocation
	}
	ps := Pairs(ops)
	if len(ps) != 2 {
		t.Fatalf("%d pairs", len(ps))
	}
	if ps[0].Comp != nil || ps[0].CompPos != len(ops) || ps[0].Type() != history.Info {
		t.Errorf("dangling invoke: %+v", ps[0])
	}
	if ps[1].Comp.Index != 3 || ps[1].InvPos != 1 || ps[1].Type() != history.OK {
		t.Errorf("completed: %+v", ps[1])
	}
}

func TestIntSet(t *testing.T) {
	for in, want := range map[string]string{
		"[]":               "#{}",
		"[3]":              "#{3}",
		"[5,1,2,3,9,10,3]": "#{1..3 5 9..10}",
	} {
		var xs []int64
		_ = json.Unmarshal([]byte(in), &xs)
		if got := IntSet(xs); got != want {
			t.Errorf("IntSet(%s) = %s, want %s", in, got, want)
		}
	}
}
