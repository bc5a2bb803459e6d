package media_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
)

// TestDependencies keeps the domain at the bottom: package media links
// nothing of the module and only aws-lambda-go's event structs outside the
// standard library, and a record backend links the domain and the SQLite
// opener, never the image pipeline, the blob store, the batch processor or
// the idempotency engine.
func TestDependencies(t *testing.T) {
	banned := []string{"/imaging", "/blob", "/batch", "/idempotency", "/logging", "/metrics", "/media/thumbnailer"}
	for _, p := range testenv.GoList(t, testenv.Module+"/media", testenv.Module+"/media/sqliterecords", testenv.Module+"/media/dynamorecords") {
		for _, dep := range p.Deps {
			rest, ours := strings.CutPrefix(dep, testenv.Module)
			if ours && slices.ContainsFunc(banned, func(b string) bool { return strings.HasPrefix(rest, b) }) {
				t.Errorf("%s links %s", p.ImportPath, dep)
			}
			if p.ImportPath == testenv.Module+"/media" {
				std := !strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") // vendor/golang.org/... too
				if ours || !std && dep != "github.com/aws/aws-lambda-go/events" {
					t.Errorf("the domain package links %s", dep)
				}
			}
		}
	}
}
