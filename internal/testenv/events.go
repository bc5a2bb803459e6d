package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
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

// Samples returns the sample events the golden tests read, by name: each
// file that a glob matches (other than a *.golden.json) and each of
// [LambdaEvents], named by its folder's parent and its own name
// ("media/s3-put.json", "events/s3-event.json"), and, of a file that is
// an SQS event, each record's non-empty body, named "<name> body <i>".
func Samples(t testing.TB, globs ...string) map[string]string {
	t.Helper()
	var files []string
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	out := map[string]string{}
	for _, f := range append(files, LambdaEvents(t)...) {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(filepath.Dir(f))) + "/" + filepath.Base(f)
		out[name] = string(b)
		var sqs struct { // as events.SQSEvent decodes it
			Records []struct {
				Body string `json:"body"`
			} `json:"Records"`
		}
		if json.Unmarshal(b, &sqs) == nil {
			for i, r := range sqs.Records {
				if r.Body != "" {
					out[fmt.Sprintf("%s body %d", name, i)] = r.Body
				}
			}
		}
	}
	return out
}
