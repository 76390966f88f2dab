package linearizable

import (
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/internal/histgen"
)

// Builders for hand-made histories: hist numbers the ops and spaces them
// 10 ns apart, so the order of the arguments is the real-time order.

func op(p int, t history.Type, f, key string, v any) history.Op {
	return history.Op{Process: history.Process(p), Type: t, F: f, Key: key, Value: history.MustValue(v)}
}

func inv(p int, f, key string, v any) history.Op { return op(p, history.Invoke, f, key, v) }
func ok(p int, f, key string, v any) history.Op  { return op(p, history.OK, f, key, v) }
func fail(p int, f, key string, v any) history.Op {
	return op(p, history.Fail, f, key, v)
}
func info(p int, f, key string, v any) history.Op { return op(p, history.Info, f, key, v) }

func nem(t history.Type, f string, v any) history.Op {
	return history.Op{Process: history.NemesisProcess, Type: t, F: f, Value: history.MustValue(v)}
}

// Whole sequential operations.
func w(p int, key string, v int) []history.Op {
	return []history.Op{inv(p, "write", key, v), ok(p, "write", key, v)}
}

func r(p int, key string, v any) []history.Op {
	return []history.Op{inv(p, "read", key, nil), ok(p, "read", key, v)}
}

func cas(p int, key string, from, to int, t history.Type) []history.Op {
	return []history.Op{inv(p, "cas", key, []int{from, to}), op(p, t, "cas", key, []int{from, to})}
}

func hist(parts ...any) []history.Op {
	var ops []history.Op
	for _, p := range parts {
		switch v := p.(type) {
		case history.Op:
			ops = append(ops, v)
		case []history.Op:
			ops = append(ops, v...)
		default:
			panic("hist: want Op or []Op")
		}
	}
	for i := range ops {
		ops[i].Index = int64(i)
		ops[i].Time = int64(i) * 10
	}
	return ops
}

// genHistory is histgen.Register.
func genHistory(seed uint64, nOps, nKeys, conc int, infoRate float64) []history.Op {
	return histgen.Register(seed, nOps, nKeys, conc, infoRate)
}
