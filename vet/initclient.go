package vet

import (
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/buildssa"
	"golang.org/x/tools/go/ssa"
)

// InitClient reports SDK configurations and clients built inside a Lambda
// handler: config.LoadDefaultConfig, a service's NewFromConfig or New, a
// Redis or SQL client, an http.Transport, directly or through a function of
// the package that builds one and does not keep it. Built per invocation, each one
// re-reads the environment and credentials and opens new connections
// (TLS handshakes on the hot path, sockets left to the garbage collector);
// built once at init, it is reused for the life of the execution
// environment. A client made lazily into a package variable (or a nil-checked field of
// the receiver or of a struct the handler closes over), or inside
// sync.Once / sync.OnceValue(s), is init and not reported.
var InitClient = newAnalyzer("initclient",
	"report SDK configs and clients created inside a Lambda handler instead of once at init",
	[]*analysis.Analyzer{buildSSA}, runInitClient)

func runInitClient(pass *analysis.Pass) error {
	hs := handlers(pass)
	if len(hs) == 0 {
		return nil
	}
	ssaInfo := pass.ResultOf[buildSSA].(*buildssa.SSA)
	once := onceClosures(ssaInfo.SrcFuncs)
	fns := ssaFuncs(hs, ssaInfo.SrcFuncs, func(f *ssa.Function) bool { return once[f] })
	isHandler := map[*ssa.Function]bool{}
	for _, fn := range fns {
		isHandler[fn] = true
	}
	inPkg := map[*ssa.Function]bool{}
	for _, f := range ssaInfo.SrcFuncs {
		inPkg[f] = true
	}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				var what string
				switch v := instr.(type) {
				case *ssa.Call:
					what = clientConstructor(calleeOf(&v.Call))
					if f := v.Call.StaticCallee(); what == "" && f != nil {
						if o := f.Origin(); o != nil {
							f = o
						}
						if inPkg[f] && !isHandler[f] {
							if w := constructs(f, inPkg, once, 3, map[*ssa.Function]bool{}); w != "" {
								what = w + ", built by " + f.Name() + ","
							}
						}
					}
					if what != "" && storedGlobally(v) {
						what = ""
					}
				case *ssa.Alloc:
					if isNamed(deref(v.Type()), "net/http", "Transport") && !storedGlobally(v) {
						what = "an http.Transport"
					}
				}
				if what != "" {
					pass.Reportf(instr.Pos(), "%s is created inside the Lambda handler, on every invocation: create it once at init (in main or a constructor) and reuse it", what)
				}
			}
		}
	}
	return nil
}

// constructs names a client that the package function f (or one it calls,
// through at most depth calls) builds and does not keep for later calls,
// or returns "".
func constructs(f *ssa.Function, inPkg, once map[*ssa.Function]bool, depth int, seen map[*ssa.Function]bool) string {
	if depth == 0 || seen[f] || once[f] {
		return ""
	}
	seen[f] = true
	for _, b := range f.Blocks {
		for _, instr := range b.Instrs {
			switch v := instr.(type) {
			case *ssa.Call:
				if what := clientConstructor(calleeOf(&v.Call)); what != "" && !storedGlobally(v) {
					return what
				}
				if g := v.Call.StaticCallee(); g != nil {
					if o := g.Origin(); o != nil {
						g = o
					}
					if inPkg[g] && !storedGlobally(v) {
						if what := constructs(g, inPkg, once, depth-1, seen); what != "" {
							return what
						}
					}
				}
			case *ssa.Alloc:
				if isNamed(deref(v.Type()), "net/http", "Transport") && !storedGlobally(v) {
					return "an http.Transport"
				}
			}
		}
	}
	for _, a := range f.AnonFuncs {
		if what := constructs(a, inPkg, once, depth, seen); what != "" {
			return what
		}
	}
	return ""
}

// clientConstructor names what ce constructs, or returns "".
func clientConstructor(ce callee) string {
	switch {
	case ce.recv != "":
		return ""
	case ce.is("github.com/aws/aws-sdk-go-v2/config", "LoadDefaultConfig"):
		return "the AWS SDK configuration (config.LoadDefaultConfig)"
	case strings.HasPrefix(ce.pkg, "github.com/aws/aws-sdk-go-v2/service/") && (ce.name == "NewFromConfig" || ce.name == "New"):
		return "an AWS SDK client (" + lastElem(ce.pkg) + "." + ce.name + ")"
	case ce.is("github.com/aws/aws-sdk-go/aws/session", "NewSession") || ce.is("github.com/aws/aws-sdk-go/aws/session", "Must"):
		return "an AWS SDK v1 session"
	case (ce.under("github.com/redis/go-redis") || ce.under("github.com/go-redis/redis")) && strings.HasPrefix(ce.name, "New") && strings.HasSuffix(ce.name, "Client"):
		return "a Redis client (redis." + ce.name + ")"
	case ce.is("database/sql", "Open"):
		return "an SQL connection pool (sql.Open)"
	}
	return ""
}

// storedGlobally reports whether v (or the value it returns first) ends up
// in a package variable, directly or through the client built from it: lazy
// init that happens once.
func storedGlobally(v ssa.Value) bool { return flowsToGlobal(v, 3) }

func flowsToGlobal(v ssa.Value, depth int) bool {
	if depth == 0 {
		return false
	}
	vals := []ssa.Value{v}
	if call, ok := v.(*ssa.Call); ok && call.Call.Signature().Results().Len() > 1 {
		vals = nil
		for _, r := range *call.Referrers() {
			if e, ok := r.(*ssa.Extract); ok && e.Index == 0 {
				vals = append(vals, e)
			}
		}
	}
	for _, v := range vals {
		for _, r := range *v.Referrers() {
			switch r := r.(type) {
			case *ssa.Store:
				if r.Val == v && (isGlobalAddr(r.Addr) || lazyField(r.Addr)) {
					return true
				}
			case *ssa.Call:
				if flowsToGlobal(r, depth-1) {
					return true
				}
			}
		}
	}
	return false
}

// lazyField reports whether addr is a field of the handler's receiver or of
// a variable the handler closes over (state that outlives the invocation)
// that the function compares with nil: `if h.client == nil { h.client = ... }`.
func lazyField(addr ssa.Value) bool {
	fa, ok := addr.(*ssa.FieldAddr)
	if !ok {
		return false
	}
	switch fa.X.(type) {
	case *ssa.Parameter, *ssa.FreeVar:
	default:
		return false
	}
	for _, r := range *fa.X.Referrers() {
		other, ok := r.(*ssa.FieldAddr)
		if !ok || other.Field != fa.Field {
			continue
		}
		for _, lr := range *other.Referrers() {
			ld, ok := lr.(*ssa.UnOp)
			if !ok || ld.Op != token.MUL {
				continue
			}
			for _, cr := range *ld.Referrers() {
				if bo, ok := cr.(*ssa.BinOp); ok && (bo.Op == token.EQL || bo.Op == token.NEQ) && (isNilConst(bo.X) || isNilConst(bo.Y)) {
					return true
				}
			}
		}
	}
	return false
}

func isGlobalAddr(v ssa.Value) bool {
	switch v := v.(type) {
	case *ssa.Global:
		return true
	case *ssa.FieldAddr:
		return isGlobalAddr(v.X)
	}
	return false
}

// onceClosures returns the closures passed to (*sync.Once).Do and
// sync.OnceFunc/OnceValue/OnceValues: they run once.
func onceClosures(funcs []*ssa.Function) map[*ssa.Function]bool {
	m := map[*ssa.Function]bool{}
	for _, fn := range funcs { // closures included
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				ci, ok := instr.(ssa.CallInstruction)
				if !ok {
					continue
				}
				ce := calleeOf(ci.Common())
				if ce.pkg != "sync" || !(ce.recv == "Once" && ce.name == "Do" || ce.recv == "" && strings.HasPrefix(ce.name, "Once")) {
					continue
				}
				for _, a := range ci.Common().Args {
					switch a := a.(type) {
					case *ssa.Function:
						m[a] = true
					case *ssa.MakeClosure:
						m[a.Fn.(*ssa.Function)] = true
					}
				}
			}
		}
	}
	return m
}

func deref(t types.Type) types.Type {
	if p, ok := t.(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

func isNamed(t types.Type, pkg, name string) bool {
	n, ok := types.Unalias(deref(t)).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pkg && n.Obj().Name() == name
}
