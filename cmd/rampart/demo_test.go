package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"demo", "-data", dir, "-workers", "32", "-log"}, &stdout, &stderr); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"delivery 1: error returned to Lambda: transient",
		"delivery 2 (Lambda retry): ok: thumbs/photos/IMG_0042.jpg (made by run 2)",
		"delivery 3 (S3 duplicate): ok: thumbs/photos/IMG_0042.jpg (made by run 2)",
		"32 concurrent deliveries",
		"the work ran 1 time(s)",
		"delivery 2 during the lease: in progress elsewhere",
		"(took over)",
		"fenced, its write was refused",
		"rejected: same key, different payload",
		"delivery of IMG_0042.jpg again: ok: thumbs/photos/IMG_0042.jpg (made by run 2)",
		"ran the work 5 times",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "idempotency.db")); err != nil {
		t.Errorf("the data folder has no database: %v", err)
	}
	// -log writes one JSON object per line, with key hashes and no payload.
	sc := bufio.NewScanner(&stderr)
	lines := 0
	for sc.Scan() {
		lines++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stderr line %d is not JSON: %q", lines, sc.Text())
		}
		if strings.Contains(sc.Text(), "IMG_") || strings.Contains(sc.Text(), "rampart-uploads") {
			t.Errorf("log line carries the payload: %s", sc.Text())
		}
	}
	if lines < 10 {
		t.Errorf("%d log lines; want the engine's decisions", lines)
	}

	// A second run on the same data folder works: its uploads are new.
	stdout.Reset()
	if err := run(t.Context(), []string{"demo", "-data", dir}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatalf("second run: %v\n%s", err, stdout.String())
	}
}

func TestDemo_usage(t *testing.T) {
	for _, args := range [][]string{{"demo", "-nope"}, {"demo", "extra"}, {"demo", "-workers", "1"}} {
		var u usageError
		if err := run(t.Context(), args, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &u) {
			t.Errorf("%q: %v; want a usageError", args, err)
		}
	}
}
