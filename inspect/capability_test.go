package inspect_test

import (
	"context"
	"testing"

	"github.com/rampartdev/rampart/inspect"
)

// named is a source with nothing but a name (its other methods are never
// called here).
type named struct{ inspect.Source }

func (named) Backend() (string, string) { return "test", "nowhere" }

type lister struct{ named }

func (lister) DeadLetters(context.Context, inspect.DeadLetterQuery) (inspect.Page[inspect.DeadLetter], error) {
	return inspect.Page[inspect.DeadLetter]{}, nil
}

type explained struct{ named }

func (explained) WhyNot(c inspect.Capability) string {
	if c == inspect.TokenListing {
		return "tokens live elsewhere"
	}
	return ""
}

func TestWhyNot(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  inspect.Source
		c    inspect.Capability
		has  bool
		why  string
	}{
		{"implemented", lister{}, inspect.DeadLetterListing, true, ""},
		{"missing", lister{}, inspect.TokenListing, false, "the test backend does not offer gateway token listing"},
		{"explained", explained{}, inspect.TokenListing, false, "tokens live elsewhere"},
		{"explainer without a word", explained{}, inspect.Writing, false, "the test backend does not offer writes"},
		{"unknown capability", named{}, "teleport", false, "the test backend does not offer teleport"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := inspect.Has(tc.src, tc.c); got != tc.has {
				t.Errorf("Has = %v, want %v", got, tc.has)
			}
			if got := inspect.WhyNot(tc.src, tc.c); got != tc.why {
				t.Errorf("WhyNot = %q, want %q", got, tc.why)
			}
		})
	}
}
