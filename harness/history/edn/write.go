package edn

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/faultline-io/faultline/harness/history"
)

// Encode writes ops as an EDN vector, one op map per line, that Jepsen's
// and Knossos's readers accept (and Parse reads back to the same ops).
func Encode(w io.Writer, ops []history.Op) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var b []byte
	var err error
	bw.WriteByte('[')
	for i := range ops {
		b, err = AppendOp(b[:0], &ops[i])
		if err != nil {
			return fmt.Errorf("edn: op %d: %w", ops[i].Index, err)
		}
		if i > 0 {
			bw.WriteString("\n ")
		}
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("edn: write: %w", err)
		}
	}
	bw.WriteString("]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("edn: write: %w", err)
	}
	return nil
}

// AppendOp appends one op as an EDN map.
func AppendOp(b []byte, op *history.Op) ([]byte, error) {
	b = append(b, "{:index "...)
	b = strconv.AppendInt(b, op.Index, 10)
	b = append(b, ", :time "...)
	b = strconv.AppendInt(b, op.Time, 10)
	b = append(b, ", :process "...)
	switch {
	case op.Process.IsNemesis():
		b = append(b, ":nemesis"...)
	case op.Process >= 0:
		b = strconv.AppendInt(b, int64(op.Process), 10)
	default:
		return b, fmt.Errorf("invalid process %d", int(op.Process))
	}
	t, err := op.Type.MarshalText()
	if err != nil {
		return b, err
	}
	b = append(b, ", :type :"...)
	b = append(b, t...)
	b = append(b, ", :f "...)
	b = appendName(b, op.F)
	if op.Key != "" {
		b = append(b, ", :key "...)
		b = appendString(b, op.Key)
	}
	if len(op.Value) > 0 {
		b = append(b, ", :value "...)
		if b, err = AppendJSON(b, op.Value); err != nil {
			return b, fmt.Errorf("value %s: %w", op.Value, err)
		}
	}
	if op.Error != "" {
		b = append(b, ", :error "...)
		b = appendString(b, op.Error)
	}
	if op.Node != "" {
		b = append(b, ", :node "...)
		b = appendString(b, op.Node)
	}
	return append(b, '}'), nil
}

// AppendJSON appends the JSON value v as EDN. Strings that are valid
// keyword names become keywords, others EDN strings.
func AppendJSON(b []byte, v json.RawMessage) ([]byte, error) {
	s := jsonScanner{src: v}
	s.ws()
	b, err := s.value(b, 0)
	if err != nil {
		return b, err
	}
	s.ws()
	if s.pos != len(s.src) {
		return b, errors.New("trailing data after the JSON value")
	}
	return b, nil
}

// isKeywordName reports whether s can be written as a keyword that every
// EDN reader reads back as s: a letter, then letters, digits and -_*+!?<>=.
// (no '/', which would make a namespace; no ':' or '#').
func isKeywordName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) {
			switch c {
			case '-', '_', '*', '+', '!', '?', '<', '>', '=', '.':
			default:
				return false
			}
		}
	}
	return true
}

// appendName writes s as a keyword when it can be one, else as a string.
func appendName(b []byte, s string) []byte {
	if isKeywordName(s) {
		return append(append(b, ':'), s...)
	}
	return appendString(b, s)
}

// appendString writes s as an EDN string literal. Bytes that are not valid
// UTF-8 are copied as they are, so they read back unchanged.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// jsonScanner walks JSON text, writing EDN.
type jsonScanner struct {
	src []byte
	pos int
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) value(b []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, errors.New("JSON nested too deeply")
	}
	if s.pos >= len(s.src) {
		return b, errors.New("unexpected end of JSON")
	}
	switch c := s.src[s.pos]; {
	case c == '{' || c == '[':
		closer, open := byte('}'), byte('{')
		if c == '[' {
			closer, open = ']', '['
		}
		s.pos++
		b = append(b, open)
		for n := 0; ; n++ {
			s.ws()
			if s.pos < len(s.src) && s.src[s.pos] == closer && n == 0 {
				s.pos++
				return append(b, closer), nil
			}
			if n > 0 {
				b = append(b, ' ')
			}
			var err error
			if c == '{' {
				str, err := s.str()
				if err != nil {
					return b, err
				}
				b = appendName(b, str)
				s.ws()
				if s.pos >= len(s.src) || s.src[s.pos] != ':' {
					return b, errors.New("JSON object key without ':'")
				}
				s.pos++
				s.ws()
				b = append(b, ' ')
			}
			if b, err = s.value(b, depth+1); err != nil {
				return b, err
			}
			s.ws()
			if s.pos >= len(s.src) {
				return b, errors.New("unexpected end of JSON")
			}
			switch s.src[s.pos] {
			case ',':
				s.pos++
			case closer:
				s.pos++
				return append(b, closer), nil
			default:
				return b, fmt.Errorf("unexpected %q in JSON", s.src[s.pos])
			}
		}
	case c == '"':
		str, err := s.str()
		if err != nil {
			return b, err
		}
		return appendName(b, str), nil
	case c == '-' || isDigit(c):
		start := s.pos
		for s.pos < len(s.src) && (isDigit(s.src[s.pos]) || bytesContain("+-.eE", s.src[s.pos])) {
			s.pos++
		}
		num := s.src[start:s.pos]
		if !isFloat(num) || (len(num) > 1 && num[0] == '0' && isDigit(num[1])) ||
			(len(num) > 2 && num[0] == '-' && num[1] == '0' && isDigit(num[2])) {
			return b, fmt.Errorf("bad JSON number %q", num)
		}
		return append(b, num...), nil
	}
	for _, lit := range [...]struct{ json, edn string }{{"null", "nil"}, {"true", "true"}, {"false", "false"}} {
		if len(s.src)-s.pos >= len(lit.json) && string(s.src[s.pos:s.pos+len(lit.json)]) == lit.json {
			s.pos += len(lit.json)
			return append(b, lit.edn...), nil
		}
	}
	return b, fmt.Errorf("unexpected %q in JSON", s.src[s.pos])
}

func bytesContain(set string, c byte) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

// str reads a JSON string token and decodes it.
func (s *jsonScanner) str() (string, error) {
	if s.pos >= len(s.src) || s.src[s.pos] != '"' {
		return "", errors.New("want a JSON string")
	}
	start := s.pos
	escaped := false
	for i := s.pos + 1; i < len(s.src); i++ {
		switch c := s.src[i]; {
		case c == '\\':
			escaped = true
			i++
		case c == '"':
			s.pos = i + 1
			tok := s.src[start:s.pos]
			if !escaped && utf8.Valid(tok) {
				return string(tok[1 : len(tok)-1]), nil
			}
			var out string
			if err := json.Unmarshal(tok, &out); err != nil {
				return "", err
			}
			return out, nil
		case c < 0x20:
			return "", errors.New("control character in JSON string")
		}
	}
	return "", errors.New("JSON string is never closed")
}
