package golangci_test

import (
	"testing"

	"github.com/golangci/plugin-module-register/register"

	_ "github.com/rampartdev/rampart/vet/golangci"
)

// The plugin registers under the name .golangci.yml uses and builds the
// analyzers its settings select, as golangci-lint calls it.
func TestPlugin(t *testing.T) {
	newPlugin, err := register.GetPlugin("rampart")
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlugin(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.BuildAnalyzers()
	if err != nil || len(as) != 6 || p.GetLoadMode() != register.LoadModeTypesInfo {
		t.Fatalf("analyzers %v, %v, mode %s", as, err, p.GetLoadMode())
	}
	p, err = newPlugin(map[string]any{"analyzers": []any{"dedupe", "swallowed"}})
	if err != nil {
		t.Fatal(err)
	}
	if as, _ := p.BuildAnalyzers(); len(as) != 2 || as[0].Name != "dedupe" || as[1].Name != "swallowed" {
		t.Fatalf("selected analyzers %v", as)
	}
	if _, err := newPlugin(map[string]any{"analyzers": []any{"nope"}}); err == nil {
		t.Fatal("an unknown analyzer was accepted")
	}
	if _, err := newPlugin(map[string]any{"analyzer": "dedupe"}); err == nil {
		t.Fatal("an unknown setting was accepted")
	}
}
