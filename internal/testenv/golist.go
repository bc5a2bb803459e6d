package testenv

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// Module is the import path of this module.
const Module = "github.com/rampartdev/rampart"

// Package is what `go list -json` says about a package, as far as the
// tests of the import graph need.
type Package struct {
	ImportPath   string
	Dir          string   // its folder
	GoFiles      []string // its non-test Go files, relative to Dir
	TestGoFiles  []string // its in-package test files
	XTestGoFiles []string // its _test package's files
	Imports      []string // of its non-test files
	TestImports  []string // of its in-package test files
	XTestImports []string // of its _test package
	Deps         []string // every package it links, recursively (non-test)
}

// GoList runs `go list -json` on the patterns (import paths or patterns
// such as Module + "/..."), or fails t.
func GoList(t testing.TB, patterns ...string) []Package {
	t.Helper()
	goTool := Command(t, "go")
	cmd := exec.Command(goTool, append([]string{"list", "-json"}, patterns...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(patterns, " "), err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}
