package vet

import (
	"go/ast"
	"go/constant"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"
)

const (
	eventsPath = "github.com/aws/aws-lambda-go/events"
	lambdaPath = "github.com/aws/aws-lambda-go/lambda"
)

// The trigger event types whose failures Lambda retries and dead-letters:
// a whole batch or event, and the records a per-record function gets.
var (
	asyncEvents = map[string]bool{
		"S3Event": true, "SQSEvent": true, "SNSEvent": true, "CloudWatchEvent": true,
		"KinesisEvent": true, "DynamoDBEvent": true,
		"SQSMessage": true, "S3EventRecord": true, "SNSEventRecord": true,
		"KinesisEventRecord": true, "DynamoDBEventRecord": true,
	}
	// batchEvents have a partial batch response: the type name of the
	// response for each.
	batchEvents = map[string]string{
		"SQSEvent": "SQSEventResponse", "KinesisEvent": "KinesisEventResponse", "DynamoDBEvent": "DynamoDBEventResponse",
	}
)

// handler is a function that Lambda invokes: one taking a context and an
// aws-lambda-go event (or record, as a batch processor's function does), or
// one passed to lambda.Start.
type handler struct {
	node  ast.Node // *ast.FuncDecl or *ast.FuncLit
	sig   *types.Signature
	body  *ast.BlockStmt
	event *types.TypeName // the events type among its parameters; nil for one found through lambda.Start
	param *types.Var      // the parameter of that type
}

// eventName returns t's events type (through a pointer and aliases), or,
// for a type defined on one (`type Orders events.SQSEvent`), the events
// type it was defined on.
func eventName(t types.Type) (*types.TypeName, bool) {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return nil, false
	}
	if n.Obj().Pkg().Path() == eventsPath {
		return n.Obj(), true
	}
	st, ok := n.Underlying().(*types.Struct)
	if !ok {
		return nil, false
	}
	events := eventsPkgOf(st)
	if events == nil {
		return nil, false
	}
	for _, name := range events.Scope().Names() {
		if tn, ok := events.Scope().Lookup(name).(*types.TypeName); ok && !tn.IsAlias() && types.Identical(tn.Type().Underlying(), st) {
			return tn, true
		}
	}
	return nil, false
}

// eventsPkgOf returns the aws-lambda-go events package if a field of st
// has one of its types (an element, a map value or a pointer's), or nil.
func eventsPkgOf(st *types.Struct) *types.Package {
	for i := range st.NumFields() {
		t := st.Field(i).Type()
		for {
			switch u := t.(type) {
			case *types.Pointer:
				t = u.Elem()
				continue
			case *types.Slice:
				t = u.Elem()
				continue
			case *types.Map:
				t = u.Elem()
				continue
			}
			break
		}
		if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == eventsPath {
			return n.Obj().Pkg()
		}
	}
	return nil
}

// handlers returns the package's handlers in source order.
func handlers(pass *analysis.Pass) []handler {
	var hs []handler
	started := map[types.Object]bool{} // functions passed to lambda.Start
	startedLits := map[*ast.FuncLit]bool{}
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isLambdaStart(pass.TypesInfo, call) || len(call.Args) == 0 {
				return true
			}
			switch a := ast.Unparen(call.Args[0]).(type) {
			case *ast.FuncLit:
				startedLits[a] = true
			case *ast.Ident:
				if o := pass.TypesInfo.Uses[a]; o != nil {
					started[o] = true
				}
			case *ast.SelectorExpr:
				if o := pass.TypesInfo.Uses[a.Sel]; o != nil {
					started[o] = true
				}
			}
			return true
		})
	}
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			var h handler
			switch fn := n.(type) {
			case *ast.FuncDecl:
				if fn.Body == nil {
					return true
				}
				o, _ := pass.TypesInfo.Defs[fn.Name].(*types.Func)
				if o == nil {
					return true
				}
				h = handler{node: fn, sig: o.Type().(*types.Signature), body: fn.Body}
				if started[o] {
					h.event = nil
					hs = append(hs, withEvent(h))
					return true
				}
			case *ast.FuncLit:
				sig, _ := pass.TypesInfo.TypeOf(fn).(*types.Signature)
				if sig == nil {
					return true
				}
				h = handler{node: fn, sig: sig, body: fn.Body}
				if startedLits[fn] {
					hs = append(hs, withEvent(h))
					return true
				}
			default:
				return true
			}
			// A handler takes the invocation's context first: a function of
			// a record alone (a key extractor, a decoder) is a helper.
			if h = withEvent(h); h.event != nil && h.sig.Params().Len() == 2 && isContext(h.sig.Params().At(0).Type()) {
				hs = append(hs, h)
			}
			return true
		})
	}
	return hs
}

// withEvent fills in the events parameter of h, if it has one.
func withEvent(h handler) handler {
	ps := h.sig.Params()
	for i := range ps.Len() {
		if tn, ok := eventName(ps.At(i).Type()); ok {
			h.event, h.param = tn, ps.At(i)
			break
		}
	}
	return h
}

// isLambdaStart reports whether call is lambda.Start and its kin.
func isLambdaStart(info *types.Info, call *ast.CallExpr) bool {
	var id *ast.Ident
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.SelectorExpr:
		id = f.Sel
	case *ast.IndexExpr: // lambda.StartHandlerFunc[T, U]
		if s, ok := f.X.(*ast.SelectorExpr); ok {
			id = s.Sel
		}
	case *ast.IndexListExpr:
		if s, ok := f.X.(*ast.SelectorExpr); ok {
			id = s.Sel
		}
	}
	if id == nil {
		return false
	}
	fn, ok := info.Uses[id].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != lambdaPath {
		return false
	}
	switch fn.Name() {
	case "Start", "StartWithOptions", "StartWithContext", "StartHandlerFunc", "NewHandler", "NewHandlerWithOptions":
		return true
	}
	return false
}

// isAsync reports whether h handles an event whose failure Lambda retries.
func (h handler) isAsync() bool { return h.event != nil && asyncEvents[h.event.Name()] }

// returnsError reports whether h's last result is an error.
func (h handler) returnsError() bool {
	r := h.sig.Results()
	return r.Len() > 0 && isError(r.At(r.Len()-1).Type())
}

func isError(t types.Type) bool { return types.Identical(t, errorType) }

var errorType = types.Universe.Lookup("error").Type()

// ssaFuncs returns the SSA functions of the handlers, each with its
// closures (which run during the invocation too, unless skip says not).
func ssaFuncs(hs []handler, funcs []*ssa.Function, skip func(*ssa.Function) bool) []*ssa.Function {
	nodes := map[ast.Node]bool{}
	for _, h := range hs {
		nodes[h.node] = true
	}
	var out []*ssa.Function
	seen := map[*ssa.Function]bool{} // a handler's closure may be a handler too
	var add func(f *ssa.Function)
	add = func(f *ssa.Function) {
		if seen[f] || skip != nil && skip(f) {
			return
		}
		seen[f] = true
		out = append(out, f)
		for _, a := range f.AnonFuncs {
			add(a)
		}
	}
	for _, f := range funcs {
		if nodes[f.Syntax()] {
			add(f)
		}
	}
	return out
}

// callee describes the function or method a call reaches: its package
// path, receiver type name (without pointer) and name. For an interface
// method call the package is the interface's.
type callee struct {
	pkg, recv, name string
	fn              *types.Func
}

func calleeOf(c *ssa.CallCommon) callee {
	var fn *types.Func
	if c.IsInvoke() {
		fn = c.Method
	} else if f := c.StaticCallee(); f != nil {
		if o, ok := f.Object().(*types.Func); ok {
			fn = o
		} else if f.Pkg != nil { // a closure or wrapper
			return callee{pkg: f.Pkg.Pkg.Path(), name: f.Name()}
		}
	}
	if fn == nil {
		return callee{}
	}
	ce := callee{name: fn.Name(), fn: fn}
	if fn.Pkg() != nil {
		ce.pkg = fn.Pkg().Path()
	}
	if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil {
		t := sig.Recv().Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		if n, ok := types.Unalias(t).(*types.Named); ok {
			ce.recv = n.Obj().Name()
			if n.Obj().Pkg() != nil {
				ce.pkg = n.Obj().Pkg().Path()
			}
		}
	}
	return ce
}

func (c callee) is(pkg, name string) bool { return c.pkg == pkg && c.name == name && c.recv == "" }

// inModule reports whether the callee's package is path or below it.
func (c callee) under(path string) bool { return c.pkg == path || strings.HasPrefix(c.pkg, path+"/") }

// constString returns the string constant v holds, seen through
// aws.String, conversions, concatenation of constants and a local variable
// assigned once (`cond := "..."; in.ConditionExpression = &cond`).
func constString(v ssa.Value) (string, bool) {
	switch v := v.(type) {
	case *ssa.Const:
		if v.Value != nil && v.Value.Kind() == constant.String {
			return constant.StringVal(v.Value), true
		}
	case *ssa.Call:
		ce := calleeOf(&v.Call)
		if (ce.is(awsPath, "String") || ce.is(awsPath, "Ptr")) && len(v.Call.Args) == 1 {
			return constString(v.Call.Args[0])
		}
	case *ssa.ChangeType:
		return constString(v.X)
	case *ssa.MakeInterface:
		return constString(v.X)
	case *ssa.BinOp:
		a, ok1 := constString(v.X)
		b, ok2 := constString(v.Y)
		return a + b, ok1 && ok2
	case *ssa.UnOp: // a load through a pointer made by aws.String or &local
		switch ptr := v.X.(type) {
		case *ssa.Call:
			return constString(ptr)
		case *ssa.Alloc:
			return constString(ptr)
		}
	case *ssa.Alloc: // &s of a local s: the one string constant stored in it
		var str string
		stores := 0
		for _, r := range *v.Referrers() {
			if st, ok := r.(*ssa.Store); ok && st.Addr == v {
				c, ok := constString(st.Val)
				if !ok {
					return "", false
				}
				str = c
				stores++
			}
		}
		return str, stores == 1
	}
	return "", false
}

const awsPath = "github.com/aws/aws-sdk-go-v2/aws"

// isNilConst reports whether v is the constant nil.
func isNilConst(v ssa.Value) bool {
	c, ok := v.(*ssa.Const)
	return ok && c.IsNil()
}

// errorResult returns the error that call returns last, or nil.
func errorResult(call *ssa.Call) ssa.Value {
	res := call.Call.Signature().Results()
	if res.Len() == 0 || !isError(res.At(res.Len()-1).Type()) {
		return nil
	}
	if res.Len() == 1 {
		return call
	}
	for _, r := range *call.Referrers() {
		if e, ok := r.(*ssa.Extract); ok && e.Index == res.Len()-1 {
			return e
		}
	}
	return nil
}

// helperCall is a function of the package that a handler calls (directly
// or through other such functions), with the handler's call that leads to
// it.
type helperCall struct {
	fn   *ssa.Function
	site ssa.CallInstruction // in the handler
}

// helpers returns the package's functions that the handler functions hs
// call, not deferred, through at most depth calls, in the order found; the
// handlers themselves and the functions skip rejects are left out. A
// helper that takes no context of its own and makes one up, or builds a
// client, does it on every invocation as much as the handler would.
func helpers(hs []*ssa.Function, src []*ssa.Function, depth int, skip func(*ssa.Function) bool) []helperCall {
	inPkg := map[*ssa.Function]bool{}
	for _, f := range src {
		inPkg[f] = true
	}
	seen := map[*ssa.Function]bool{}
	for _, h := range hs {
		seen[h] = true
	}
	var out []helperCall
	type item struct {
		fn   *ssa.Function
		site ssa.CallInstruction
		d    int
	}
	var work []item
	for _, h := range hs {
		work = append(work, item{fn: h})
	}
	for len(work) > 0 {
		it := work[0]
		work = work[1:]
		if it.d == depth {
			continue
		}
		for _, b := range it.fn.Blocks {
			for _, instr := range b.Instrs {
				ci, ok := instr.(ssa.CallInstruction)
				if !ok {
					continue
				}
				if _, ok := ci.(*ssa.Defer); ok {
					continue
				}
				f := ci.Common().StaticCallee()
				if f == nil {
					continue
				}
				if o := f.Origin(); o != nil {
					f = o // an instance of a generic function
				}
				if !inPkg[f] || seen[f] || skip != nil && skip(f) {
					continue
				}
				seen[f] = true
				site := it.site
				if site == nil {
					site = ci
				}
				out = append(out, helperCall{fn: f, site: site})
				work = append(work, item{fn: f, site: site, d: it.d + 1})
				for _, a := range f.AnonFuncs {
					if !seen[a] && (skip == nil || !skip(a)) {
						seen[a] = true
						out = append(out, helperCall{fn: a, site: site})
						work = append(work, item{fn: a, site: site, d: it.d + 1})
					}
				}
			}
		}
	}
	return out
}
