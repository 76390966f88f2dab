package workloads

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/harness/history"
)

func TestRegisterGeneratorIsSeededAndRetiresKeys(t *testing.T) {
	w, err := Lookup("register")
	if err != nil {
		t.Fatal(err)
	}
	gen := func(seed uint64) []Op {
		g, err := w.NewGenerator(rand.New(rand.NewPCG(seed, 1)), Params{Options: map[string]string{"keys": "2", "ops-per-key": "10"}})
		if err != nil {
			t.Fatal(err)
		}
		var ops []Op
		for i := 0; i < 100; i++ {
			op, ok := g.Next(0)
			if !ok {
				t.Fatal("generator ran dry")
			}
			ops = append(ops, op)
		}
		return ops
	}
	a, b := gen(1), gen(1)
	perKey := map[string]int{}
	fs := map[string]int{}
	for i := range a {
		if a[i].F != b[i].F || a[i].Key != b[i].Key || string(a[i].Value) != string(b[i].Value) {
			t.Fatalf("same seed, different op %d: %+v vs %+v", i, a[i], b[i])
		}
		perKey[a[i].Key]++
		fs[a[i].F]++
	}
	for k, n := range perKey {
		if n > 10 {
			t.Errorf("key %s got %d ops, limit 10", k, n)
		}
	}
	if len(perKey) < 10 {
		t.Errorf("100 ops over keys of 10 ops each used only %d keys", len(perKey))
	}
	for _, f := range []string{"read", "write", "cas"} {
		if fs[f] == 0 {
			t.Errorf("no %s in the mix: %v", f, fs)
		}
	}
	var ft [2]int
	for _, op := range a {
		if op.F == "cas" {
			if err := json.Unmarshal(op.Value, &ft); err != nil {
				t.Fatalf("cas value %s: %v", op.Value, err)
			}
		}
	}
}

func TestRegisterOptionErrors(t *testing.T) {
	w, _ := Lookup("register")
	for _, opts := range []map[string]string{
		{"keys": "0"}, {"keys": "x"}, {"ops-per-key": "-1"}, {"values": "0"}, {"mix": "1:1"}, {"mix": "0:0:0"},
	} {
		if _, err := w.NewGenerator(rand.New(rand.NewPCG(1, 1)), Params{Options: opts}); err == nil {
			t.Errorf("options %v accepted", opts)
		}
	}
	if err := CheckOptionNames(w, map[string]string{"colour": "red"}); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown option: err = %v", err)
	}
}

func TestRegisterFinalOpsReadEveryKey(t *testing.T) {
	w, _ := Lookup("register")
	ops := []history.Op{
		{Process: 0, Type: history.Invoke, F: "write", Key: "k2"},
		{Process: history.NemesisProcess, Type: history.Info, F: "kill"},
		{Process: 1, Type: history.Invoke, F: "read", Key: "k0"},
		{Process: 0, Type: history.OK, F: "write", Key: "k2"},
	}
	final := w.FinalOps(ops)
	if len(final) != 2 || final[0].Key != "k0" || final[1].Key != "k2" || final[0].F != "read" {
		t.Fatalf("final ops %+v", final)
	}
}
