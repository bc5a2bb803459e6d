package vet

import (
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/buildssa"
	"golang.org/x/tools/go/ssa"
)

// S3Key reports events.S3Object.Key reaching an S3 request or a stored key
// without URL decoding. S3 event notifications carry the key URL-encoded
// ("my photo.jpg" arrives as "my+photo.jpg"), so using it as-is reads a
// missing object (NoSuchKey, retried into the dead-letter queue) or records
// the wrong name. aws-lambda-go decodes it into S3Object.URLDecodedKey;
// url.QueryUnescape does the same. url.PathUnescape does not (it leaves
// '+'), unless the '+' were replaced by spaces first.
//
// The analysis follows the key through assignments, string operations,
// aws.String, struct fields and calls to this package's functions; it
// reports where it reaches the Key (or Prefix) of an S3 SDK input, a
// DynamoDB string attribute, or a parameter named key.
var S3Key = newAnalyzer("s3key",
	"report events.S3Object.Key used for an S3 call or stored without URL decoding",
	[]*analysis.Analyzer{buildSSA}, runS3Key)

const (
	s3Path  = "github.com/aws/aws-sdk-go-v2/service/s3"
	ddbPath = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func runS3Key(pass *analysis.Pass) error {
	ssaInfo := pass.ResultOf[buildSSA].(*buildssa.SSA)
	usesS3Object := false
	for _, p := range pass.Pkg.Imports() {
		if p.Path() == eventsPath {
			usesS3Object = true
		}
	}
	if !usesS3Object {
		return nil
	}
	// sinkParams: functions of this package whose string parameter reaches
	// a sink, found to a fixed point.
	sinkParams := map[*ssa.Function]map[int]bool{}
	for range 4 {
		changed := false
		for _, fn := range ssaInfo.SrcFuncs {
			for i, p := range fn.Params {
				if sinkParams[fn][i] || !isString(p.Type()) {
					continue
				}
				if _, ok := taint(p, sinkParams); ok {
					if sinkParams[fn] == nil {
						sinkParams[fn] = map[int]bool{}
					}
					sinkParams[fn][i] = true
					changed = true
				}
			}
		}
		if !changed {
			break
		}
	}
	for _, f := range ssaInfo.SrcFuncs { // closures included
		for _, b := range f.Blocks {
			for _, instr := range b.Instrs {
				v, ok := instr.(ssa.Value)
				if !ok || !isKeySource(v) {
					continue
				}
				if s, ok := taint(v, sinkParams); ok {
					pass.Reportf(v.Pos(), "events.S3Object.Key is URL-encoded (a space arrives as '+') and reaches %s at line %d undecoded: use Object.URLDecodedKey or url.QueryUnescape",
						s.what, pass.Fset.Position(s.pos).Line)
				}
			}
		}
	}
	return nil
}

// isKeySource reports whether v reads the Key field of events.S3Object.
func isKeySource(v ssa.Value) bool {
	switch v := v.(type) {
	case *ssa.FieldAddr:
		return isS3ObjectKey(deref(v.X.Type()), v.Field)
	case *ssa.Field:
		return isS3ObjectKey(v.X.Type(), v.Field)
	}
	return false
}

func isS3ObjectKey(t types.Type, field int) bool {
	if !isNamed(t, eventsPath, "S3Object") {
		return false
	}
	st := t.Underlying().(*types.Struct)
	return st.Field(field).Name() == "Key"
}

func isString(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

type sink struct {
	what string
	pos  token.Pos
}

// taint follows v forward and returns the first sink it reaches.
func taint(src ssa.Value, sinkParams map[*ssa.Function]map[int]bool) (sink, bool) {
	seen := map[ssa.Value]bool{}
	// fields holds addresses a tainted value was stored to: (base, field).
	type loc struct {
		base  ssa.Value
		field int
	}
	stored := map[loc]bool{}
	work := []ssa.Value{src}
	push := func(v ssa.Value) {
		if v != nil && !seen[v] {
			seen[v] = true
			work = append(work, v)
		}
	}
	seen[src] = true
	for len(work) > 0 {
		v := work[0]
		work = work[1:]
		refs := v.Referrers()
		if refs == nil {
			continue
		}
		for _, r := range *refs {
			switch r := r.(type) {
			case *ssa.UnOp:
				if r.Op == token.MUL { // a load of the key's address
					push(r)
				}
			case *ssa.Phi, *ssa.ChangeType, *ssa.Convert, *ssa.MakeInterface, *ssa.Slice:
				push(r.(ssa.Value))
			case *ssa.BinOp:
				if r.Op == token.ADD {
					push(r)
				}
			case *ssa.Store:
				if r.Val != v {
					continue
				}
				if fa, ok := r.Addr.(*ssa.FieldAddr); ok {
					if w, ok := fieldSink(deref(fa.X.Type()), fa.Field); ok {
						return sink{w, r.Pos()}, true
					}
					stored[loc{fa.X, fa.Field}] = true
					// Later loads of the same field carry the key.
					for _, fr := range *fa.X.Referrers() {
						if fa2, ok := fr.(*ssa.FieldAddr); ok && fa2.Field == fa.Field {
							for _, lr := range *fa2.Referrers() {
								if ld, ok := lr.(*ssa.UnOp); ok && ld.Op == token.MUL {
									push(ld)
								}
							}
						}
					}
					continue
				}
				if al, ok := r.Addr.(*ssa.Alloc); ok {
					for _, lr := range *al.Referrers() {
						if ld, ok := lr.(*ssa.UnOp); ok && ld.Op == token.MUL {
							push(ld)
						}
					}
				}
			case ssa.CallInstruction:
				c := r.Common()
				ce := calleeOf(c)
				for i, a := range c.Args {
					if a != v {
						continue
					}
					// url.PathUnescape decodes %XX but leaves '+', which
					// S3 writes for a space: still not the key, unless the
					// '+' were replaced first.
					if ce.is("net/url", "PathUnescape") {
						if !replacesPlus(v) {
							if call, ok := r.(*ssa.Call); ok {
								for _, er := range *call.Referrers() {
									if ex, ok := er.(*ssa.Extract); ok && ex.Index == 0 {
										push(ex)
									}
								}
							}
						}
						continue
					}
					// Pass-through helpers keep the key.
					if ce.is(awsPath, "String") || ce.is(awsPath, "ToString") || ce.is(awsPath, "Ptr") ||
						(ce.recv == "" && (ce.pkg == "strings" || ce.pkg == "path" || ce.pkg == "path/filepath") && returnsString(c)) ||
						(ce.pkg == "fmt" && strings.HasPrefix(ce.name, "Sprint")) {
						if call, ok := r.(*ssa.Call); ok {
							push(call)
						}
						continue
					}
					if f := c.StaticCallee(); f != nil && sinkParams[f][i] {
						return sink{"a call of " + f.Name() + ", which uses it as an object key", r.Pos()}, true
					}
					if w, ok := keyParam(c, i); ok {
						return sink{w, r.Pos()}, true
					}
				}
			}
		}
	}
	return sink{}, false
}

// replacesPlus reports whether v is strings.ReplaceAll (or Replace) of "+".
func replacesPlus(v ssa.Value) bool {
	call, ok := v.(*ssa.Call)
	if !ok {
		return false
	}
	ce := calleeOf(&call.Call)
	if !ce.is("strings", "ReplaceAll") && !ce.is("strings", "Replace") || len(call.Call.Args) < 2 {
		return false
	}
	old, ok := constString(call.Call.Args[1])
	return ok && old == "+"
}

func returnsString(c *ssa.CallCommon) bool {
	r := c.Signature().Results()
	return r.Len() >= 1 && isString(r.At(0).Type())
}

// fieldSink reports whether a struct field is an object key or a stored
// string: the Key or Prefix of an S3 input, a DynamoDB string attribute.
func fieldSink(t types.Type, field int) (string, bool) {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return "", false
	}
	st, ok := n.Underlying().(*types.Struct)
	if !ok {
		return "", false
	}
	name := st.Field(field).Name()
	switch path := n.Obj().Pkg().Path(); {
	case path == s3Path && (name == "Key" || name == "Prefix"):
		return "the " + name + " of an s3." + n.Obj().Name(), true
	case path == ddbPath+"/types" && n.Obj().Name() == "AttributeValueMemberS" && name == "Value":
		return "a DynamoDB string attribute", true
	}
	return "", false
}

// keyParam reports whether argument i of c is a string parameter named key
// (or objectKey, s3Key, ...) of an unknown callee: a blob store's Get, an
// interface method.
func keyParam(c *ssa.CallCommon, i int) (string, bool) {
	sig := c.Signature()
	j := i
	if !c.IsInvoke() && sig.Recv() != nil {
		j-- // Args[0] is the receiver
	}
	if j < 0 || j >= sig.Params().Len() {
		return "", false
	}
	p := sig.Params().At(j)
	if !isString(p.Type()) {
		return "", false
	}
	switch strings.ToLower(p.Name()) {
	case "key", "objectkey", "objkey", "s3key":
		return "the " + p.Name() + " parameter of " + describe(calleeOf(c)), true
	}
	return "", false
}
