package fakecwlogs

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Match reports whether a log event's message matches a filter pattern, as
// far as the fake understands patterns: the empty pattern matches
// everything; a JSON pattern is "{ expression }" where an expression is
// comparisons "$.a.b = value" or "$.a.b != value" (value a double-quoted
// string, a bare word or number, with * as a wildcard) joined by && and ||
// with parentheses; && binds tighter than ||. A JSON pattern matches only
// messages that are JSON objects. Other patterns (terms, space-delimited)
// are an error, so a test notices a pattern it did not mean to send.
func Match(filterPattern, message string) (bool, error) {
	if strings.TrimSpace(filterPattern) == "" {
		return true, nil
	}
	p, err := parsePattern(filterPattern)
	if err != nil {
		return false, err
	}
	return p.match(message), nil
}

// pattern is a parsed JSON filter pattern.
type pattern struct{ root node }

type node interface {
	eval(doc map[string]any) bool
}

type orNode []node
type andNode []node

type cmpNode struct {
	path  []string
	neg   bool
	value string
}

func (n orNode) eval(doc map[string]any) bool {
	for _, c := range n {
		if c.eval(doc) {
			return true
		}
	}
	return false
}

func (n andNode) eval(doc map[string]any) bool {
	for _, c := range n {
		if !c.eval(doc) {
			return false
		}
	}
	return true
}

func (n cmpNode) eval(doc map[string]any) bool {
	var v any = doc
	for _, k := range n.path {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[k]; !ok {
			return false
		}
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		return false
	}
	eq := wildcard(n.value, s)
	return eq != n.neg
}

// wildcard matches s against p, where * in p matches any run of characters.
func wildcard(p, s string) bool {
	parts := strings.Split(p, "*")
	if len(parts) == 1 {
		return p == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

func (p *pattern) match(message string) bool {
	var doc map[string]any
	if json.Unmarshal([]byte(strings.TrimSpace(message)), &doc) != nil {
		return false
	}
	return p.root.eval(doc)
}

func parsePattern(s string) (*pattern, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, fmt.Errorf("fakecwlogs understands only JSON patterns { ... }, not %q", s)
	}
	ps := &parser{toks: nil}
	if err := ps.lex(s[1 : len(s)-1]); err != nil {
		return nil, err
	}
	n, err := ps.or()
	if err != nil {
		return nil, err
	}
	if ps.pos != len(ps.toks) {
		return nil, fmt.Errorf("unexpected %q", ps.toks[ps.pos])
	}
	return &pattern{root: n}, nil
}

type parser struct {
	toks []string
	pos  int
}

func (p *parser) lex(s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')':
			p.toks = append(p.toks, string(c))
			i++
		case strings.HasPrefix(s[i:], "&&"), strings.HasPrefix(s[i:], "||"), strings.HasPrefix(s[i:], "!="):
			p.toks = append(p.toks, s[i:i+2])
			i += 2
		case c == '=':
			p.toks = append(p.toks, "=")
			i++
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return errors.New("unterminated string")
			}
			p.toks = append(p.toks, s[i:i+j+2])
			i += j + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t()=!&|\"", rune(s[j])) {
				j++
			}
			if j == i {
				return fmt.Errorf("unexpected %q", s[i:])
			}
			p.toks = append(p.toks, s[i:j])
			i = j
		}
	}
	return nil
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *parser) next() string {
	t := p.peek()
	p.pos++
	return t
}

func (p *parser) or() (node, error) {
	var n orNode
	for {
		c, err := p.and()
		if err != nil {
			return nil, err
		}
		n = append(n, c)
		if p.peek() != "||" {
			break
		}
		p.next()
	}
	if len(n) == 1 {
		return n[0], nil
	}
	return n, nil
}

func (p *parser) and() (node, error) {
	var n andNode
	for {
		c, err := p.primary()
		if err != nil {
			return nil, err
		}
		n = append(n, c)
		if p.peek() != "&&" {
			break
		}
		p.next()
	}
	if len(n) == 1 {
		return n[0], nil
	}
	return n, nil
}

func (p *parser) primary() (node, error) {
	t := p.next()
	if t == "(" {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, errors.New("missing )")
		}
		return n, nil
	}
	sel, ok := strings.CutPrefix(t, "$.")
	if !ok || sel == "" {
		return nil, fmt.Errorf("want a selector $.field, got %q", t)
	}
	op := p.next()
	if op != "=" && op != "!=" {
		return nil, fmt.Errorf("want = or != after %s, got %q", t, op)
	}
	v := p.next()
	switch {
	case v == "" || v == "(" || v == ")" || v == "&&" || v == "||":
		return nil, fmt.Errorf("want a value after %s %s", t, op)
	case strings.HasPrefix(v, `"`):
		v = v[1 : len(v)-1]
	}
	return cmpNode{path: strings.Split(sel, "."), neg: op == "!=", value: v}, nil
}
