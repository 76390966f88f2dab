package edn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/faultline-io/faultline/harness/history"
)

// maxDepth bounds how deeply collections nest, so a hostile file cannot
// exhaust the stack.
const maxDepth = 1000

// Error is a syntax or content error, with the position where it was found.
type Error struct {
	Line, Col int // 1-based
	Msg       string
}

func (e *Error) Error() string {
	return fmt.Sprintf("edn: line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// ReadFile reads an EDN history file.
func ReadFile(path string) ([]history.Op, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ops, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ops, nil
}

// Decode reads an EDN history from r.
func Decode(r io.Reader) ([]history.Op, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("edn: read: %w", err)
	}
	return Parse(b)
}

// Parse reads an EDN history held in memory: a vector or list of op maps,
// or a bare stream of op maps.
func Parse(src []byte) ([]history.Op, error) {
	p := &parser{src: src, strs: map[string]string{}}
	if err := p.skip(); err != nil {
		return nil, err
	}
	if p.eof() {
		return nil, nil
	}
	// Every op map names its :process, so this sizes the slice once.
	ops := make([]history.Op, 0, bytes.Count(src, []byte(":process")))
	switch c := p.src[p.pos]; c {
	case '[', '(':
		closer := byte(']')
		if c == '(' {
			closer = ')'
		}
		open := p.pos
		p.pos++
		for {
			if err := p.skip(); err != nil {
				return ops, err
			}
			if p.eof() {
				return ops, p.errAt(open, "the history's %q is never closed", c)
			}
			if p.src[p.pos] == closer {
				p.pos++
				break
			}
			op, err := p.op(len(ops))
			if err != nil {
				return ops, err
			}
			ops = append(ops, op)
		}
		if err := p.skip(); err != nil {
			return ops, err
		}
		if !p.eof() {
			return ops, p.errAt(p.pos, "unexpected %s after the history", p.describe())
		}
	case '{':
		for !p.eof() {
			op, err := p.op(len(ops))
			if err != nil {
				return ops, err
			}
			ops = append(ops, op)
			if err := p.skip(); err != nil {
				return ops, err
			}
		}
	default:
		return nil, p.errAt(p.pos, "want a vector or list of op maps, or op maps; found %s", p.describe())
	}
	return ops, nil
}

// ToJSON converts one EDN value (e.g. "{:x 0 :y 0}") to JSON, as op values
// are converted. Surrounding whitespace and comments are allowed; anything
// else after the value is an error.
func ToJSON(src []byte) (json.RawMessage, error) {
	p := &parser{src: src}
	if err := p.skip(); err != nil {
		return nil, err
	}
	if p.eof() {
		return nil, p.errAt(p.pos, "no value")
	}
	var out []byte
	if _, err := p.form(&out); err != nil {
		return nil, err
	}
	if err := p.skip(); err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, p.errAt(p.pos, "unexpected %s after the value", p.describe())
	}
	return out, nil
}

type parser struct {
	src   []byte
	pos   int
	depth int
	strs  map[string]string // interned f, key, node and error strings
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

// errAt builds an Error at byte offset off.
func (p *parser) errAt(off int, format string, a ...any) error {
	off = min(max(off, 0), len(p.src))
	line := 1 + bytes.Count(p.src[:off], []byte{'\n'})
	col := 1 + utf8.RuneCount(p.src[bytes.LastIndexByte(p.src[:off], '\n')+1:off])
	return &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, a...)}
}

// describe names what is at the current position, for messages.
func (p *parser) describe() string {
	if p.eof() {
		return "end of input"
	}
	end := p.pos + 1
	for end < len(p.src) && end-p.pos < 20 && !isDelim(p.src[end]) {
		end++
	}
	return strconv.Quote(string(p.src[p.pos:end]))
}

func isSpace(c byte) bool {
	return c == ' ' || c == ',' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
}

// isDelim reports whether c ends a symbol, keyword or number.
func isDelim(c byte) bool {
	switch c {
	case '"', ';', '@', '^', '`', '~', '(', ')', '[', ']', '{', '}', '\\':
		return true
	}
	return isSpace(c)
}

// skip passes whitespace, commas, comments and #_ discarded forms.
func (p *parser) skip() error {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case isSpace(c):
			p.pos++
		case c == ';':
			if i := bytes.IndexByte(p.src[p.pos:], '\n'); i >= 0 {
				p.pos += i + 1
			} else {
				p.pos = len(p.src)
			}
		case c == '#' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '_':
			p.pos += 2
			if err := p.skip(); err != nil {
				return err
			}
			if p.eof() {
				return p.errAt(p.pos, "#_ discards nothing")
			}
			if _, err := p.form(nil); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// kind is what a parsed form was.
type kind uint8

const (
	kNil kind = iota
	kBool
	kInt    // fits in int64: atom.n
	kNumber // any other number (big integer, float): its JSON text
	kString
	kKeyword
	kSymbol
	kChar
	kColl // vector, list, map or set
)

// atom describes a parsed form.
type atom struct {
	kind       kind
	start, end int    // its text in src
	s          string // kString, kKeyword, kSymbol, kChar: the decoded text
	n          int64  // kInt
}

// name is the text a key or a string field takes from the atom: a
// keyword's or symbol's name, a string, an integer's digits, or the EDN
// text of anything else. nil has none.
func (p *parser) name(a atom) string {
	switch a.kind {
	case kNil:
		return ""
	case kString, kKeyword, kSymbol, kChar:
		return a.s
	case kInt:
		return strconv.FormatInt(a.n, 10)
	}
	return string(p.src[a.start:a.end])
}

// form parses the next form (the caller has skipped whitespace). When out
// is not nil the form is appended to *out as JSON.
func (p *parser) form(out *[]byte) (atom, error) {
	start := p.pos
	if p.eof() {
		return atom{}, p.errAt(start, "unexpected end of input")
	}
	c := p.src[p.pos]
	switch {
	case c == '[':
		return p.coll(out, ']', false)
	case c == '(':
		return p.coll(out, ')', false)
	case c == '{':
		return p.coll(out, '}', true)
	case c == ']' || c == ')' || c == '}':
		return atom{}, p.errAt(start, "unexpected %q", c)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return atom{}, err
		}
		if out != nil {
			*out = appendJSONString(*out, s)
		}
		return atom{kind: kString, start: start, end: p.pos, s: s}, nil
	case c == '\\':
		s, err := p.char()
		if err != nil {
			return atom{}, err
		}
		if out != nil {
			*out = appendJSONString(*out, s)
		}
		return atom{kind: kChar, start: start, end: p.pos, s: s}, nil
	case c == '#':
		return p.dispatch(out)
	case c == ':':
		p.pos++
		tok := p.token()
		if len(tok) == 0 || tok[0] == ':' {
			return atom{}, p.errAt(start, "bad keyword %q", p.src[start:p.pos])
		}
		s := p.intern(tok)
		if out != nil {
			*out = appendJSONString(*out, s)
		}
		return atom{kind: kKeyword, start: start, end: p.pos, s: s}, nil
	case c == '\'' || c == '`' || c == '~' || c == '@' || c == '^':
		return atom{}, p.errAt(start, "%q is Clojure reader syntax, not EDN", c)
	}
	tok := p.token()
	if len(tok) == 0 {
		return atom{}, p.errAt(start, "unexpected %q", c)
	}
	if isDigit(tok[0]) || (len(tok) > 1 && (tok[0] == '-' || tok[0] == '+') && isDigit(tok[1])) {
		return p.number(tok, start, out)
	}
	a := atom{start: start, end: p.pos}
	switch string(tok) {
	case "nil":
		a.kind = kNil
		if out != nil {
			*out = append(*out, "null"...)
		}
	case "true", "false":
		a.kind = kBool
		if out != nil {
			*out = append(*out, tok...)
		}
	default:
		a.kind, a.s = kSymbol, p.intern(tok)
		if out != nil {
			*out = appendJSONString(*out, a.s)
		}
	}
	return a, nil
}

// token reads the characters up to the next delimiter.
func (p *parser) token() []byte {
	start := p.pos
	for p.pos < len(p.src) && !isDelim(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) intern(b []byte) string {
	if p.strs == nil {
		return string(b)
	}
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	p.strs[s] = s
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number converts an integer or float token to JSON.
func (p *parser) number(tok []byte, start int, out *[]byte) (atom, error) {
	a := atom{kind: kInt, start: start, end: p.pos}
	t := tok
	if t[0] == '+' {
		t = t[1:]
	}
	digits := t
	if digits[0] == '-' {
		digits = digits[1:]
	}
	isInt := true
	for _, c := range digits {
		if !isDigit(c) {
			isInt = false
			break
		}
	}
	if !isInt && digits[len(digits)-1] == 'N' {
		isInt = true
		for _, c := range digits[:len(digits)-1] {
			isInt = isInt && isDigit(c)
		}
		if isInt {
			t, digits = t[:len(t)-1], digits[:len(digits)-1]
		}
	}
	if isInt {
		if len(digits) > 1 && digits[0] == '0' {
			return a, p.errAt(start, "number %s has a leading zero (octal is not EDN)", tok)
		}
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			a.n = n
			if out != nil {
				*out = strconv.AppendInt(*out, n, 10)
			}
			return a, nil
		}
		var z big.Int
		if _, ok := z.SetString(string(t), 10); !ok {
			return a, p.errAt(start, "bad integer %s", tok)
		}
		a.kind = kNumber
		if out != nil {
			*out = z.Append(*out, 10)
		}
		return a, nil
	}
	// A float: digits, an optional fraction, an optional exponent, and an
	// optional M (BigDecimal, read as a float).
	f := t
	if f[len(f)-1] == 'M' {
		f = f[:len(f)-1]
	}
	if !isFloat(f) {
		return a, p.errAt(start, "bad number %s (ratios, radix and hex numbers are not supported)", tok)
	}
	v, err := strconv.ParseFloat(string(f), 64)
	if err != nil || math.IsInf(v, 0) {
		return a, p.errAt(start, "number %s is out of range", tok)
	}
	if v == 0 {
		v = 0 // -0.0 would print as "-0", which reads back as the integer 0
	}
	a.kind = kNumber
	if out != nil {
		*out = strconv.AppendFloat(*out, v, 'g', -1, 64)
	}
	return a, nil
}

// isFloat reports whether b is -?digits(.digits*)?([eE][+-]?digits)?.
func isFloat(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	d := i
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	if i == d {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		e := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == e {
			return false
		}
	}
	return i == len(b)
}

// coll parses a vector, list or map (the current byte opens it).
func (p *parser) coll(out *[]byte, closer byte, isMap bool) (atom, error) {
	start := p.pos
	p.pos++
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return atom{}, p.errAt(start, "collections nested deeper than %d", maxDepth)
	}
	if out != nil {
		if isMap {
			*out = append(*out, '{')
		} else {
			*out = append(*out, '[')
		}
	}
	var keys []string // map keys so far, to refuse duplicates
	for n := 0; ; n++ {
		if err := p.skip(); err != nil {
			return atom{}, err
		}
		if p.eof() {
			return atom{}, p.errAt(start, "%q is never closed", p.src[start])
		}
		if p.src[p.pos] == closer {
			p.pos++
			break
		}
		if isMap && n%2 == 1 {
			if out != nil {
				*out = append(*out, ':')
			}
		} else if n > 0 && out != nil {
			*out = append(*out, ',')
		}
		if !isMap || n%2 == 1 {
			if _, err := p.form(out); err != nil {
				return atom{}, err
			}
			continue
		}
		ka, err := p.form(nil)
		if err != nil {
			return atom{}, err
		}
		k := p.name(ka)
		if ka.kind == kNil {
			k = "nil"
		}
		for _, seen := range keys {
			if seen == k {
				return atom{}, p.errAt(ka.start, "duplicate map key %s", p.src[ka.start:ka.end])
			}
		}
		keys = append(keys, k)
		if out != nil {
			*out = appendJSONString(*out, k)
		}
		if err := p.skip(); err != nil {
			return atom{}, err
		}
		if !p.eof() && p.src[p.pos] == closer {
			return atom{}, p.errAt(ka.start, "map key %s has no value", p.src[ka.start:ka.end])
		}
	}
	if out != nil {
		if isMap {
			*out = append(*out, '}')
		} else {
			*out = append(*out, ']')
		}
	}
	return atom{kind: kColl, start: start, end: p.pos}, nil
}

// dispatch parses a form that starts with '#'.
func (p *parser) dispatch(out *[]byte) (atom, error) {
	start := p.pos
	if p.pos+1 >= len(p.src) {
		return atom{}, p.errAt(start, "lone '#'")
	}
	switch c := p.src[p.pos+1]; c {
	case '{': // a set: an array in JSON
		p.pos++
		a, err := p.coll(out, '}', false)
		a.start = start
		return a, err
	case '"': // a regular expression: its source, as a string
		p.pos++
		a, err := p.form(out)
		a.start = start
		return a, err
	case '#':
		return atom{}, p.errAt(start, "%s cannot be represented in JSON", p.describe())
	case '_':
		p.pos += 2
		if err := p.skip(); err != nil {
			return atom{}, err
		}
		if p.eof() {
			return atom{}, p.errAt(start, "#_ discards nothing")
		}
		if _, err := p.form(nil); err != nil {
			return atom{}, err
		}
		if err := p.skip(); err != nil {
			return atom{}, err
		}
		return p.form(out)
	}
	// A tagged literal such as #inst "…" or #uuid "…": the tagged value.
	p.pos++
	tag := p.token()
	if len(tag) == 0 || !isAlpha(tag[0]) {
		return atom{}, p.errAt(start, "bad tag %q", p.src[start:p.pos])
	}
	if err := p.skip(); err != nil {
		return atom{}, err
	}
	a, err := p.form(out)
	a.start = start
	return a, err
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// str parses a string literal.
func (p *parser) str() (string, error) {
	start := p.pos
	p.pos++
	// Fast path: no escapes.
	i := bytes.IndexAny(p.src[p.pos:], `"\`)
	if i >= 0 && p.src[p.pos+i] == '"' {
		s := p.intern(p.src[p.pos : p.pos+i])
		p.pos += i + 1
		return s, nil
	}
	var b []byte
	for {
		if p.eof() {
			return "", p.errAt(start, "string is never closed")
		}
		c := p.src[p.pos]
		switch c {
		case '"':
			p.pos++
			return p.intern(b), nil
		case '\\':
			esc := p.pos
			p.pos++
			if p.eof() {
				return "", p.errAt(start, "string is never closed")
			}
			e := p.src[p.pos]
			p.pos++
			switch e {
			case 't':
				b = append(b, '\t')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case '"', '\\', '\'':
				b = append(b, e)
			case 'u':
				r, ok := p.hex(4)
				if !ok {
					return "", p.errAt(esc, `bad \u escape`)
				}
				b = utf8.AppendRune(b, r)
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && !p.eof() && p.src[p.pos] >= '0' && p.src[p.pos] <= '7'; k++ {
						v = v*8 + int(p.src[p.pos]-'0')
						p.pos++
					}
					if v > 0o377 {
						return "", p.errAt(esc, "octal escape out of range")
					}
					b = utf8.AppendRune(b, rune(v))
					continue
				}
				return "", p.errAt(esc, `unknown escape \%c in string`, e)
			}
		default:
			b = append(b, c)
			p.pos++
		}
	}
}

// hex reads n hex digits as a rune.
func (p *parser) hex(n int) (rune, bool) {
	if p.pos+n > len(p.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+n]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += n
	return rune(v), true
}

var namedChars = map[string]string{
	"newline": "\n", "space": " ", "tab": "\t", "return": "\r", "backspace": "\b", "formfeed": "\f",
}

// char parses a character literal: \c, \newline, \uXXXX.
func (p *parser) char() (string, error) {
	start := p.pos
	p.pos++
	if p.eof() {
		return "", p.errAt(start, "lone backslash")
	}
	// The first character is taken whatever it is (\( is a paren), then
	// any letters up to a delimiter.
	_, size := utf8.DecodeRune(p.src[p.pos:])
	p.pos += size
	rest := p.token()
	name := string(p.src[start+1 : p.pos])
	if len(rest) == 0 {
		return name, nil
	}
	if s, ok := namedChars[name]; ok {
		return s, nil
	}
	if name[0] == 'u' && len(name) == 5 {
		if v, err := strconv.ParseUint(name[1:], 16, 32); err == nil {
			return string(rune(v)), nil
		}
	}
	return "", p.errAt(start, "unknown character literal \\%s", name)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does, but written as the character itself so
// that reading back what Encode wrote gives the same bytes.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// op parses one op map; n is its position in the history.
func (p *parser) op(n int) (history.Op, error) {
	start := p.pos
	if p.src[p.pos] != '{' {
		return history.Op{}, p.errAt(start, "op %d: want a map, found %s", n, p.describe())
	}
	p.pos++
	p.depth++
	defer func() { p.depth-- }()
	op := history.Op{Index: int64(n)}
	var seen struct{ process, typ, f, value, time, index, err, key, node bool }
	var ka atom // the current key's position
	mark := func(b *bool, _ atom) error {
		if *b {
			return p.errAt(ka.start, "op %d: duplicate key %s", n, p.src[ka.start:ka.end])
		}
		*b = true
		return nil
	}
	for {
		if err := p.skip(); err != nil {
			return op, err
		}
		if p.eof() {
			return op, p.errAt(start, "op %d: map is never closed", n)
		}
		if p.src[p.pos] == '}' {
			p.pos++
			break
		}
		// Keys are nearly always keywords: read them without interning.
		field := ""
		if tok, ok := p.keyword(); ok {
			field = opField(tok)
			ka = atom{kind: kKeyword, start: p.pos - len(tok) - 1, end: p.pos}
		} else {
			var err error
			if ka, err = p.form(nil); err != nil {
				return op, err
			}
		}
		if err := p.skip(); err != nil {
			return op, err
		}
		if p.eof() || p.src[p.pos] == '}' {
			return op, p.errAt(ka.start, "op %d: key %s has no value", n, p.src[ka.start:ka.end])
		}
		var merr error
		switch field {
		case "process":
			if merr = mark(&seen.process, ka); merr == nil {
				merr = p.process(&op, n)
			}
		case "type":
			if merr = mark(&seen.typ, ka); merr == nil {
				merr = p.opType(&op, n)
			}
		case "f":
			if merr = mark(&seen.f, ka); merr == nil {
				var a atom
				if a, merr = p.form(nil); merr == nil {
					if a.kind != kKeyword && a.kind != kString && a.kind != kSymbol {
						merr = p.errAt(a.start, "op %d: :f must be a keyword, found %s", n, p.src[a.start:a.end])
					}
					op.F = a.s
				}
			}
		case "value":
			if merr = mark(&seen.value, ka); merr == nil {
				var v []byte
				if _, merr = p.form(&v); merr == nil {
					op.Value = v
				}
			}
		case "time", "index":
			b, dst := &seen.time, &op.Time
			if field == "index" {
				b, dst = &seen.index, &op.Index
			}
			if merr = mark(b, ka); merr == nil {
				var a atom
				if a, merr = p.form(nil); merr == nil && a.kind != kNil {
					if a.kind != kInt {
						merr = p.errAt(a.start, "op %d: :%s must be an integer, found %s", n, field, p.src[a.start:a.end])
					}
					*dst = a.n
				}
			}
		case "error", "key", "node":
			b, dst := &seen.err, &op.Error
			switch field {
			case "key":
				b, dst = &seen.key, &op.Key
			case "node":
				b, dst = &seen.node, &op.Node
			}
			if merr = mark(b, ka); merr == nil {
				var a atom
				if a, merr = p.form(nil); merr == nil {
					*dst = p.name(a)
					if a.kind == kColl || a.kind == kNumber {
						*dst = p.intern(p.src[a.start:a.end])
					}
				}
			}
		default: // keys Jepsen may add that faultline does not use
			_, merr = p.form(nil)
		}
		if merr != nil {
			return op, merr
		}
	}
	switch {
	case !seen.process:
		return op, p.errAt(start, "op %d has no :process", n)
	case !seen.typ:
		return op, p.errAt(start, "op %d has no :type", n)
	case op.F == "":
		return op, p.errAt(start, "op %d has no :f", n)
	}
	return op, nil
}

func (p *parser) process(op *history.Op, n int) error {
	a, err := p.form(nil)
	if err != nil {
		return err
	}
	switch {
	case a.kind == kKeyword && a.s == "nemesis":
		op.Process = history.NemesisProcess
	case a.kind == kInt && a.n >= 0:
		op.Process = history.Process(a.n)
	default:
		return p.errAt(a.start, "op %d: :process must be a non-negative integer or :nemesis, found %s", n, p.src[a.start:a.end])
	}
	return nil
}

func (p *parser) opType(op *history.Op, n int) error {
	start := p.pos
	if tok, ok := p.keyword(); ok {
		switch string(tok) {
		case "invoke":
			op.Type = history.Invoke
			return nil
		case "ok":
			op.Type = history.OK
			return nil
		case "fail":
			op.Type = history.Fail
			return nil
		case "info":
			op.Type = history.Info
			return nil
		}
	} else if _, err := p.form(nil); err != nil {
		return err
	}
	return p.errAt(start, "op %d: :type must be :invoke, :ok, :fail or :info, found %s", n, p.src[start:p.pos])
}

// keyword reads a keyword at the current position and returns its name,
// uninterned; ok is false (and nothing is read) when there is none.
func (p *parser) keyword() ([]byte, bool) {
	if p.pos+1 >= len(p.src) || p.src[p.pos] != ':' || isDelim(p.src[p.pos+1]) || p.src[p.pos+1] == ':' {
		return nil, false
	}
	p.pos++
	return p.token(), true
}

// opField names the op map keys faultline reads ("" for the others),
// without allocating.
func opField(tok []byte) string {
	switch string(tok) {
	case "process":
		return "process"
	case "type":
		return "type"
	case "f":
		return "f"
	case "value":
		return "value"
	case "time":
		return "time"
	case "index":
		return "index"
	case "error":
		return "error"
	case "key":
		return "key"
	case "node":
		return "node"
	}
	return ""
}

// IsError reports whether err came from this package's parser (bad input,
// as opposed to an I/O failure).
func IsError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
