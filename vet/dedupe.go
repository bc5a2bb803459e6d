package vet

import (
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/buildssa"
	"golang.org/x/tools/go/ssa"
)

// Dedupe reports a dedupe marker that outlives a failure: a conditional
// write that succeeds only the first time (a DynamoDB PutItem or UpdateItem
// with attribute_not_exists, a Redis SETNX or SET NX, an SQL INSERT that
// fails on conflict), followed on its success path by work whose failure
// path neither deletes the marker nor rolls it back. The work fails, Lambda
// retries, the retry finds the marker and skips: the event is lost. That is
// the hole in the recipe's sample handler.
//
// The SQL may run through database/sql (and sqlx) or pgx. The marker is
// released by a DeleteItem, a Redis DEL or UNLINK, an SQL
// DELETE or transaction Rollback, a function of this package that does one
// of those, or a method named Release, Unlock, Delete or Remove of a type
// the analysis cannot see into; a deferred release covers every path.
// Rampart's idempotency.Guard does all of this and draws no finding.
var Dedupe = newAnalyzer("dedupe",
	"report dedupe markers (attribute_not_exists, SETNX, INSERT) that are not removed when the work after them fails",
	[]*analysis.Analyzer{buildSSA}, runDedupe)

func runDedupe(pass *analysis.Pass) error {
	ssaInfo := pass.ResultOf[buildSSA].(*buildssa.SSA)
	funcs := ssaInfo.SrcFuncs // closures included
	rel := releasers(funcs)
	for _, fn := range funcs {
		builder := usesNotExistsBuilder(fn)
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				call, ok := instr.(*ssa.Call)
				if !ok {
					continue
				}
				if what := markerOf(call, builder); what != "" {
					checkMarker(pass, fn, call, what, rel)
				}
			}
		}
	}
	return nil
}

// markerOf names the conditional write call makes, or returns "".
func markerOf(call *ssa.Call, builder bool) string {
	c := &call.Call
	ce := calleeOf(c)
	switch {
	case ce.name == "PutItem" || ce.name == "UpdateItem":
		in := argOfType(c, ddbPath, ce.name+"Input")
		if in == nil {
			return ""
		}
		if cond, ok := fieldConst(in, "ConditionExpression"); ok && strings.Contains(strings.ToLower(cond), "attribute_not_exists") || builder {
			return ce.name + " with attribute_not_exists"
		}
	case isRedis(ce) && ce.name == "SetNX":
		return "SETNX"
	case isRedis(ce) && ce.name == "SetArgs":
		for _, a := range c.Args {
			if s, ok := fieldConst(a, "Mode"); ok && strings.EqualFold(s, "NX") {
				return "SET NX"
			}
		}
	case isRedis(ce) && ce.name == "Do":
		words := variadicConsts(c)
		if len(words) > 0 && (strings.EqualFold(words[0], "SETNX") || strings.EqualFold(words[0], "SET") && containsFold(words[1:], "NX")) {
			return strings.ToUpper(words[0]) + " NX"
		}
	case isSQLExec(ce):
		if q, ok := sqlQuery(c, ce); ok && isInsert(q) && sqlGated(call) {
			return "INSERT"
		}
	}
	return ""
}

// isSQLExec reports whether ce runs a statement: database/sql's Exec and
// ExecContext (DB, Tx, Conn, Stmt and sqlx's, which embed them), and pgx's
// Exec (Conn, Pool, Tx).
func isSQLExec(ce callee) bool {
	switch {
	case ce.pkg == "database/sql":
		return ce.name == "Exec" || ce.name == "ExecContext"
	case isPgx(ce):
		return ce.name == "Exec"
	}
	return false
}

func isPgx(ce callee) bool { return ce.under("github.com/jackc/pgx") }

func isRedis(ce callee) bool {
	return ce.under("github.com/redis/go-redis") || ce.under("github.com/go-redis/redis")
}

// argOfType returns the argument of c whose type is *pkg.name.
func argOfType(c *ssa.CallCommon, pkg, name string) ssa.Value {
	for _, a := range c.Args {
		if _, ok := a.Type().(*types.Pointer); ok && isNamed(a.Type(), pkg, name) {
			return a
		}
	}
	return nil
}

// fieldConst returns the string constant stored into field name of the
// struct v points to (or was loaded from), as a composite literal does.
func fieldConst(v ssa.Value, name string) (string, bool) {
	if ld, ok := v.(*ssa.UnOp); ok && ld.Op == token.MUL {
		v = ld.X
	}
	al, ok := v.(*ssa.Alloc)
	if !ok {
		return "", false
	}
	st, ok := deref(al.Type()).Underlying().(*types.Struct)
	if !ok {
		return "", false
	}
	for _, r := range *al.Referrers() {
		fa, ok := r.(*ssa.FieldAddr)
		if !ok || st.Field(fa.Field).Name() != name {
			continue
		}
		for _, fr := range *fa.Referrers() {
			if s, ok := fr.(*ssa.Store); ok {
				if str, ok := constString(s.Val); ok {
					return str, true
				}
			}
		}
	}
	return "", false
}

// variadicConsts returns the string constants of c's variadic arguments.
func variadicConsts(c *ssa.CallCommon) []string {
	if len(c.Args) == 0 {
		return nil
	}
	sl, ok := c.Args[len(c.Args)-1].(*ssa.Slice)
	if !ok {
		return nil
	}
	al, ok := sl.X.(*ssa.Alloc)
	if !ok {
		return nil
	}
	var words []string
	for _, r := range *al.Referrers() {
		ia, ok := r.(*ssa.IndexAddr)
		if !ok {
			continue
		}
		for _, ir := range *ia.Referrers() {
			if s, ok := ir.(*ssa.Store); ok {
				if w, ok := constString(s.Val); ok {
					words = append(words, w)
				} else {
					words = append(words, "")
				}
			}
		}
	}
	return words
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// sqlQuery returns the constant query of a database/sql or pgx Exec call.
func sqlQuery(c *ssa.CallCommon, ce callee) (string, bool) {
	i := 1 // Args[0] is the receiver
	if ce.name == "ExecContext" || isPgx(ce) {
		i = 2 // after the context
	}
	if c.IsInvoke() {
		i--
	}
	if i >= len(c.Args) {
		return "", false
	}
	return constString(c.Args[i])
}

func isInsert(q string) bool {
	u := strings.ToUpper(strings.Join(strings.Fields(q), " "))
	if !strings.HasPrefix(u, "INSERT ") {
		return false
	}
	for _, upsert := range []string{"DO UPDATE", "ON DUPLICATE KEY UPDATE", "INSERT OR REPLACE"} {
		if strings.Contains(u, upsert) {
			return false
		}
	}
	return true
}

// sqlGated reports whether the INSERT's outcome decides whether to go on:
// its RowsAffected is read, or its failure has a path that returns no error
// (the conflict means "done already").
func sqlGated(call *ssa.Call) bool {
	for _, r := range *call.Referrers() {
		ex, ok := r.(*ssa.Extract)
		if !ok || ex.Index != 0 {
			continue
		}
		for _, u := range *ex.Referrers() {
			if ci, ok := u.(ssa.CallInstruction); ok && calleeOf(ci.Common()).name == "RowsAffected" {
				return true
			}
		}
	}
	e := errorResult(call)
	if e == nil {
		return false
	}
	for _, fail := range failureBlocks(e) {
		for _, b := range region(fail, call.Block()) {
			for _, instr := range b.Instrs {
				if ret, ok := instr.(*ssa.Return); ok && len(ret.Results) > 0 && isNilConst(ret.Results[len(ret.Results)-1]) {
					return true
				}
			}
		}
	}
	return false
}

// usesNotExistsBuilder reports whether fn builds a condition with the
// DynamoDB expression builder's AttributeNotExists.
func usesNotExistsBuilder(fn *ssa.Function) bool {
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			if ci, ok := instr.(ssa.CallInstruction); ok {
				ce := calleeOf(ci.Common())
				if ce.pkg == "github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression" && ce.name == "AttributeNotExists" {
					return true
				}
			}
		}
	}
	return false
}

// checkMarker reports the marker if work on its success path can fail
// without a release.
func checkMarker(pass *analysis.Pass, fn *ssa.Function, m *ssa.Call, what string, rel map[*ssa.Function]bool) {
	if deferredRelease(fn, rel) {
		return
	}
	start := successBlock(m)
	derived := markerValues(m)
	for _, b := range fn.Blocks {
		if start != nil && !start.Dominates(b) || start == nil && !m.Block().Dominates(b) {
			continue
		}
		after := start != nil || b != m.Block()
		for _, instr := range b.Instrs {
			if instr == m {
				after = true
				continue
			}
			w, ok := instr.(*ssa.Call)
			if !after || !ok || !isWork(w, derived, rel) {
				continue
			}
			e := errorResult(w)
			if e == nil {
				continue
			}
			fails := failureBlocks(e)
			for _, fail := range fails {
				if coveredBy(fail, fails) {
					continue // a return inside a failure branch checked as a whole
				}
				if !releasedIn(region(fail, m.Block()), rel) {
					pass.Reportf(m.Pos(), "%s writes a dedupe marker, but when %s fails (line %d) the marker stays: the retry finds it and skips the event, which is lost; delete the marker on that path (or use Rampart's idempotency.Guard, which does)",
						what, describe(calleeOf(&w.Call)), pass.Fset.Position(w.Pos()).Line)
					return
				}
			}
		}
	}
}

// successBlock returns the block entered when the marker was written (the
// key was new), or nil if the code does not branch on it.
func successBlock(m *ssa.Call) *ssa.BasicBlock {
	if e := errorResult(m); e != nil {
		for _, r := range *e.Referrers() {
			if bo, ok := r.(*ssa.BinOp); ok && (isNilConst(bo.X) || isNilConst(bo.Y)) {
				for _, br := range *bo.Referrers() {
					if iff, ok := br.(*ssa.If); ok {
						if bo.Op == token.NEQ {
							return iff.Block().Succs[1]
						}
						return iff.Block().Succs[0]
					}
				}
			}
		}
	}
	// go-redis: ok, err := rdb.SetNX(...).Result(); if !ok {...}
	for v := range markerValues(m) {
		if !isBool(v.Type()) {
			continue
		}
		for _, r := range *v.Referrers() {
			switch r := r.(type) {
			case *ssa.If:
				return r.Block().Succs[0]
			case *ssa.UnOp:
				if r.Op == token.NOT {
					for _, nr := range *r.Referrers() {
						if iff, ok := nr.(*ssa.If); ok {
							return iff.Block().Succs[1]
						}
					}
				}
			}
		}
	}
	return nil
}

// isMethod reports whether c statically calls a method (Args[0] is its
// receiver).
func isMethod(c *ssa.CallCommon) bool {
	f := c.StaticCallee()
	return f != nil && f.Signature.Recv() != nil
}

func isBool(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.Bool
}

// markerValues returns the marker call's results and what its result
// methods (Result, Val, RowsAffected) return.
func markerValues(m *ssa.Call) map[ssa.Value]bool {
	vals := map[ssa.Value]bool{m: true}
	work := []ssa.Value{m}
	for len(work) > 0 {
		v := work[0]
		work = work[1:]
		for _, r := range *v.Referrers() {
			var nv ssa.Value
			switch r := r.(type) {
			case *ssa.Extract:
				nv = r
			case *ssa.Call:
				// A method of the result (Result, Val, Err), not a
				// function it is passed to (errors.Is(err, redis.Nil)
				// is no success).
				if r.Call.IsInvoke() && r.Call.Value == v || isMethod(&r.Call) && len(r.Call.Args) > 0 && r.Call.Args[0] == v {
					nv = r
				}
			case *ssa.FieldAddr: // a promoted method: cmd.Err() is (&cmd.baseCmd).Err()
				nv = r
			case *ssa.Field:
				nv = r
			}
			if nv != nil && !vals[nv] {
				vals[nv] = true
				work = append(work, nv)
			}
		}
	}
	return vals
}

// isWork reports whether call is work that can fail after the marker.
func isWork(call *ssa.Call, derived map[ssa.Value]bool, rel map[*ssa.Function]bool) bool {
	if derived[call] || isRelease(&call.Call, rel) {
		return false
	}
	if call.Call.IsInvoke() && derived[call.Call.Value] {
		return false
	}
	for _, a := range call.Call.Args {
		if derived[a] {
			return false
		}
	}
	switch ce := calleeOf(&call.Call); ce.pkg {
	case "errors", "fmt", "log", "log/slog", "strconv", "strings", "bytes", "time", "context", "net/url", "sort", "slices", "maps":
		return false
	default:
		return !strings.HasPrefix(ce.pkg, "encoding/") && ce.pkg != awsPath
	}
}

// failureBlocks returns the blocks entered when the error e is non-nil:
// the true branch of `e != nil`, the false branch of `e == nil`, and the
// block of a return of e.
func failureBlocks(e ssa.Value) []*ssa.BasicBlock {
	var out []*ssa.BasicBlock
	for _, r := range *e.Referrers() {
		switch r := r.(type) {
		case *ssa.BinOp:
			if !isNilConst(r.X) && !isNilConst(r.Y) {
				continue
			}
			for _, br := range *r.Referrers() {
				if iff, ok := br.(*ssa.If); ok {
					if r.Op == token.NEQ {
						out = append(out, iff.Block().Succs[0])
					} else if r.Op == token.EQL {
						out = append(out, iff.Block().Succs[1])
					}
				}
			}
		case *ssa.Return:
			out = append(out, r.Block())
		}
	}
	return out
}

// coveredBy reports whether block b is dominated by another of the
// failure blocks: the `return err` at the end of an `if err != nil` branch,
// whose release (if any) is earlier in that branch.
func coveredBy(b *ssa.BasicBlock, fails []*ssa.BasicBlock) bool {
	for _, f := range fails {
		if f != b && f.Dominates(b) {
			return true
		}
	}
	return false
}

// region returns the blocks reachable from start without going back to a
// block that dominates it (a loop header) or to stop.
func region(start, stop *ssa.BasicBlock) []*ssa.BasicBlock {
	var out []*ssa.BasicBlock
	seen := map[*ssa.BasicBlock]bool{start: true}
	work := []*ssa.BasicBlock{start}
	for len(work) > 0 {
		b := work[0]
		work = work[1:]
		out = append(out, b)
		for _, s := range b.Succs {
			if seen[s] || s == stop || s.Dominates(start) {
				continue
			}
			seen[s] = true
			work = append(work, s)
		}
	}
	return out
}

func releasedIn(blocks []*ssa.BasicBlock, rel map[*ssa.Function]bool) bool {
	for _, b := range blocks {
		for _, instr := range b.Instrs {
			if ci, ok := instr.(ssa.CallInstruction); ok && isRelease(ci.Common(), rel) {
				return true
			}
		}
	}
	return false
}

// deferredRelease reports whether fn defers a release.
func deferredRelease(fn *ssa.Function, rel map[*ssa.Function]bool) bool {
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			d, ok := instr.(*ssa.Defer)
			if !ok {
				continue
			}
			if isRelease(&d.Call, rel) {
				return true
			}
			switch f := d.Call.Value.(type) {
			case *ssa.MakeClosure:
				if rel[f.Fn.(*ssa.Function)] {
					return true
				}
			case *ssa.Function:
				if rel[f] {
					return true
				}
			}
		}
	}
	return false
}

// isRelease reports whether a call removes a marker.
func isRelease(c *ssa.CallCommon, rel map[*ssa.Function]bool) bool {
	ce := calleeOf(c)
	switch {
	case ce.name == "DeleteItem" && (ce.pkg == ddbPath || argOfType(c, ddbPath, "DeleteItemInput") != nil):
		return true
	case isRedis(ce) && (ce.name == "Del" || ce.name == "Unlink" || ce.name == "GetDel"):
		return true
	case (ce.pkg == "database/sql" || isPgx(ce)) && ce.name == "Rollback":
		return true
	case isSQLExec(ce):
		q, ok := sqlQuery(c, ce)
		return ok && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), "DELETE")
	}
	if f := c.StaticCallee(); f != nil && rel[f] {
		return true
	}
	if c.IsInvoke() || c.StaticCallee() == nil {
		for _, p := range []string{"Release", "Unlock", "Unmark", "Delete", "Remove", "Forget", "Abandon"} {
			if strings.HasPrefix(ce.name, p) {
				return true
			}
		}
	}
	return false
}

// releasers returns the functions that release a marker, directly or
// through another one of them.
func releasers(funcs []*ssa.Function) map[*ssa.Function]bool {
	rel := map[*ssa.Function]bool{}
	for changed := true; changed; {
		changed = false
		for _, fn := range funcs {
			if rel[fn] {
				continue
			}
			if releasedIn(fn.Blocks, rel) {
				rel[fn] = true
				changed = true
			}
		}
	}
	return rel
}
