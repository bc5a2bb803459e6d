package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The two documented ways to run the binary: as go vet's tool, and on its
// own, each over the recipe's handler (findings) and Rampart's version of
// it (none).
func TestRampartVet(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "rampart-vet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	testdata, _ := filepath.Abs(filepath.Join("..", "..", "vet", "testdata"))
	run := func(args ...string) (string, error) {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = testdata
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"go vet -vettool", []string{"go", "vet", "-vettool=" + bin, "./recipe"}},
		{"standalone", []string{bin, "./recipe"}},
	} {
		out, err := run(c.args...)
		if err == nil || !strings.Contains(out, "recipe.go:26:") || !strings.Contains(out, "dedupe: PutItem with attribute_not_exists") ||
			strings.Count(out, "swallowed: the error err is dropped") != 2 {
			t.Errorf("%s ./recipe: %v\n%s", c.name, err, out)
		}
		fixed := append(c.args[:len(c.args)-1:len(c.args)-1], "./recipefixed")
		if out, err := run(fixed...); err != nil {
			t.Errorf("%s ./recipefixed: %v\n%s", c.name, err, out)
		}
	}
	if out, err := run(bin, "-json", "./recipe"); err != nil || !strings.Contains(out, `"example.com/vettest/recipe"`) || !strings.Contains(out, `"dedupe"`) {
		t.Errorf("-json: %v\n%s", err, out)
	}
}
