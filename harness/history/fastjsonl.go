package history

import (
	"math"
	"unicode/utf8"
)

// valueChunk is the size of the buffers op values are copied into.
const valueChunk = 64 << 10

// lineDecoder reads the common shape of a history line quickly: an object
// whose keys are the lower-case field names, each at most once, with
// integers for index and time, a plain integer or "nemesis" for process,
// strings without escapes for type, f, key, error and node, and any JSON
// for value. fast reports false for anything else, and the caller decodes
// the line with encoding/json, which is the reference for what a line
// means and for every error.
type lineDecoder struct {
	strs  map[string]string // one copy of each f, key, node and error
	chunk []byte            // where values are copied
}

func (d *lineDecoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	d.strs[s] = s
	return s
}

// value copies a value into the shared buffer, capped so that appending to
// one op's value can never overwrite another's.
func (d *lineDecoder) value(b []byte) []byte {
	if len(b) > valueChunk/8 {
		return append([]byte(nil), b...)
	}
	if len(b) > cap(d.chunk)-len(d.chunk) {
		d.chunk = make([]byte, 0, valueChunk)
	}
	n := len(d.chunk)
	d.chunk = append(d.chunk, b...)
	return d.chunk[n:len(d.chunk):len(d.chunk)]
}

// fields is what fast has seen, to leave repeated keys to encoding/json.
type fields uint16

const (
	fIndex fields = 1 << iota
	fTime
	fProcess
	fType
	fF
	fKey
	fValue
	fError
	fNode
)

// field names a key of a history line; 0 for an unknown one.
func field(name []byte) fields {
	switch string(name) {
	case "index":
		return fIndex
	case "time":
		return fTime
	case "process":
		return fProcess
	case "type":
		return fType
	case "f":
		return fF
	case "key":
		return fKey
	case "value":
		return fValue
	case "error":
		return fError
	case "node":
		return fNode
	}
	return 0
}

func (d *lineDecoder) fast(b []byte) (op Op, ok bool) {
	s := scanner{b: b}
	if !s.byte('{') {
		return op, false
	}
	var seen fields
	for first := true; ; first = false {
		s.ws()
		if first && s.peek() == '}' {
			return op, false // no "f": encoding/json words the error
		}
		name, ok := s.plainString()
		if !ok {
			return op, false
		}
		f := field(name)
		if f == 0 || seen&f != 0 {
			return op, false
		}
		seen |= f
		s.ws()
		if !s.byte(':') {
			return op, false
		}
		s.ws()
		switch f {
		case fIndex, fTime:
			n, ok := s.int()
			if !ok {
				return op, false
			}
			if f == fIndex {
				op.Index = n
			} else {
				op.Time = n
			}
		case fProcess:
			if s.peek() == '"' {
				v, ok := s.plainString()
				if !ok || string(v) != "nemesis" {
					return op, false
				}
				op.Process = NemesisProcess
			} else {
				n, ok := s.int()
				if !ok || n < 0 || int64(int(n)) != n {
					return op, false
				}
				op.Process = Process(n)
			}
		case fType:
			v, ok := s.plainString()
			if !ok {
				return op, false
			}
			switch string(v) {
			case "invoke":
				op.Type = Invoke
			case "ok":
				op.Type = OK
			case "fail":
				op.Type = Fail
			case "info":
				op.Type = Info
			default:
				return op, false
			}
		case fF, fKey, fError, fNode:
			v, ok := s.plainString()
			if !ok {
				return op, false
			}
			str := d.intern(v)
			switch f {
			case fF:
				op.F = str
			case fKey:
				op.Key = str
			case fError:
				op.Error = str
			default:
				op.Node = str
			}
		case fValue:
			start := s.i
			if !s.jsonValue(0) {
				return op, false
			}
			op.Value = d.value(b[start:s.i])
		}
		s.ws()
		switch s.next() {
		case ',':
		case '}':
			if s.i != len(b) || op.F == "" {
				return op, false
			}
			return op, true
		default:
			return op, false
		}
	}
}

// scanner walks one line. Every method reports false rather than guess.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) next() byte {
	c := s.peek()
	s.i++
	return c
}

func (s *scanner) byte(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// plainString reads a string with no escapes or control characters and
// valid UTF-8 (so that encoding/json would decode it to the same bytes),
// and returns its contents.
func (s *scanner) plainString() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	start := s.i
	ascii := true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// int reads -?(0|[1-9][0-9]*) that fits an int64.
func (s *scanner) int() (int64, bool) {
	neg := s.byte('-')
	digits := s.i
	var u uint64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if u > (math.MaxUint64-9)/10 {
			return 0, false // far too big; encoding/json words the error
		}
		u = u*10 + uint64(s.b[s.i]-'0')
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i-digits > 1) {
		return 0, false
	}
	if c := s.peek(); c == '.' || c == 'e' || c == 'E' {
		return 0, false
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// jsonValue skips one JSON value, validating it as encoding/json's scanner
// does.
func (s *scanner) jsonValue(depth int) bool {
	if depth > 10000 {
		return false
	}
	switch c := s.peek(); {
	case c == '{' || c == '[':
		closer := byte(']')
		if c == '{' {
			closer = '}'
		}
		s.i++
		s.ws()
		if s.byte(closer) {
			return true
		}
		for {
			if c == '{' {
				if !s.anyString() {
					return false
				}
				s.ws()
				if !s.byte(':') {
					return false
				}
				s.ws()
			}
			if !s.jsonValue(depth + 1) {
				return false
			}
			s.ws()
			switch s.next() {
			case ',':
				s.ws()
			case closer:
				return true
			default:
				return false
			}
		}
	case c == '"':
		return s.anyString()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	for _, lit := range [...]string{"null", "true", "false"} {
		if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return true
		}
	}
	return false
}

// anyString skips a string, escapes included.
func (s *scanner) anyString() bool {
	if !s.byte('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			switch s.next() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for range 4 {
					if !isHex(s.next()) {
						return false
					}
				}
			default:
				return false
			}
		}
	}
	return false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// number skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number() bool {
	s.byte('-')
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.peek() == '0' {
		s.i++
	} else if digits() == 0 {
		return false
	}
	if s.byte('.') && digits() == 0 {
		return false
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
