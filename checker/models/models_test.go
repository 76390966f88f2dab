package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/history/edn"
)

// h builds a history from lines "PROCESS TYPE F [VALUE] [:key K]", e.g.
// "0 invoke write 1" or "n info start" (n is the nemesis), through the
// EDN reader, so the tests read like the Knossos histories they mimic.
func h(t *testing.T, lines ...string) []history.Op {
	t.Helper()
	var b strings.Builder
	b.WriteString("[")
	for _, l := range lines {
		f := strings.SplitN(l, " ", 4)
		if len(f) < 3 {
			t.Fatalf("bad line %q", l)
		}
		p := f[0]
		if p == "n" {
			p = ":nemesis"
		}
		fmt.Fprintf(&b, "{:process %s :type :%s :f :%s", p, f[1], f[2])
		if len(f) == 4 {
			v, key, hasKey := strings.Cut(f[3], ":key ")
			if strings.TrimSpace(v) != "" {
				fmt.Fprintf(&b, " :value %s", v)
			}
			if hasKey {
				fmt.Fprintf(&b, " :key %s", key)
			}
		}
		b.WriteString("}\n")
	}
	b.WriteString("]")
	ops, err := edn.Parse([]byte(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	return ops
}

func checkModel(t *testing.T, model, init string, ops []history.Op) (checker.Result, *linearizable.Details) {
	t.Helper()
	j, err := edn.ToJSON([]byte(init))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(model, j)
	if err != nil {
		t.Fatal(err)
	}
	r := Checker(m, 0).Check(context.Background(), ops)
	return r, r.Details.(*linearizable.Details)
}

var (
	V = checker.Valid
	X = checker.Invalid
	U = checker.Unknown
)

func TestModels(t *testing.T) {
	for _, tc := range []struct {
		name, model, init string
		want              checker.Verdict
		ops               []string
	}{
		// cas-register, as Knossos's tests use it (init 0).
		{"read the initial value", "cas-register", "0", V, []string{"0 invoke read nil", "0 ok read 0"}},
		{"read a value never written", "cas-register", "0", X, []string{"0 invoke read nil", "0 ok read 3"}},
		{"nil read tells nothing when init is not nil", "cas-register", "0", V, []string{
			"0 invoke write 1", "0 ok write 1", "1 invoke read nil", "1 ok read nil", "1 invoke read nil", "1 ok read 1"}},
		{"nil read after a write when init is nil", "cas-register", "nil", X, []string{
			"0 invoke write 1", "0 ok write 1", "1 invoke read nil", "1 ok read nil"}},
		{"nil read at the start when init is nil", "cas-register", "nil", V, []string{"1 invoke read nil", "1 ok read nil"}},
		{"stale read", "cas-register", "0", X, []string{
			"0 invoke write 1", "0 ok write 1", "1 invoke write 2", "1 ok write 2", "2 invoke read nil", "2 ok read 1"}},
		{"concurrent write may be read", "cas-register", "0", V, []string{
			"0 invoke write 1", "1 invoke read nil", "1 ok read 1", "0 ok write 1"}},
		{"cas swaps", "cas-register", "0", V, []string{"0 invoke cas [0 4]", "0 ok cas [0 4]", "1 invoke read nil", "1 ok read 4"}},
		{"cas from a wrong value", "cas-register", "0", X, []string{"0 invoke cas [2 4]", "0 ok cas [2 4]"}},
		{"failed cas did not happen", "cas-register", "0", X, []string{
			"0 invoke cas [0 4]", "0 fail cas [0 4]", "1 invoke read nil", "1 ok read 4"}},
		{"info cas took effect later", "cas-register", "0", V, []string{
			"0 invoke cas [0 4]", "0 info cas [0 4]", "1 invoke read nil", "1 ok read 0", "1 invoke read nil", "1 ok read 4"}},
		{"info cas never took effect", "cas-register", "0", V, []string{
			"0 invoke cas [0 4]", "0 info cas [0 4]", "1 invoke read nil", "1 ok read 0"}},
		{"info cas cannot take effect twice", "cas-register", "0", X, []string{
			"0 invoke cas [0 4]", "0 info cas [0 4]", "1 invoke read nil", "1 ok read 4", "1 invoke read nil", "1 ok read 0"}},
		{"pending write read after", "cas-register", "0", V, []string{"0 invoke write 7", "1 invoke read nil", "1 ok read 7"}},
		{"pending write read before its invocation", "cas-register", "0", X, []string{
			"1 invoke read nil", "1 ok read 7", "0 invoke write 7"}},
		{"nemesis ops are ignored", "cas-register", "0", V, []string{
			"n info start", "0 invoke write 1", "n info stop \"healed\"", "0 ok write 1"}},
		{"keys are independent", "cas-register", "nil", X, []string{
			"0 invoke write 1 :key :a", "0 ok write 1 :key :a", "1 invoke read nil :key :b", "1 ok read nil :key :b",
			"1 invoke read nil :key :a", "1 ok read 2 :key :a"}},
		{"unknown f is undecided", "cas-register", "0", U, []string{"0 invoke frob 1", "0 ok frob 1"}},

		{"register reads and writes", "register", "nil", V, []string{"0 invoke write 1", "0 ok write 1", "0 invoke read nil", "0 ok read 1"}},
		{"register has no cas", "register", "nil", U, []string{"0 invoke cas [0 1]", "0 ok cas [0 1]"}},
		{"register stale read", "register", "5", X, []string{"0 invoke write 1", "0 ok write 1", "0 invoke read nil", "0 ok read 5"}},

		// multi-register, init {x 0, y 0} as in Knossos's data.
		{"txn reads its own write", "multi-register", "{:x 0 :y 0}", V, []string{
			"0 invoke txn [[:write :x 5] [:read :x nil] [:read :y nil]]", "0 ok txn [[:write :x 5] [:read :x 5] [:read :y 0]]"}},
		{"txn read misses its own write", "multi-register", "{:x 0 :y 0}", X, []string{
			"0 invoke txn [[:write :x 5] [:read :x nil]]", "0 ok txn [[:write :x 5] [:read :x 0]]"}},
		{"txn is atomic", "multi-register", "{:x 0 :y 0}", X, []string{
			"0 invoke txn [[:write :x 1] [:write :y 1]]", "0 ok txn [[:write :x 1] [:write :y 1]]",
			"1 invoke txn [[:read :x nil] [:read :y nil]]", "1 ok txn [[:read :x 1] [:read :y 0]]"}},
		{"concurrent txn seen whole or not at all", "multi-register", "{:x 0 :y 0}", V, []string{
			"0 invoke txn [[:write :x 1] [:write :y 1]]",
			"1 invoke txn [[:read :x nil] [:read :y nil]]", "1 ok txn [[:read :x 0] [:read :y 0]]",
			"2 invoke txn [[:read :x nil] [:read :y nil]]", "2 ok txn [[:read :x 1] [:read :y 1]]",
			"0 ok txn [[:write :x 1] [:write :y 1]]"}},
		{"info txn may take effect", "multi-register", "{:x 0 :y 0}", V, []string{
			"0 invoke txn [[:read :x nil] [:write :y 3]]", "0 info txn [[:read :x nil] [:write :y 3]]",
			"1 invoke txn [[:read :y nil]]", "1 ok txn [[:read :y 3]]"}},
		{"failed txn did not", "multi-register", "{:x 0 :y 0}", X, []string{
			"0 invoke txn [[:write :y 3]]", "0 fail txn [[:write :y 3]]",
			"1 invoke txn [[:read :y nil]]", "1 ok txn [[:read :y 3]]"}},
		{"key not in init starts nil", "multi-register", "{:x 0}", X, []string{
			"0 invoke txn [[:write :x 2]]", "0 ok txn [[:write :x 2]]",
			"1 invoke txn [[:read :z nil]]", "1 ok txn [[:read :z 0]]"}},
		{"multi-register wants txn", "multi-register", "nil", U, []string{"0 invoke read nil", "0 ok read 1"}},

		// mutex, unlocked at first.
		{"acquire then release", "mutex", "nil", V, []string{
			"0 invoke acquire", "0 ok acquire", "0 invoke release", "0 ok release", "1 invoke acquire", "1 ok acquire"}},
		{"double acquire", "mutex", "nil", X, []string{"0 invoke acquire", "0 ok acquire", "1 invoke acquire", "1 ok acquire"}},
		{"release when free", "mutex", "nil", X, []string{"0 invoke release", "0 ok release"}},
		{"failed acquire did not happen", "mutex", "nil", V, []string{
			"0 invoke acquire", "0 ok acquire", "1 invoke acquire", "1 fail acquire"}},
		{"info acquire that never took effect", "mutex", "nil", V, []string{
			"0 invoke acquire", "0 info acquire", "1 invoke acquire", "1 ok acquire"}},
		{"info acquire that did", "mutex", "nil", V, []string{
			"0 invoke acquire", "0 info acquire", "1 invoke release", "1 ok release"}},
		{"two info acquires cannot both explain two releases", "mutex", "nil", X, []string{
			"0 invoke acquire", "0 info acquire", "1 invoke release", "1 ok release", "2 invoke release", "2 ok release"}},
		{"concurrent acquires, one waits", "mutex", "nil", V, []string{
			"0 invoke acquire", "1 invoke acquire", "0 ok acquire", "0 invoke release", "0 ok release", "1 ok acquire"}},
		{"locked at first", "mutex", "true", X, []string{"0 invoke acquire", "0 ok acquire"}},

		// set, empty at first.
		{"adds then read", "set", "nil", V, []string{
			"0 invoke add 1", "0 ok add 1", "1 invoke add 2", "1 ok add 2", "2 invoke read nil", "2 ok read #{2 1}"}},
		{"lost add", "set", "nil", X, []string{
			"0 invoke add 1", "0 ok add 1", "1 invoke add 2", "1 ok add 2", "2 invoke read nil", "2 ok read #{1}"}},
		{"read of an element never added", "set", "nil", X, []string{"0 invoke read nil", "0 ok read [7]"}},
		{"nil read is the empty set", "set", "nil", V, []string{"0 invoke read nil", "0 ok read nil"}},
		{"concurrent add may be missed", "set", "[1]", V, []string{
			"0 invoke add 2", "1 invoke read nil", "1 ok read [1]", "0 ok add 2"}},
		{"info add seen later", "set", "nil", V, []string{"0 invoke add :a", "0 info add :a", "1 invoke read nil", "1 ok read [:a]"}},
		{"add cannot be undone", "set", "nil", X, []string{
			"0 invoke add 1", "1 invoke read nil", "1 ok read [1]", "0 ok add 1", "1 invoke read nil", "1 ok read []"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, d := checkModel(t, tc.model, tc.init, h(t, tc.ops...))
			if res.Verdict != tc.want {
				t.Fatalf("%s init %s: verdict %v, want %v: %s (details %+v)", tc.model, tc.init, res.Verdict, tc.want, res.Message, d)
			}
			switch tc.want {
			case X:
				if len(d.Anomalies) != 1 || d.Anomalies[0].Op == nil || d.Anomalies[0].Explanation == "" {
					t.Errorf("anomalies %+v", d.Anomalies)
				}
			case U:
				if len(d.Malformed) == 0 || !strings.Contains(d.Malformed[0], "not an operation of the "+tc.model) {
					t.Errorf("malformed %v", d.Malformed)
				}
			}
			if d.Model != tc.model {
				t.Errorf("details name model %q", d.Model)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct{ model, init, want string }{
		{"zookeeper", "nil", `unknown model "zookeeper"`},
		{"cas-register", "{:x 0}", "not an integer"},
		{"register", "1.5", "not an integer"},
		{"multi-register", "5", "not a map"},
		{"multi-register", "{:x :y}", "initial value of x"},
		{"mutex", "3", "not nil, false, true"},
		{"set", "5", "not a vector or set"},
	} {
		j, err := edn.ToJSON([]byte(tc.init))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New(tc.model, j); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%s, %s): %v, want %q", tc.model, tc.init, err, tc.want)
		}
	}
	if !slices.Equal(Names(), []string{"cas-register", "multi-register", "mutex", "register", "set"}) {
		t.Errorf("Names() = %v", Names())
	}
	for _, name := range Names() {
		m, err := New(name, nil)
		if err != nil || m.Name != name || m.Init == "" {
			t.Errorf("New(%s, nil) = %+v, %v", name, m, err)
		}
	}
}

// sequential builds a history of sequential operations (each completes
// before the next is invoked) from a random walk of the model, and the
// positions of its ok reads.
func sequential(rng *rand.Rand, model string, n int) (lines []string, reads []int) {
	locked := false
	set := map[int]bool{}
	regs := map[string]int{"x": 0, "y": 0}
	for range n {
		p := rng.IntN(5)
		switch model {
		case "mutex":
			f := "acquire"
			if locked {
				f = "release"
			}
			locked = !locked
			if rng.IntN(4) == 0 { // a failed attempt changes nothing
				locked = !locked
				lines = append(lines, fmt.Sprintf("%d invoke %s", p, f), fmt.Sprintf("%d fail %s", p, f))
				continue
			}
			lines = append(lines, fmt.Sprintf("%d invoke %s", p, f), fmt.Sprintf("%d ok %s", p, f))
		case "set":
			if rng.IntN(3) == 0 {
				var es []string
				for e := range set {
					es = append(es, fmt.Sprint(e))
				}
				reads = append(reads, len(lines)+1)
				lines = append(lines, fmt.Sprintf("%d invoke read nil", p), fmt.Sprintf("%d ok read #{%s}", p, strings.Join(es, " ")))
				continue
			}
			e := rng.IntN(10)
			set[e] = true
			lines = append(lines, fmt.Sprintf("%d invoke add %d", p, e), fmt.Sprintf("%d ok add %d", p, e))
		case "multi-register":
			var inv, done []string
			for range 1 + rng.IntN(3) {
				k := []string{"x", "y"}[rng.IntN(2)]
				if rng.IntN(2) == 0 {
					inv = append(inv, fmt.Sprintf("[:read :%s nil]", k))
					done = append(done, fmt.Sprintf("[:read :%s %d]", k, regs[k]))
				} else {
					v := rng.IntN(4)
					regs[k] = v
					w := fmt.Sprintf("[:write :%s %d]", k, v)
					inv, done = append(inv, w), append(done, w)
				}
			}
			if strings.Contains(strings.Join(done, ""), ":read") {
				reads = append(reads, len(lines)+1)
			}
			lines = append(lines, fmt.Sprintf("%d invoke txn [%s]", p, strings.Join(inv, " ")),
				fmt.Sprintf("%d ok txn [%s]", p, strings.Join(done, " ")))
		}
	}
	return lines, reads
}

// TestPropertySequential: random sequential histories of a real mutex, set
// and multi-register are valid; changing what one read or acquire saw makes
// them invalid.
func TestPropertySequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	init := map[string]string{"mutex": "nil", "set": "nil", "multi-register": "{:x 0 :y 0}"}
	for _, model := range []string{"mutex", "set", "multi-register"} {
		corrupted := 0
		for i := range 100 {
			lines, reads := sequential(rng, model, 3+rng.IntN(40))
			if res, _ := checkModel(t, model, init[model], h(t, lines...)); res.Verdict != V {
				t.Fatalf("%s history %d: %v: %s\n%s", model, i, res.Verdict, res.Message, strings.Join(lines, "\n"))
			}
			switch model {
			case "mutex": // drop one ok release: the next acquire finds it held
				j := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, "ok release") })
				if j < 0 || !slices.ContainsFunc(lines[j:], func(l string) bool { return strings.HasSuffix(l, "ok acquire") }) {
					continue
				}
				lines = slices.Delete(slices.Clone(lines), j-1, j+1)
			default: // a read returns something else
				if len(reads) == 0 {
					continue
				}
				j := reads[rng.IntN(len(reads))]
				lines = slices.Clone(lines)
				if model == "set" {
					lines[j] = strings.Replace(lines[j], "#{", "#{99 ", 1)
				} else {
					lines[j] = strings.Replace(lines[j], "[:read", "[:read :x 42] [:read", 1)
				}
			}
			if res, _ := checkModel(t, model, init[model], h(t, lines...)); res.Verdict != X {
				t.Fatalf("%s corrupted history %d: %v: %s\n%s", model, i, res.Verdict, res.Message, strings.Join(lines, "\n"))
			}
			corrupted++
		}
		if corrupted < 30 {
			t.Errorf("%s: only %d histories corrupted", model, corrupted)
		}
	}
}
