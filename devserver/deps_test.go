package devserver_test

import (
	"slices"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
)

// TestImporters keeps the local runtime at the top: only the rampart
// command (and devserver/devservertest, which runs it for tests) imports
// it. The read model (inspect/local) and its test support find the data
// folder through internal/datadir instead. Tests may run the runtime end
// to end (the dashboard's browser tests do).
func TestImporters(t *testing.T) {
	const self = testenv.Module + "/devserver"
	allowed := []string{testenv.Module + "/cmd/rampart", self + "/devservertest"}
	for _, p := range testenv.GoList(t, testenv.Module+"/...") {
		if p.ImportPath == self || slices.Contains(allowed, p.ImportPath) {
			continue
		}
		if slices.Contains(p.Imports, self) {
			t.Errorf("%s imports %s", p.ImportPath, self)
		}
	}
}
