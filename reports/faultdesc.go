package reports

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// describeFault says in a few words what a fault did, from the value its
// starting action recorded in the history: who could talk to whom during
// a partition, which clocks moved and how, which nodes were hit. The
// report reads the recorded JSON only, so it needs none of the nemesis
// code; a value it does not recognise is shown as "".
func describeFault(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var obj struct {
		// partition
		Shape      string              `json:"shape"`
		Components [][]string          `json:"components"`
		Bridge     string              `json:"bridge"`
		Grudge     map[string][]string `json:"grudge"`
		OneWay     bool                `json:"one_way"`
		Mode       string              `json:"mode"`
		// clock
		Op      string `json:"op"`
		Command *struct {
			Delta string  `json:"delta"`
			Rate  float64 `json:"rate"`
		} `json:"command"`
		Clocks map[string]json.RawMessage `json:"clocks"`
		// kill, pause, packet
		Spec  string   `json:"spec"`
		Nodes []string `json:"nodes"`
	}
	if err := json.Unmarshal(v, &obj); err != nil {
		var nodes []string
		if json.Unmarshal(v, &nodes) == nil {
			return strings.Join(nodes, " ")
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return ""
	}
	switch {
	case obj.Grudge != nil:
		return describePartition(obj.Shape, obj.Components, obj.Bridge, obj.Grudge, obj.OneWay, obj.Mode)
	case obj.Clocks != nil && obj.Command != nil:
		nodes := slices.Sorted(maps.Keys(obj.Clocks))
		what := obj.Op
		switch {
		case obj.Command.Rate != 0:
			what = fmt.Sprintf("clock rate ×%g", obj.Command.Rate)
		case obj.Command.Delta != "":
			what = fmt.Sprintf("%s %s", obj.Op, obj.Command.Delta)
		}
		return what + " on " + strings.Join(nodes, " ") + specSuffix(obj.Spec)
	case obj.Nodes != nil:
		return strings.Join(obj.Nodes, " ") + specSuffix(obj.Spec)
	}
	return ""
}

func specSuffix(spec string) string {
	if spec == "" {
		return ""
	}
	return " (" + spec + ")"
}

// describePartition shows the groups that could talk among themselves
// ("n1 n2 | n3 n4 n5"), or, for shapes that are not groups (majorities
// ring, bridge, one-way cuts), each node's grudge.
func describePartition(shape string, components [][]string, bridge string, grudge map[string][]string, oneWay bool, mode string) string {
	var b strings.Builder
	b.WriteString(shape)
	b.WriteString(": ")
	if len(components) > 0 && !oneWay {
		for i, c := range components {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(strings.Join(c, " "))
		}
		if bridge != "" {
			fmt.Fprintf(&b, " (bridge %s)", bridge)
		}
	} else {
		var parts []string
		for _, n := range slices.Sorted(maps.Keys(grudge)) {
			if len(grudge[n]) > 0 {
				parts = append(parts, n+" drops "+strings.Join(grudge[n], ","))
			}
		}
		b.WriteString(strings.Join(parts, "; "))
	}
	if mode != "" && mode != "drop" {
		b.WriteString(" [" + mode + "]")
	}
	return b.String()
}
