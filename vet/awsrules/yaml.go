package awsrules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decode parses a CloudFormation-flavoured YAML document (a SAM template or
// a serverless.yml) into maps, slices and scalars, turning the short-form
// intrinsics (!Ref, !GetAtt, !Sub, ...) into their long form ({"Ref": x},
// {"Fn::GetAtt": "R.Attr"}, {"Fn::Sub": ...}). It also returns the node
// tree, for line numbers ([Line]). Aliases are expanded and merge keys
// (<<: *defaults, common in serverless.yml) merged, as the Serverless
// Framework's YAML reader does.
func Decode(b []byte) (map[string]any, *yaml.Node, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, nil, err
	}
	if len(n.Content) == 0 {
		return nil, nil, fmt.Errorf("empty document")
	}
	c := converter{budget: maxExpansion*len(b) + 4096}
	v := c.convert(n.Content[0])
	if c.budget < 0 {
		return nil, nil, fmt.Errorf("%w: through its aliases the document expands to more than %d times its size", ErrAliasing, maxExpansion)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("the document is not a mapping")
	}
	return m, n.Content[0], nil
}

// maxExpansion bounds how many times its own size a document may grow
// when its aliases are expanded: a template reuses a block a few times,
// while a "billion laughs" of nested aliases would take gigabytes and
// minutes to expand.
const maxExpansion = 16

// ErrAliasing is returned (wrapped) by [Decode] for a document whose
// aliases expand beyond maxExpansion times its size.
var ErrAliasing = errors.New("excessive aliasing")

// converter expands a node tree within a budget of nodes and scalar bytes;
// once it runs out it returns nil for every further node.
type converter struct{ budget int }

func (c *converter) convert(n *yaml.Node) any {
	if c.budget -= 1 + len(n.Value); c.budget < 0 {
		return nil
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		var merged []map[string]any // <<: *base or [*a, *b], earlier first
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Tag == "!!merge" {
				switch x := c.convert(n.Content[i+1]).(type) {
				case map[string]any:
					merged = append(merged, x)
				case []any:
					for _, e := range x {
						if mm, ok := e.(map[string]any); ok {
							merged = append(merged, mm)
						}
					}
				}
				continue
			}
			m[n.Content[i].Value] = c.convert(n.Content[i+1])
		}
		for _, mm := range merged { // the mapping's own keys win
			for k, x := range mm {
				if _, ok := m[k]; !ok {
					m[k] = x
				}
			}
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, e := range n.Content {
			l = append(l, c.convert(e))
		}
		v = l
	case yaml.AliasNode:
		return c.convert(n.Alias)
	default:
		var s any
		n.Decode(&s)
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			s = n.Value
		}
		v = s
	}
	switch tag := n.Tag; {
	case tag == "!Ref":
		return map[string]any{"Ref": v}
	case tag == "!GetAtt":
		if s, ok := v.(string); ok {
			return map[string]any{"Fn::GetAtt": s}
		}
		return map[string]any{"Fn::GetAtt": strings.Join(Strings(v), ".")}
	case strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!"):
		return map[string]any{"Fn::" + tag[1:]: v}
	}
	return v
}

// Get follows keys through nested maps; nil when one is missing.
func Get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Strings returns the strings of a list (a lone string is a list of one).
func Strings(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// Line returns the line of the value at keys in the node tree (a decimal
// key indexes a sequence), or of the deepest key found.
func Line(n *yaml.Node, keys ...string) int {
	line := n.Line
	for _, k := range keys {
		if n.Kind == yaml.SequenceNode {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			continue
		}
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				line = n.Content[i].Line
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}
