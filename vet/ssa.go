package vet

import (
	"go/ast"
	"go/types"
	"reflect"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/buildssa"
	"golang.org/x/tools/go/ssa"
)

// buildSSA builds a package's SSA form as buildssa does, without its
// ctrlflow pass: ctrlflow exports noreturn facts, and an analyzer that needs
// facts makes a go/packages driver (rampart vet, the multichecker) load and
// analyse every dependency from source, the AWS SDK included, at several
// times the cost of go vet. The only loss is that calls such as log.Fatal
// do not end their block; panic still does.
var buildSSA = &analysis.Analyzer{
	Name:       "rampartssa",
	Doc:        "build SSA form (buildssa without ctrlflow facts)",
	Run:        runBuildSSA,
	ResultType: reflect.TypeFor[*buildssa.SSA](),
}

func runBuildSSA(pass *analysis.Pass) (any, error) {
	prog := ssa.NewProgram(pass.Fset, 0)
	for _, p := range pass.Pkg.Imports() {
		prog.CreatePackage(p, nil, nil, true)
	}
	pkg := prog.CreatePackage(pass.Pkg, pass.Files, pass.TypesInfo, false)
	pkg.Build()
	var funcs []*ssa.Function
	var add func(f *ssa.Function)
	add = func(f *ssa.Function) {
		funcs = append(funcs, f)
		for _, a := range f.AnonFuncs {
			add(a)
		}
	}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func)
			if !ok {
				continue
			}
			if sf := prog.FuncValue(fn); sf != nil {
				add(sf)
			}
		}
	}
	return &buildssa.SSA{Pkg: pkg, SrcFuncs: funcs}, nil
}
