package aws

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rampartdev/rampart/vet/awsrules"
)

// mustYAML parses a CloudFormation-flavoured YAML file with the parser of
// rampart vet's deployment rules (short-form intrinsics such as !Ref and
// !GetAtt in their long form).
func mustYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := awsrules.Decode(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// The deployment rules' own helpers: get follows keys through nested maps
// (nil when one is missing), actions lists an IAM action list (a lone
// string is a list of one).
var get, actions = awsrules.Get, awsrules.Strings

// strs lists a YAML list of strings (a lone string is none: the tests
// require lists where CloudFormation does).
func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func equal(a, b any) bool { return flat(a) == flat(b) }

// flat renders a value for matching.
func flat(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}
