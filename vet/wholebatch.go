package vet

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// WholeBatch reports SQS, Kinesis and DynamoDB Streams handlers that fail
// the whole batch for one record: a non-nil error returned from inside the
// loop over the event's Records, or an error collected in that loop and
// returned after it. Lambda then retries every record of the batch, the
// ones that succeeded included (repeating their side effects), and after
// maxReceiveCount sends them all to the dead-letter queue. A partial batch
// response (events.SQSEventResponse and its stream kin, with
// ReportBatchItemFailures on the event source; batch.SQS does both) names
// only the failed records. Errors before the loop (the whole invocation
// cannot run) are not reported.
var WholeBatch = newAnalyzer("wholebatch",
	"report SQS/Kinesis/DynamoDB Streams handlers that return an error for the whole batch instead of a partial batch response",
	nil, runWholeBatch)

func runWholeBatch(pass *analysis.Pass) error {
	info := pass.TypesInfo
	for _, h := range handlers(pass) {
		if h.event == nil || batchEvents[h.event.Name()] == "" || !h.returnsError() {
			continue
		}
		resp := batchEvents[h.event.Name()]
		hasResp := false
		for i := range h.sig.Results().Len() {
			if tn, ok := eventName(h.sig.Results().At(i).Type()); ok && tn.Name() == resp {
				hasResp = true
			}
		}
		why := "return events." + resp + " with the failed records in BatchItemFailures and a nil error (or use Rampart's batch package)"
		if hasResp {
			why = "a non-nil error makes Lambda ignore the partial batch response; add the record to BatchItemFailures and return a nil error"
		}
		ast.Inspect(h.body, func(n ast.Node) bool {
			if _, ok := n.(*ast.FuncLit); ok {
				return false
			}
			loop, ok := n.(*ast.RangeStmt)
			if !ok || !rangesRecords(info, loop, h.param) {
				return true
			}
			ast.Inspect(loop.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncLit:
					return false // its returns are not the handler's
				case *ast.ReturnStmt:
					if len(n.Results) > 0 && !isNilIdent(info, n.Results[len(n.Results)-1]) {
						pass.Reportf(n.Pos(), "returning an error from the loop over the %s's records fails the whole batch: Lambda retries every record, the processed ones too; %s", h.event.Name(), why)
					}
				}
				return true
			})
			// What collects the records' failures: an error or []error
			// assigned in the loop (closures included: a goroutine or an
			// errgroup function runs per record), or a group whose Go the
			// loop calls and whose Wait returns the first error.
			collected := map[*types.Var]string{}
			ast.Inspect(loop.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for _, l := range n.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							if v, ok := info.Uses[id].(*types.Var); ok && holdsErrors(v.Type()) && v.Pos() < loop.Pos() {
								collected[v] = v.Name()
							}
						}
					}
				case *ast.CallExpr:
					if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && (sel.Sel.Name == "Go" || sel.Sel.Name == "TryGo") {
						if id, ok := ast.Unparen(sel.X).(*ast.Ident); ok {
							if v, ok := info.Uses[id].(*types.Var); ok && v.Pos() < loop.Pos() && waitsForError(v.Type()) {
								collected[v] = v.Name() + ".Wait()"
							}
						}
					}
				}
				return true
			})
			if len(collected) == 0 {
				return false
			}
			// After the loop, in source order: an error assigned from what
			// collected them is collected too (err := g.Wait()); a return
			// of a non-nil error made from any of them fails the batch.
			ast.Inspect(h.body, func(n ast.Node) bool {
				if _, ok := n.(*ast.FuncLit); ok {
					return false
				}
				if n == nil || n.Pos() < loop.End() {
					return true
				}
				switch n := n.(type) {
				case *ast.AssignStmt:
					for _, r := range n.Rhs {
						from := usesAny(info, r, collected)
						if from == nil {
							continue
						}
						for _, l := range n.Lhs {
							if id, ok := l.(*ast.Ident); ok {
								v, _ := info.Defs[id].(*types.Var)
								if v == nil {
									v, _ = info.Uses[id].(*types.Var)
								}
								if v != nil && isError(v.Type()) {
									collected[v] = v.Name()
								}
							}
						}
					}
				case *ast.ReturnStmt:
					if len(n.Results) == 0 {
						return true
					}
					last := ast.Unparen(n.Results[len(n.Results)-1])
					if isNilIdent(info, last) {
						return true
					}
					if id, ok := last.(*ast.Ident); ok {
						if v, ok := info.Uses[id].(*types.Var); ok && collected[v] == v.Name() {
							pass.Reportf(n.Pos(), "returning the error %s collected over the %s's records fails the whole batch: Lambda retries every record, the processed ones too; %s", v.Name(), h.event.Name(), why)
							return true
						}
					}
					if v := usesAny(info, last, collected); v != nil {
						pass.Reportf(n.Pos(), "returning an error made from %s, collected over the %s's records, fails the whole batch: Lambda retries every record, the processed ones too; %s", collected[v], h.event.Name(), why)
					}
				}
				return true
			})
			return false
		})
	}
	return nil
}

// rangesRecords reports whether loop ranges over param.Records.
func rangesRecords(info *types.Info, loop *ast.RangeStmt, param *types.Var) bool {
	sel, ok := ast.Unparen(loop.X).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Records" {
		return false
	}
	id, ok := ast.Unparen(sel.X).(*ast.Ident)
	if !ok {
		if s, ok := ast.Unparen(sel.X).(*ast.StarExpr); ok {
			id, _ = s.X.(*ast.Ident)
		}
	}
	return id != nil && info.Uses[id] == param
}

// holdsErrors reports whether t is error or a slice or array of errors.
func holdsErrors(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Slice:
		return isError(u.Elem())
	case *types.Array:
		return isError(u.Elem())
	}
	return isError(t)
}

// waitsForError reports whether t (or *t) has a method Wait() error, as
// errgroup.Group does.
func waitsForError(t types.Type) bool {
	if _, ok := t.Underlying().(*types.Pointer); !ok {
		t = types.NewPointer(t)
	}
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "Wait")
	fn, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	sig := fn.Type().(*types.Signature)
	return sig.Params().Len() == 0 && sig.Results().Len() == 1 && isError(sig.Results().At(0).Type())
}

// usesAny returns the first variable of vars that expression e mentions.
func usesAny(info *types.Info, e ast.Node, vars map[*types.Var]string) *types.Var {
	var found *types.Var
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && found == nil {
			if v, ok := info.Uses[id].(*types.Var); ok {
				if _, ok := vars[v]; ok {
					found = v
				}
			}
		}
		return found == nil
	})
	return found
}
