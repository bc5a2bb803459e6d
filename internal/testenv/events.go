package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// LambdaEvent returns the sample event name (for example "sqs-event.json")
// that ships with aws-lambda-go in its events/testdata folder: the payloads
// AWS publishes, read from the module version the build uses.
func LambdaEvent(t testing.TB, name string) []byte {
	t.Helper()
	dir, err := lambdaGoDir()
	if err != nil {
		t.Fatalf("locate aws-lambda-go: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "events", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var lambdaGoDir = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	dir := strings.TrimSpace(string(out))
	if err == nil && dir == "" {
		err = errors.New("github.com/aws/aws-lambda-go is not in the build's modules")
	}
	return dir, err
})

// LambdaEvents returns the paths of every sample event (*.json) that ships
// with aws-lambda-go in its events/testdata folder, to seed fuzz targets
// and table tests with.
func LambdaEvents(t testing.TB) []string {
	t.Helper()
	dir, err := lambdaGoDir()
	if err != nil {
		t.Fatalf("locate aws-lambda-go: %v", err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "events", "testdata", "*.json"))
	if err != nil || len(paths) < 50 {
		t.Fatalf("found %d samples in %s (%v); want aws-lambda-go's events/testdata", len(paths), dir, err)
	}
	return paths
}
