package elle

import (
	"reflect"
	"testing"
)

// The fast parser must agree with the encoding/json one wherever it
// accepts its input, and give up (not guess) on anything unusual.
func FuzzFastParse(f *testing.F) {
	for _, s := range []string{
		`[["append",1,2],["r",1,[1,2]],["r",3,null]]`,
		` [ [ "r" , "x" , [ ] ] ] `,
		`[]`,
		`[["append","a\"b",1]]`,
		`[["append",1,2.5]]`,
		`[["r",1,[1,"x"]]]`,
		`[["put",1,2]]`,
		`[["append",-7,-1],["r",1e3,[3]]]`,
		`[["append",1,2]] x`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, withReads bool) {
		fast, ok := fastParse(b, withReads, map[string]string{})
		if !ok {
			return
		}
		slow, err := parseTxn(b, withReads)
		if err != nil {
			t.Fatalf("fast parser accepted %q, encoding/json says %v", b, err)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%q: %d vs %d micro-ops", b, len(fast), len(slow))
		}
		for i := range fast {
			a, s := fast[i], slow[i]
			if len(a.read) == 0 && len(s.read) == 0 {
				a.read, s.read = nil, nil
			}
			if !reflect.DeepEqual(a, s) {
				t.Fatalf("%q micro-op %d: fast %+v, encoding/json %+v", b, i, a, s)
			}
		}
	})
}
