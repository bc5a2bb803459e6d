package aws

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// mustYAML parses a CloudFormation-flavoured YAML file, turning short-form
// intrinsics (!Ref, !GetAtt, !Sub, ...) into their long form.
func mustYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	return convert(n.Content[0]).(map[string]any)
}

func convert(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = convert(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, convert(c))
		}
		v = l
	case yaml.AliasNode:
		return convert(n.Alias)
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
		return map[string]any{"Fn::GetAtt": strings.Join(strs(v), ".")}
	case strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!"):
		return map[string]any{"Fn::" + tag[1:]: v}
	}
	return v
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func actions(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return strs(v)
}

func ref(name string) any { return map[string]any{"Ref": name} }

func equal(a, b any) bool { return flat(a) == flat(b) }

// flat renders a value for matching.
func flat(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}
