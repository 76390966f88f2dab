package checker

import (
	"bytes"
	"fmt"
)

// Verdict is what a checker concluded about a history. The zero value is
// Unknown, so a verdict that was never set is never taken for a pass.
type Verdict uint8

// The verdicts.
const (
	Unknown Verdict = iota // could not decide (timeout, cancelled, nothing to check)
	Valid                  // no anomaly found
	Invalid                // an anomaly was found
)

func (v Verdict) String() string {
	switch v {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// MarshalJSON writes true, false or "unknown", as Jepsen's :valid? does.
func (v Verdict) MarshalJSON() ([]byte, error) {
	switch v {
	case Valid:
		return []byte("true"), nil
	case Invalid:
		return []byte("false"), nil
	case Unknown:
		return []byte(`"unknown"`), nil
	}
	return nil, fmt.Errorf("checker: invalid verdict %d", uint8(v))
}

// UnmarshalJSON accepts true, false and "unknown" only.
func (v *Verdict) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true":
		*v = Valid
	case "false":
		*v = Invalid
	case `"unknown"`:
		*v = Unknown
	default:
		return fmt.Errorf(`checker: verdict must be true, false or "unknown", got %s`, b)
	}
	return nil
}

// Merge combines verdicts: Invalid beats Unknown beats Valid. With no
// verdicts it returns Valid. A value that is not one of the three verdicts
// counts as Unknown.
func Merge(vs ...Verdict) Verdict {
	out := Valid
	for _, v := range vs {
		switch v {
		case Invalid:
			return Invalid
		case Valid:
		default:
			out = Unknown
		}
	}
	return out
}
