// Package golangci is Rampart's golangci-lint v2 module plugin: the
// analyzers of package vet as one linter named rampart.
//
// Build a golangci-lint that includes it with a .custom-gcl.yml beside
// your go.mod:
//
//	version: v2.15.0
//	plugins:
//	  - module: github.com/rampartdev/rampart
//	    import: github.com/rampartdev/rampart/vet/golangci
//	    version: latest
//
// then `golangci-lint custom` (it writes ./custom-gcl) and enable it in
// .golangci.yml:
//
//	version: "2"
//	linters:
//	  enable: [rampart]
//	  settings:
//	    custom:
//	      rampart:
//	        type: module
//	        description: serverless failure modes (rampart vet)
//	        settings:
//	          analyzers: [dedupe, swallowed]   # optional; default all
//
// Findings carry the rule and the README link as rampart vet prints them,
// and //rampart:ignore works as there (golangci-lint's //nolint:rampart too).
package golangci

import (
	"fmt"
	"strings"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	"github.com/rampartdev/rampart/vet"
)

func init() { register.Plugin("rampart", New) }

// Settings are the plugin's settings in .golangci.yml.
type Settings struct {
	// Analyzers names the analyzers to run; empty runs all.
	Analyzers []string `json:"analyzers"`
}

// Plugin is the rampart linter.
type Plugin struct{ settings Settings }

// New is the plugin's constructor, called by golangci-lint with the
// settings from its configuration.
func New(settings any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](settings)
	if err != nil {
		return nil, err
	}
	p := &Plugin{settings: s}
	if _, err := p.BuildAnalyzers(); err != nil {
		return nil, err
	}
	return p, nil
}

// BuildAnalyzers returns the analyzers the settings select.
func (p *Plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) {
	as, err := vet.Select(p.settings.Analyzers)
	if err != nil {
		return nil, fmt.Errorf("rampart: %w", err)
	}
	for i, a := range as {
		as[i] = unprefixed(a)
	}
	return as, nil
}

// GetLoadMode says the analyzers need type information.
func (p *Plugin) GetLoadMode() string { return register.LoadModeTypesInfo }

// unprefixed returns a copy of a whose messages do not start with the rule
// name: golangci-lint prints the analyzer's name before each message itself.
func unprefixed(a *analysis.Analyzer) *analysis.Analyzer {
	c := *a
	c.Run = func(pass *analysis.Pass) (any, error) {
		p := *pass
		p.Report = func(d analysis.Diagnostic) {
			d.Message = strings.TrimPrefix(d.Message, a.Name+": ")
			pass.Report(d)
		}
		return a.Run(&p)
	}
	return &c
}
