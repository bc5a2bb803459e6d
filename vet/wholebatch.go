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
			collected := map[*types.Var]bool{}
			ast.Inspect(loop.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncLit:
					return false
				case *ast.ReturnStmt:
					if len(n.Results) > 0 && !isNilIdent(info, n.Results[len(n.Results)-1]) {
						pass.Reportf(n.Pos(), "returning an error from the loop over the %s's records fails the whole batch: Lambda retries every record, the processed ones too; %s", h.event.Name(), why)
					}
				case *ast.AssignStmt:
					for _, l := range n.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							if v, ok := info.Uses[id].(*types.Var); ok && isError(v.Type()) && v.Pos() < loop.Pos() {
								collected[v] = true
							}
						}
					}
				}
				return true
			})
			if len(collected) == 0 {
				return false
			}
			ast.Inspect(h.body, func(n ast.Node) bool {
				if _, ok := n.(*ast.FuncLit); ok {
					return false
				}
				r, ok := n.(*ast.ReturnStmt)
				if !ok || r.Pos() < loop.End() || len(r.Results) == 0 {
					return true
				}
				if id, ok := ast.Unparen(r.Results[len(r.Results)-1]).(*ast.Ident); ok {
					if v, ok := info.Uses[id].(*types.Var); ok && collected[v] {
						pass.Reportf(r.Pos(), "returning the error %s collected over the %s's records fails the whole batch: Lambda retries every record, the processed ones too; %s", v.Name(), h.event.Name(), why)
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
