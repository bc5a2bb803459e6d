package logsource

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/coldstart"
)

func TestFiles_plainGzipStdin(t *testing.T) {
	sample, err := os.ReadFile("../testdata/cloudwatch-export-text.log")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gz := filepath.Join(dir, "thumbnailer.txt") // gzip without the extension
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write(sample)
	zw.Close()
	f.Close()

	src := &Files{Paths: []string{"../testdata/cloudwatch-export-text.log", gz, "-"}, Stdin: strings.NewReader(string(sample))}
	var names []string
	rep, err := coldstart.Analyze(context.Background(), src, &coldstart.Options{SkipPlan: true, Progress: func(p coldstart.Progress) {
		if p.Done {
			names = append(names, p.Stream)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 || rep.Input.Bytes != 3*int64(len(sample)) {
		t.Errorf("streams %v, %d bytes", names, rep.Input.Bytes)
	}
	// Without a function name the file name is used: the two files
	// differ, stdin is "unknown".
	var total int64
	for _, fr := range rep.Functions {
		total += fr.Invocations
		if fr.Invocations != 3 {
			t.Errorf("%s: %d invocations", fr.Function, fr.Invocations)
		}
	}
	if total != 9 || len(rep.Functions) != 3 {
		t.Errorf("%d functions, %d invocations", len(rep.Functions), total)
	}
	src.Function = "thumbnailer"
	src.Stdin = strings.NewReader(string(sample))
	rep, err = coldstart.Analyze(context.Background(), src, &coldstart.Options{SkipPlan: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Functions) != 1 || rep.Functions[0].Invocations != 9 {
		t.Errorf("with -function: %d functions", len(rep.Functions))
	}
}

func TestFiles_missing(t *testing.T) {
	_, err := coldstart.Analyze(context.Background(), &Files{Paths: []string{"no/such.log"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "no/such.log") {
		t.Errorf("err = %v", err)
	}
}
