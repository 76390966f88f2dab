package nemesis

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OptionSpec documents one nemesis option (`--nemesis-opt name=value`, or
// a dedicated flag such as --partition) and checks its values.
type OptionSpec struct {
	Name    string
	Default string
	Help    string
	// Check validates a value without a target; nil accepts anything.
	Check func(string) error
}

// OptionSpecs lists every registered fault's options, sorted by name.
func OptionSpecs() []OptionSpec {
	var out []OptionSpec
	for _, i := range Infos() {
		out = append(out, i.Options...)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

func lookupOption(name string) (OptionSpec, bool) {
	for _, o := range OptionSpecs() {
		if o.Name == name {
			return o, true
		}
	}
	return OptionSpec{}, false
}

func optionDefault(name string) string {
	o, _ := lookupOption(name)
	return o.Default
}

// CheckOptions rejects unknown option names and malformed values; every
// error names the option.
func CheckOptions(opts map[string]string) error {
	var names []string
	for k := range opts {
		names = append(names, k)
	}
	sort.Strings(names)
	var errs []error
	for _, k := range names {
		o, ok := lookupOption(k)
		if !ok {
			var have []string
			for _, s := range OptionSpecs() {
				have = append(have, s.Name)
			}
			errs = append(errs, fmt.Errorf("unknown nemesis option %q (have: %s)", k, strings.Join(have, ", ")))
			continue
		}
		if o.Check != nil {
			if err := o.Check(opts[k]); err != nil {
				errs = append(errs, fmt.Errorf("nemesis option %s=%q: %w", k, opts[k], err))
			}
		}
	}
	return errors.Join(errs...)
}

// splitList splits "a, b,c" into trimmed non-empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkList accepts a non-empty list whose items are all in allowed (or
// are one of extra, e.g. "all").
func checkList(allowed []string, extra ...string) func(string) error {
	return func(s string) error {
		items := splitList(s)
		if len(items) == 0 {
			return errors.New("empty list")
		}
		for _, it := range items {
			ok := false
			for _, a := range append(append([]string(nil), allowed...), extra...) {
				ok = ok || it == a
			}
			if !ok {
				return fmt.Errorf("unknown value %q (have: %s)", it, strings.Join(append(append([]string(nil), allowed...), extra...), ", "))
			}
		}
		return nil
	}
}

func checkPercent(s string) error {
	_, err := parsePercent(s)
	return err
}

// parsePercent reads "30" or "30%" as a percentage in (0, 100].
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v <= 0 || v > 100 {
		return 0, fmt.Errorf("want a percentage in (0, 100], e.g. 30%%")
	}
	return v, nil
}

func checkDuration(min, max time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < min || d > max {
			return fmt.Errorf("want a duration from %v to %v", min, max)
		}
		return nil
	}
}

func checkFloat(min, max float64) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < min || v > max {
			return fmt.Errorf("want a number from %v to %v", min, max)
		}
		return nil
	}
}

// parseRate reads a bandwidth such as "1mbit", "512kbit", "10mbps" or a
// plain number of bits per second.
func parseRate(s string) (uint64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mult   float64
	}{
		{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1},
		{"gbps", 8e9}, {"mbps", 8e6}, {"kbps", 8e3}, {"bps", 8},
	}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, errors.New("want a bandwidth such as 1mbit, 512kbit or 2mbps (bytes)")
	}
	bps := v * mult
	if bps < 8000 || bps > 100e9 {
		return 0, errors.New("want a bandwidth from 8kbit to 100gbit")
	}
	return uint64(bps), nil
}

func checkRate(s string) error {
	_, err := parseRate(s)
	return err
}
