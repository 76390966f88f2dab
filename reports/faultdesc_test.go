package reports

import (
	"encoding/json"
	"testing"
)

func TestDescribeFault(t *testing.T) {
	for _, c := range []struct{ value, want string }{
		{`{"shape":"majority","components":[["n1","n3","n4"],["n2","n5"]],"grudge":{"n1":["n2","n5"],"n2":["n1","n3","n4"],"n3":["n2","n5"],"n4":["n2","n5"],"n5":["n1","n3","n4"]},"mode":"drop"}`,
			"majority: n1 n3 n4 | n2 n5"},
		{`{"shape":"majorities-ring","grudge":{"n1":["n3","n4"],"n2":["n4","n5"],"n3":["n1","n5"],"n4":["n1","n2"],"n5":["n2","n3"]},"mode":"reject"}`,
			"majorities-ring: n1 drops n3,n4; n2 drops n4,n5; n3 drops n1,n5; n4 drops n1,n2; n5 drops n2,n3 [reject]"},
		{`{"shape":"one-way-one","components":[["n2"],["n1","n3"]],"grudge":{"n2":["n1","n3"]},"one_way":true,"mode":"drop"}`,
			"one-way-one: n2 drops n1,n3"},
		{`{"op":"rate","spec":"leader","command":{"op":"rate","rate":0.126},"clocks":{"n2":{"offset":"-5µs","rate":0.126}}}`,
			"clock rate ×0.126 on n2 (leader)"},
		{`{"op":"bump","spec":"all","command":{"op":"bump","delta":"-4m8s"},"clocks":{"n2":{},"n1":{}}}`,
			"bump -4m8s on n1 n2 (all)"},
		{`{"spec":"minority","nodes":["n3","n4"]}`, "n3 n4 (minority)"},
		{`["n1"]`, "n1"},
		{`"fully connected"`, "fully connected"},
		{`{"something":"else"}`, ""},
		{`not json`, ""},
		{``, ""},
	} {
		if got := describeFault(json.RawMessage(c.value)); got != c.want {
			t.Errorf("describeFault(%s) = %q, want %q", c.value, got, c.want)
		}
	}
}
