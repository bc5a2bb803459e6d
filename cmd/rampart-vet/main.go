// Command rampart-vet runs Rampart's serverless analyzers (package vet) as a
// standalone checker or as go vet's tool:
//
//	go install github.com/rampartdev/rampart/cmd/rampart-vet@latest
//	rampart-vet ./...                          # like go vet, these analyzers only
//	go vet -vettool=$(which rampart-vet) ./...
//
// Flags are go/analysis's: -json prints the findings as JSON, -<analyzer>
// (e.g. -dedupe) selects analyzers, -test=false leaves out test files.
// `rampart vet` runs the same analyzers and the deployment rules too.
package main

import (
	"golang.org/x/tools/go/analysis/multichecker"

	"github.com/rampartdev/rampart/vet"
)

func main() { multichecker.Main(vet.Analyzers()...) }
