package layers_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
)

const (
	mod    = testenv.Module
	driver = "modernc.org/sqlite"
)

// families are the trees of storage interfaces and their backends.
var families = []string{"blob", "idempotency", "media", "gateway", "queue"}

var (
	listOnce sync.Once
	listed   []testenv.Package
)

// packages returns what go list says of every package of the module,
// listed once for all the tests.
func packages(t *testing.T) []testenv.Package {
	t.Helper()
	listOnce.Do(func() { listed = testenv.GoList(t, mod+"/...") })
	if len(listed) == 0 {
		t.Fatal("go list of the module failed (see the first test)")
	}
	return listed
}

// matching returns the packages of the module that are one of dirs or
// below one.
func matching(t *testing.T, dirs ...string) []testenv.Package {
	t.Helper()
	var out []testenv.Package
	for _, p := range packages(t) {
		if slices.ContainsFunc(dirs, func(d string) bool { return under(p.ImportPath, mod+"/"+d) }) {
			out = append(out, p)
		}
	}
	return out
}

// under reports whether path is dir or a package below it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// family returns the storage family of a module package, if it is in one.
func family(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, mod+"/")
	if !ok {
		return "", false
	}
	f, _, _ := strings.Cut(rest, "/")
	return f, slices.Contains(families, f)
}

func std(path string) bool {
	return !strings.Contains(strings.SplitN(path, "/", 2)[0], ".")
}

// allImports returns what p's files import, tests included.
func allImports(p testenv.Package) []string {
	return slices.Concat(p.Imports, p.TestImports, p.XTestImports)
}

// TestSQLiteOpenedInOnePlace: only internal/sqlitedb imports the SQLite
// driver or calls sql.Open / sql.OpenDB, in code or tests, so that every
// database gets the pragmas chosen for its use.
func TestSQLiteOpenedInOnePlace(t *testing.T) {
	const opener = mod + "/internal/sqlitedb"
	for _, p := range packages(t) {
		if p.ImportPath == opener {
			continue
		}
		if slices.ContainsFunc(allImports(p), func(i string) bool { return under(i, driver) }) {
			t.Errorf("%s imports the SQLite driver (%s); open the database with internal/sqlitedb", p.ImportPath, driver)
		}
		for _, name := range slices.Concat(p.GoFiles, p.TestGoFiles, p.XTestGoFiles) {
			for _, pos := range sqlOpens(t, filepath.Join(p.Dir, name)) {
				t.Errorf("%s: calls %s; open SQLite with internal/sqlitedb", pos, "sql.Open")
			}
		}
	}
}

// sqlOpens returns the positions of calls to database/sql's Open and
// OpenDB in the file.
func sqlOpens(t *testing.T, path string) []token.Position {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	local := ""
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == "database/sql" {
			local = "sql"
			if im.Name != nil {
				local = im.Name.Name
			}
		}
	}
	if local == "" {
		return nil
	}
	var out []token.Position
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == local && (sel.Sel.Name == "Open" || sel.Sel.Name == "OpenDB") {
				out = append(out, fset.Position(sel.Pos()))
			}
		}
		return true
	})
	return out
}

// TestNoCrossFamilyBackends: a package of one storage family imports
// another family only through that family's root package (its interface
// and types), never one of its backends; sqliterecords once imported
// idempotency/sqlitestore for its database opener.
func TestNoCrossFamilyBackends(t *testing.T) {
	for _, p := range packages(t) {
		fam, ok := family(p.ImportPath)
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			other, ok := family(imp)
			if ok && other != fam && imp != mod+"/"+other {
				t.Errorf("%s (family %s) imports %s, a backend of family %s", p.ImportPath, fam, imp, other)
			}
		}
	}
}

// TestReadModelsReadThroughOwners: the read models read every store
// through its owner's package, never its tables. localtest, the read
// model's test support, is the one exception: its SeedLarge writes 100,000
// rows of each table in one transaction, in the owners' documented
// schemas, which the owners' APIs cannot do in a benchmark's setup time.
func TestReadModelsReadThroughOwners(t *testing.T) {
	banned := []string{"database/sql", mod + "/internal/sqlitedb", driver}
	for _, p := range matching(t, "inspect") {
		if p.ImportPath == mod+"/inspect/local/localtest" {
			continue
		}
		for _, imp := range p.Imports {
			if slices.ContainsFunc(banned, func(b string) bool { return under(imp, b) }) {
				t.Errorf("%s imports %s: read the store through its owner's package", p.ImportPath, imp)
			}
		}
	}
}

// TestFrontEndsReadTheSource: mcpserver and dashboard see state only
// through inspect.Source (and the types it returns): no backend of a
// storage family, no read-model backend, no runtime.
func TestFrontEndsReadTheSource(t *testing.T) {
	allowed := []string{mod + "/inspect", mod + "/inspect/writegate", mod + "/media", mod + "/coldstart", mod + "/coldstart/logsource"}
	for _, p := range matching(t, "mcpserver", "dashboard") {
		for _, imp := range p.Imports {
			if rest, ours := strings.CutPrefix(imp, mod+"/"); ours && !slices.Contains(allowed, imp) && !strings.HasPrefix(rest, "internal/") {
				t.Errorf("%s imports %s; front ends read through inspect.Source", p.ImportPath, imp)
			}
			if imp == "database/sql" {
				t.Errorf("%s imports database/sql", p.ImportPath)
			}
		}
	}
}

// TestToolkitAtTheBottom: the Lambda toolkit links nothing of the module
// above it, and gateway links only the standard library.
func TestToolkitAtTheBottom(t *testing.T) {
	toolkit := []string{"batch", "idempotency", "logging", "metrics", "middleware", "lambdatest"}
	inToolkit := func(path string) bool {
		return slices.ContainsFunc(toolkit, func(d string) bool { return under(path, mod+"/"+d) }) || under(path, mod+"/internal")
	}
	var pkgs []testenv.Package
	for _, p := range packages(t) {
		if p.ImportPath == mod+"/gateway" || slices.ContainsFunc(toolkit, func(d string) bool { return under(p.ImportPath, mod+"/"+d) }) {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) < len(toolkit)+1 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		for _, dep := range p.Deps {
			if p.ImportPath == mod+"/gateway" {
				if !std(dep) {
					t.Errorf("gateway links %s; it links only the standard library", dep)
				}
				continue
			}
			if strings.HasPrefix(dep, mod+"/") && !inToolkit(dep) {
				t.Errorf("%s (toolkit) links %s", p.ImportPath, dep)
			}
		}
	}
}

// TestNoUnsafe: no package of the module imports unsafe, tests included;
// the parsers read untrusted bytes, and the one use there was (coldstart's
// view of a string as bytes) saved nothing a comparison does not. One
// exception, for a measured gain (README, gateway figures): the native
// gateway's raw socket I/O (gateway/httpproxy/rawio_linux.go), and there
// only to pass a byte slice element's address to a raw system call,
// uintptr(unsafe.Pointer(&b[i])) as an argument of syscall.RawSyscall or
// RawSyscall6. Every Go file of each package's folder is read, whatever
// its build constraints.
func TestNoUnsafe(t *testing.T) {
	const exception = mod + "/gateway/httpproxy"
	for _, p := range packages(t) {
		if !slices.Contains(allImports(p), "unsafe") && p.ImportPath != exception {
			continue
		}
		files, err := filepath.Glob(filepath.Join(p.Dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			if !importsUnsafe(f) {
				continue
			}
			if p.ImportPath != exception || filepath.Base(path) != "rawio_linux.go" {
				t.Errorf("%s imports unsafe", filepath.Join(p.ImportPath, filepath.Base(path)))
				continue
			}
			for _, pos := range unsafeUsesOutsideSyscallArgs(fset, f) {
				t.Errorf("%s: unsafe used other than as uintptr(unsafe.Pointer(&b[i])) in a raw system call's arguments", pos)
			}
		}
	}
}

func importsUnsafe(f *ast.File) bool {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == "unsafe" {
			return true
		}
	}
	return false
}

// unsafeUsesOutsideSyscallArgs returns the positions of the uses of
// package unsafe in f other than uintptr(unsafe.Pointer(&x[i])) as an
// argument of syscall.RawSyscall or syscall.RawSyscall6.
func unsafeUsesOutsideSyscallArgs(fset *token.FileSet, f *ast.File) []token.Position {
	allowed := map[*ast.SelectorExpr]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !isIdent(fn.X, "syscall") || fn.Sel.Name != "RawSyscall" && fn.Sel.Name != "RawSyscall6" {
			return true
		}
		for _, arg := range call.Args {
			conv, ok := arg.(*ast.CallExpr) // uintptr(...)
			if !ok || !isIdent(conv.Fun, "uintptr") || len(conv.Args) != 1 {
				continue
			}
			ptr, ok := conv.Args[0].(*ast.CallExpr) // unsafe.Pointer(...)
			if !ok || len(ptr.Args) != 1 {
				continue
			}
			sel, ok := ptr.Fun.(*ast.SelectorExpr)
			if !ok || !isIdent(sel.X, "unsafe") || sel.Sel.Name != "Pointer" {
				continue
			}
			if addr, ok := ptr.Args[0].(*ast.UnaryExpr); ok && addr.Op == token.AND {
				if _, ok := addr.X.(*ast.IndexExpr); ok {
					allowed[sel] = true
				}
			}
		}
		return true
	})
	var bad []token.Position
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && isIdent(sel.X, "unsafe") && !allowed[sel] {
			bad = append(bad, fset.Position(sel.Pos()))
		}
		return true
	})
	return bad
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
