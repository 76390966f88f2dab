package elle

import "strconv"

// fastParse decodes a transaction value of the usual shape — [["append",
// k, 1], ["r", k, [1, 2]], …] with keys that are numbers or plain strings
// — without encoding/json's reflection, and interns keys in keys. It
// returns ok=false on anything else (escapes, malformed input), and the
// caller falls back to parseTxn, which explains what is wrong. Large
// histories spend most of their check time here otherwise.
func fastParse(b []byte, withReads bool, keys map[string]string) ([]mop, bool) {
	p := scan{b: b}
	if !p.byte('[') {
		return nil, false
	}
	var out []mop
	if p.peek() == ']' {
		p.i++
		return out, p.end()
	}
	for {
		if !p.byte('[') {
			return nil, false
		}
		f, ok := p.str()
		if !ok || !p.byte(',') {
			return nil, false
		}
		kb, ok := p.key()
		if !ok || !p.byte(',') {
			return nil, false
		}
		k, seen := keys[string(kb)]
		if !seen {
			k = string(kb)
			keys[k] = k
		}
		m := mop{key: k}
		switch string(f) {
		case "append":
			if m.val, ok = p.int(); !ok {
				return nil, false
			}
			m.append = true
		case "r":
			if !p.ints(&m, withReads) {
				return nil, false
			}
		default:
			return nil, false
		}
		if !p.byte(']') {
			return nil, false
		}
		out = append(out, m)
		switch p.next() {
		case ',':
		case ']':
			return out, p.end()
		default:
			return nil, false
		}
	}
}

type scan struct {
	b []byte
	i int
}

func (p *scan) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *scan) peek() byte {
	p.ws()
	if p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

func (p *scan) next() byte {
	c := p.peek()
	p.i++
	return c
}

func (p *scan) byte(c byte) bool { return p.next() == c }

func (p *scan) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// str reads a string without escapes and returns its contents.
func (p *scan) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '"':
			p.i++
			return p.b[start : p.i-1], true
		case '\\':
			return nil, false
		}
		if p.b[p.i] < 0x20 { // control characters must be escaped in JSON
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// key reads a number or a string and returns its JSON text, as
// json.Compact would.
func (p *scan) key() ([]byte, bool) {
	c := p.peek()
	start := p.i
	if c == '"' {
		_, ok := p.str()
		return p.b[start:p.i], ok
	}
	for p.i < len(p.b) && (p.b[p.i] == '-' || p.b[p.i] == '+' || p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E' || (p.b[p.i] >= '0' && p.b[p.i] <= '9')) {
		p.i++
	}
	if !jsonNumber(p.b[start:p.i], false) {
		return nil, false
	}
	return p.b[start:p.i], true
}

// jsonNumber reports whether b is a number as JSON spells it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, or only its integer part.
func jsonNumber(b []byte, integer bool) bool {
	i := 0
	digits := func() int {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if !integer && i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if !integer && i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

func (p *scan) int() (int64, bool) {
	p.ws()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if !jsonNumber(p.b[start:p.i], true) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	return n, err == nil
}

// ints reads a read's value: null or a list of integers.
func (p *scan) ints(m *mop, keep bool) bool {
	switch p.peek() {
	case 'n':
		if p.i+4 > len(p.b) || string(p.b[p.i:p.i+4]) != "null" {
			return false
		}
		p.i += 4
		m.seen = keep
		return true
	case '[':
		p.i++
	default:
		return false
	}
	if p.peek() == ']' {
		p.i++
		m.seen, m.read = keep, []int64{}
		return true
	}
	var l []int64
	for {
		n, ok := p.int()
		if !ok {
			return false
		}
		l = append(l, n)
		switch p.next() {
		case ',':
		case ']':
			if keep {
				m.seen, m.read = true, l
			}
			return true
		default:
			return false
		}
	}
}
