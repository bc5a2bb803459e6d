package media_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
)

// TestDependencies keeps the domain at the bottom: package media links
// nothing of the module but internal/s3seq and internal/s3event (the one
// definitions of S3 sequencer order and of how S3 events in a queue are
// decoded, shared with the idempotency engine), which link nothing of the
// module (s3seq only the standard library), and only aws-lambda-go's event
// structs outside the standard library; a record backend links the domain and the SQLite
// opener, never the image pipeline, the blob store, the batch processor or
// the idempotency engine.
func TestDependencies(t *testing.T) {
	banned := []string{"/imaging", "/blob", "/batch", "/idempotency", "/logging", "/metrics", "/media/thumbnailer"}
	seq := testenv.Module + "/internal/s3seq"
	ev := testenv.Module + "/internal/s3event"
	for _, p := range testenv.GoList(t, testenv.Module+"/media", testenv.Module+"/media/sqliterecords", testenv.Module+"/media/dynamorecords", seq, ev) {
		for _, dep := range p.Deps {
			rest, ours := strings.CutPrefix(dep, testenv.Module)
			if ours && slices.ContainsFunc(banned, func(b string) bool { return strings.HasPrefix(rest, b) }) {
				t.Errorf("%s links %s", p.ImportPath, dep)
			}
			std := !strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") // vendor/golang.org/... too
			switch p.ImportPath {
			case testenv.Module + "/media":
				if ours && dep != seq && dep != ev || !std && !ours && dep != "github.com/aws/aws-lambda-go/events" {
					t.Errorf("the domain package links %s", dep)
				}
			case seq:
				if !std {
					t.Errorf("%s, which the domain links, links %s", p.ImportPath, dep)
				}
			case ev:
				if ours || !std && dep != "github.com/aws/aws-lambda-go/events" {
					t.Errorf("%s, which the domain links, links %s", p.ImportPath, dep)
				}
			}
		}
	}
}
