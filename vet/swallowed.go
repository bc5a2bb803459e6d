package vet

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Swallowed reports error paths that a handler of an S3, SQS, SNS,
// EventBridge, Kinesis or DynamoDB Streams event (or of one of their
// records) takes without telling Lambda: an `if err != nil` whose branch
// logs, counts or does nothing with the error and then continues, breaks,
// returns nil or falls through. Lambda then records a success: no retry, no
// dead-letter queue, and the event is gone. The branch is fine when it
// returns a non-nil error, panics or exits, keeps the error (assigns,
// appends, sends or passes it to anything but a logger or errors.Is/As;
// wrapped or joined into a local variable that is itself only logged, it
// is still dropped),
// reports the record in BatchItemFailures, or when the error is used again
// after the branch. A deferred recover() that neither re-panics nor sets the
// handler's named error result swallows a panic the same way.
var Swallowed = newAnalyzer("swallowed",
	"report error paths in S3/SQS/SNS/EventBridge/Kinesis/DynamoDB Streams handlers that log and continue or return nil",
	nil, runSwallowed)

func runSwallowed(pass *analysis.Pass) error {
	for _, h := range handlers(pass) {
		if !h.isAsync() {
			continue
		}
		checkSwallowed(pass, h)
	}
	return nil
}

func checkSwallowed(pass *analysis.Pass, h handler) {
	info := pass.TypesInfo
	// Walk the handler's own statements, keeping the enclosing blocks to
	// find uses of the error after its if statement.
	var walk func(stmts []ast.Stmt, after []ast.Stmt)
	visit := func(n ast.Node, rest []ast.Stmt) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false // another function: a goroutine, a callback
			case *ast.BlockStmt:
				walk(n.List, rest)
				return false
			case *ast.CaseClause:
				walk(n.Body, rest)
				return false
			case *ast.CommClause:
				walk(n.Body, rest)
				return false
			}
			return true
		})
	}
	walk = func(stmts []ast.Stmt, after []ast.Stmt) {
		for i, s := range stmts {
			rest := append(append([]ast.Stmt{}, stmts[i+1:]...), after...)
			if ifs, ok := s.(*ast.IfStmt); ok {
				if errVar := errNotNil(info, ifs.Cond); errVar != nil && !propagates(info, h, ifs.Body, errVar) &&
					!(fallsThrough(ifs.Body) && usedIn(info, errVar, rest)) {
					pass.Reportf(ifs.Pos(), "the error %s is dropped in this %s handler (logged at most, then %s): Lambda records a success, so the event is neither retried nor sent to the dead-letter queue; return it (or report the record in BatchItemFailures)",
						errVar.Name(), h.event.Name(), ending(ifs.Body))
				}
				visit(ifs.Body, rest)
				if ifs.Else != nil {
					visit(ifs.Else, rest)
				}
				continue
			}
			visit(s, rest)
		}
	}
	walk(h.body.List, nil)
	checkRecover(pass, h)
}

// checkRecover reports a deferred closure of the handler that recovers a
// panic and neither re-panics nor sets the handler's error result: the
// panic becomes a success.
func checkRecover(pass *analysis.Pass, h handler) {
	info := pass.TypesInfo
	results := map[types.Object]bool{}
	for i := range h.sig.Results().Len() {
		if r := h.sig.Results().At(i); r.Name() != "" && isError(r.Type()) {
			results[r] = true
		}
	}
	ast.Inspect(h.body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		d, ok := n.(*ast.DeferStmt)
		if !ok {
			return true
		}
		lit, ok := d.Call.Fun.(*ast.FuncLit)
		if !ok {
			return false
		}
		recovers, kept := false, false
		ast.Inspect(lit.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok {
					if b, ok := info.Uses[id].(*types.Builtin); ok && b.Name() == "recover" {
						recovers = true
					}
				}
				if exits(info, n) {
					kept = true
				}
			case *ast.AssignStmt:
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok && results[info.Uses[id]] {
						kept = true
					}
				}
			}
			return true
		})
		if recovers && !kept {
			pass.Reportf(d.Pos(), "this deferred recover() turns a panic of the %s handler into a success: Lambda neither retries nor dead-letters the event; set the handler's named error result (err = fmt.Errorf(\"panic: %%v\", r)) or re-panic", h.event.Name())
		}
		return false
	})
}

// errNotNil returns the error variable of a condition `err != nil`.
func errNotNil(info *types.Info, cond ast.Expr) *types.Var {
	b, ok := ast.Unparen(cond).(*ast.BinaryExpr)
	if !ok || b.Op != token.NEQ {
		return nil
	}
	x, y := ast.Unparen(b.X), ast.Unparen(b.Y)
	if isNilIdent(info, x) {
		x, y = y, x
	}
	id, ok := x.(*ast.Ident)
	if !ok || !isNilIdent(info, y) {
		return nil
	}
	v, ok := info.Uses[id].(*types.Var)
	if !ok || !isError(v.Type()) {
		return nil
	}
	return v
}

func isNilIdent(info *types.Info, e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	if !ok {
		return false
	}
	_, isNil := info.Uses[id].(*types.Nil)
	return isNil
}

// propagates reports whether body hands the failure on to Lambda.
func propagates(info *types.Info, h handler, body *ast.BlockStmt, errVar *types.Var) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			// A deferred or called closure that uses the error keeps it.
			if usedIn(info, errVar, n.Body.List) {
				found = true
			}
			return false
		case *ast.ReturnStmt:
			if !h.returnsError() {
				return true
			}
			if len(n.Results) == 0 { // a bare return of a named error result
				found = true
			} else if !isNilIdent(info, n.Results[len(n.Results)-1]) {
				found = true
			}
		case *ast.CallExpr:
			if exits(info, n) {
				found = true
				return false
			}
			if !harmless(info, n) && argsUse(info, n, errVar) {
				found = true
				return false
			}
			// Logging and errors.Is/As calls see the error but do not keep it.
			if harmless(info, n) {
				return false
			}
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if isBatchFailures(info, l) {
					found = true
				}
			}
			for _, r := range n.Rhs {
				if usesVar(info, r, errVar) {
					if !intoDropped(info, h, n) {
						found = true
					}
					return false // the wrapping calls on the right are the assignment's
				}
			}
		case *ast.SendStmt:
			if usesVar(info, n.Value, errVar) {
				found = true
			}
		case *ast.CompositeLit:
			if t, ok := eventName(info.TypeOf(n)); ok && strings.HasSuffix(t.Name(), "BatchItemFailure") {
				found = true
			}
		}
		return true
	})
	return found
}

// isBatchFailures reports whether e is a BatchItemFailures field of an
// events response.
func isBatchFailures(info *types.Info, e ast.Expr) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "BatchItemFailures" {
		return false
	}
	_, ok = eventName(info.TypeOf(sel.X))
	return ok
}

// exits reports whether call ends the invocation with a failure: panic,
// log.Fatal*, os.Exit.
func exits(info *types.Info, call *ast.CallExpr) bool {
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		if b, ok := info.Uses[id].(*types.Builtin); ok && b.Name() == "panic" {
			return true
		}
	}
	fn := funcOf(info, call)
	if fn == nil || fn.Pkg() == nil {
		return false
	}
	switch fn.Pkg().Path() {
	case "os":
		return fn.Name() == "Exit"
	case "log":
		return strings.HasPrefix(fn.Name(), "Fatal") || strings.HasPrefix(fn.Name(), "Panic")
	}
	return false
}

// harmless reports whether call only looks at the error: a logger, a
// printer, errors.Is/As, an error's Error method.
func harmless(info *types.Info, call *ast.CallExpr) bool {
	fn := funcOf(info, call)
	if fn == nil {
		return false
	}
	path := ""
	if fn.Pkg() != nil {
		path = fn.Pkg().Path()
	}
	name := fn.Name()
	switch path {
	case "log", "log/slog":
		return true
	case "fmt":
		return strings.HasPrefix(name, "Print") || strings.HasPrefix(name, "Fprint") || strings.HasPrefix(name, "Sprint")
	case "errors":
		return name == "Is" || name == "As"
	}
	if name == "Error" && fn.Type().(*types.Signature).Params().Len() == 0 {
		return true // err.Error()
	}
	if fn.Type().(*types.Signature).Recv() != nil {
		for _, p := range []string{"Print", "Log", "Debug", "Info", "Warn", "Error", "Fatal"} {
			if strings.HasPrefix(name, p) && name != "Errorf" {
				return !strings.HasPrefix(name, "Fatal")
			}
		}
	}
	return false
}

func funcOf(info *types.Info, call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	default:
		return nil
	}
	fn, _ := info.Uses[id].(*types.Func)
	return fn
}

func argsUse(info *types.Info, call *ast.CallExpr, v *types.Var) bool {
	for _, a := range call.Args {
		if usesVar(info, a, v) {
			return true
		}
	}
	return false
}

// usesVar reports whether expression e mentions v.
func usesVar(info *types.Info, e ast.Node, v *types.Var) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && info.Uses[id] == v {
			found = true
		}
		return !found
	})
	return found
}

func usedIn(info *types.Info, v *types.Var, stmts []ast.Stmt) bool {
	for _, s := range stmts {
		if usesVar(info, s, v) {
			return true
		}
	}
	return false
}

// fallsThrough reports whether control can leave body at its end.
func fallsThrough(body *ast.BlockStmt) bool {
	if len(body.List) == 0 {
		return true
	}
	switch s := body.List[len(body.List)-1].(type) {
	case *ast.ReturnStmt, *ast.BranchStmt:
		return false
	case *ast.ExprStmt:
		if c, ok := s.X.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "panic" {
				return false
			}
		}
	}
	return true
}

// ending says how body leaves, for the message.
func ending(body *ast.BlockStmt) string {
	if len(body.List) > 0 {
		switch s := body.List[len(body.List)-1].(type) {
		case *ast.ReturnStmt:
			return "returns"
		case *ast.BranchStmt:
			return s.Tok.String() + "s"
		}
	}
	return "goes on"
}

// intoDropped reports whether assignment a only moves the error into local
// variables of the handler that go nowhere: `w := fmt.Errorf("...: %w",
// err)`, `errs = errors.Join(errs, err)`, `errs = append(errs, err)`, where
// each variable is afterwards only logged, compared (`errs != nil`,
// `len(errs) > 0`) or folded into itself. A variable returned, passed on,
// sent, stored or captured keeps the error.
func intoDropped(info *types.Info, h handler, a *ast.AssignStmt) bool {
	if len(a.Lhs) == 0 {
		return false
	}
	for _, l := range a.Lhs {
		id, ok := ast.Unparen(l).(*ast.Ident)
		if !ok {
			return false // a field, an index: stored
		}
		v, _ := info.ObjectOf(id).(*types.Var)
		if v == nil || v.Pos() < h.body.Pos() || v.Pos() >= h.body.End() || keptVar(info, h.body, v) {
			return false
		}
	}
	return true
}

// keptVar reports whether v is used in body other than by a logger (or
// errors.Is/As), a comparison, or an assignment to v itself.
func keptVar(info *types.Info, body *ast.BlockStmt, v *types.Var) bool {
	kept := false
	assigned := map[*ast.Ident]bool{} // v = ...: a store into v, not a use
	ast.Inspect(body, func(n ast.Node) bool {
		if kept {
			return false
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			if harmless(info, n) {
				return false
			}
		case *ast.BinaryExpr:
			switch n.Op {
			case token.EQL, token.NEQ, token.LSS, token.GTR, token.LEQ, token.GEQ:
				return false
			}
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if id, ok := ast.Unparen(l).(*ast.Ident); ok && info.ObjectOf(id) == v {
					assigned[id] = true
				}
			}
			if id, ok := ast.Unparen(n.Lhs[0]).(*ast.Ident); ok && len(n.Lhs) == 1 && assigned[id] {
				return false // v = errors.Join(v, err), v = append(v, err)
			}
		case *ast.Ident:
			if info.Uses[n] == v && !assigned[n] {
				kept = true
				return false
			}
		}
		return true
	})
	return kept
}
