package vet

import (
	"fmt"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/buildssa"
	"golang.org/x/tools/go/ssa"
)

// Deadline reports calls inside a Lambda handler, or in a function of the
// package it calls (up to three calls deep), that drop the invocation's
// deadline: a context.Background() or context.TODO() passed where the
// handler's ctx belongs, and net/http requests made without a context.
// Such calls go on after Lambda has given up on the invocation (or block it
// until its timeout), and their work is cut off when the next invocation
// thaws the environment. Contexts derived on purpose (context.WithTimeout of
// Background for a cleanup, context.WithoutCancel) and deferred calls and
// closures (cleanups that run when the handler returns) are not reported,
// nor is init run once inside sync.Once.Do or sync.OnceFunc/OnceValue(s)
// (its result outlives the invocation, which must not cancel it; initclient
// treats it as init too).
var Deadline = newAnalyzer("deadline",
	"report SDK, database and HTTP calls in a Lambda handler made with context.Background/TODO or no context",
	[]*analysis.Analyzer{buildSSA}, runDeadline)

func runDeadline(pass *analysis.Pass) error {
	hs := handlers(pass)
	if len(hs) == 0 {
		return nil
	}
	ssaInfo := pass.ResultOf[buildSSA].(*buildssa.SSA)
	once := onceClosures(ssaInfo.SrcFuncs)
	skip := func(f *ssa.Function) bool { return deferred(f) || once[f] }
	fns := ssaFuncs(hs, ssaInfo.SrcFuncs, skip)
	for _, fn := range fns {
		checkDeadline(pass, fn, "")
	}
	for _, hc := range helpers(fns, ssaInfo.SrcFuncs, 3, skip) {
		checkDeadline(pass, hc.fn, fmt.Sprintf(" (in %s, which the handler calls at line %d)", hc.fn.Name(), pass.Fset.Position(hc.site.Pos()).Line))
	}
	return nil
}

// checkDeadline reports fn's calls that drop the invocation's context;
// where says which function of the handler's they are in, if not its own.
func checkDeadline(pass *analysis.Pass, fn *ssa.Function, where string) {
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			ci, ok := instr.(ssa.CallInstruction)
			if !ok {
				continue
			}
			if _, ok := ci.(*ssa.Defer); ok {
				continue // a cleanup chooses its own context
			}
			c := ci.Common()
			ce := calleeOf(c)
			if ce.pkg == "context" {
				continue // deriving a context is a choice, not a loss
			}
			for _, arg := range c.Args {
				if name, ok := freshContext(arg); ok {
					pass.Reportf(ci.Pos(), "%s passes context.%s() inside a Lambda handler%s: the call ignores the invocation's deadline and cancellation; pass the handler's ctx", describe(ce), name, where)
					break
				}
			}
			if noContextHTTP(ce, ci) {
				pass.Reportf(ci.Pos(), "%s makes an HTTP request without the invocation's context%s: it is not cancelled at the deadline; use http.NewRequestWithContext(ctx, ...) and Client.Do", describe(ce), where)
			}
		}
	}
}

// deferred reports whether the closure f only ever runs deferred: a
// cleanup, which runs when the handler returns (often because its context
// ended) and may take a context of its own on purpose.
func deferred(f *ssa.Function) bool {
	parent := f.Parent()
	if parent == nil {
		return false
	}
	uses := 0
	for _, b := range parent.Blocks {
		for _, instr := range b.Instrs {
			switch instr := instr.(type) {
			case *ssa.Defer:
				if instr.Call.Value == f {
					uses++
				}
			case *ssa.MakeClosure:
				if instr.Fn != f {
					continue
				}
				for _, r := range *instr.Referrers() {
					d, ok := r.(*ssa.Defer)
					if !ok || d.Call.Value != instr {
						return false
					}
					uses++
				}
			}
		}
	}
	return uses > 0
}

// freshContext reports whether v is context.Background() or TODO().
func freshContext(v ssa.Value) (string, bool) {
	if !isContext(v.Type()) {
		return "", false
	}
	seen := map[ssa.Value]bool{}
	var name string
	var walk func(v ssa.Value) bool
	walk = func(v ssa.Value) bool {
		if seen[v] {
			return true
		}
		seen[v] = true
		switch v := v.(type) {
		case *ssa.Call:
			ce := calleeOf(&v.Call)
			if ce.is("context", "Background") || ce.is("context", "TODO") {
				name = ce.name
				return true
			}
		case *ssa.Phi:
			for _, e := range v.Edges {
				if !walk(e) {
					return false
				}
			}
			return true
		case *ssa.ChangeInterface:
			return walk(v.X)
		}
		return false
	}
	return name, walk(v) && name != ""
}

// isContext reports whether t is context.Context.
func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

// noContextHTTP reports whether ci is an HTTP call that carries no context:
// http.Get and its kin, or http.NewRequest whose request is never given one.
func noContextHTTP(ce callee, ci ssa.CallInstruction) bool {
	if ce.pkg != "net/http" {
		return false
	}
	switch ce.name {
	case "Get", "Head", "Post", "PostForm":
		return ce.recv == "" || ce.recv == "Client"
	case "NewRequest":
		if ce.recv != "" {
			return false
		}
		call, ok := ci.(*ssa.Call)
		if !ok {
			return false
		}
		for _, r := range *call.Referrers() {
			ex, ok := r.(*ssa.Extract)
			if !ok || ex.Index != 0 {
				continue
			}
			for _, u := range *ex.Referrers() {
				if c, ok := u.(ssa.CallInstruction); ok {
					uc := calleeOf(c.Common())
					if uc.pkg == "net/http" && uc.recv == "Request" && (uc.name == "WithContext" || uc.name == "Clone") {
						return false
					}
				}
			}
		}
		return true
	}
	return false
}

// describe names a callee for a message: pkg.Func or (T).Method.
func describe(ce callee) string {
	switch {
	case ce.name == "":
		return "this call"
	case ce.recv != "":
		return ce.recv + "." + ce.name
	default:
		return lastElem(ce.pkg) + "." + ce.name
	}
}

func lastElem(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}
