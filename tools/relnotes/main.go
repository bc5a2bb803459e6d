// Command relnotes prints the release notes of a version: its section of
// CHANGELOG.md, a Keep a Changelog file. The release workflow
// (the release job of .github/workflows/deploy.yml) runs it with the pushed tag:
//
//	go run ./tools/relnotes v0.1.0 > notes.md
//	go run ./tools/relnotes v0.1.0 path/to/CHANGELOG.md
//
// It fails, and with it the release, when the tag is not a semantic version
// (vMAJOR.MINOR.PATCH, with an optional pre-release), when the changelog has
// no section "## [MAJOR.MINOR.PATCH...] - YYYY-MM-DD" for it, or when that
// section is empty: a version is released only once its changes are
// written down.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "relnotes:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: relnotes VERSION [CHANGELOG.md]")
	}
	path := "CHANGELOG.md"
	if len(args) == 2 {
		path = args[1]
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rels, err := parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	notes, err := notesOf(rels, args[0])
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	_, err = io.WriteString(w, notes)
	return err
}

// release is one section of the changelog.
type release struct {
	Version string    // without the v: "0.1.0"; "Unreleased" for that section
	Date    time.Time // zero for Unreleased
	Body    string    // the section's text without its heading, trimmed
	Line    int       // of the heading
}

// semver matches a semantic version without its v.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// heading matches a release heading: "## [0.1.0] - 2026-12-02" or
// "## [Unreleased]".
var heading = regexp.MustCompile(`^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?\s*$`)

// parse reads the sections of a Keep a Changelog file, checking their
// headings: semantic versions with dates, newest first, each once.
func parse(r io.Reader) ([]release, error) {
	var rels []release
	var body strings.Builder
	flush := func() {
		if len(rels) > 0 {
			rels[len(rels)-1].Body = strings.TrimSpace(body.String())
		}
		body.Reset()
	}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "[") && strings.Contains(line, "]: ") {
			continue // a link reference, not part of any section
		}
		if !strings.HasPrefix(line, "## ") {
			body.WriteString(line + "\n")
			continue
		}
		flush()
		m := heading.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("line %d: heading %q is not \"## [X.Y.Z] - YYYY-MM-DD\" or \"## [Unreleased]\"", n, line)
		}
		rel := release{Version: m[1], Line: n}
		switch {
		case rel.Version == "Unreleased":
			if len(rels) > 0 || m[2] != "" {
				return nil, fmt.Errorf("line %d: [Unreleased] must be the first section, without a date", n)
			}
		case !semver.MatchString(rel.Version):
			return nil, fmt.Errorf("line %d: %q is not a semantic version", n, rel.Version)
		case m[2] == "":
			return nil, fmt.Errorf("line %d: release %s has no date", n, rel.Version)
		default:
			d, err := time.Parse(time.DateOnly, m[2])
			if err != nil {
				return nil, fmt.Errorf("line %d: date of %s: %w", n, rel.Version, err)
			}
			rel.Date = d
			for _, prev := range rels {
				if prev.Version == rel.Version {
					return nil, fmt.Errorf("line %d: release %s appears twice", n, rel.Version)
				}
				if !prev.Date.IsZero() && prev.Date.Before(d) {
					return nil, fmt.Errorf("line %d: release %s is dated after %s above it: newest first", n, rel.Version, prev.Version)
				}
			}
		}
		rels = append(rels, rel)
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return rels, nil
}

// notesOf returns the notes of tag ("v0.1.0") among rels.
func notesOf(rels []release, tag string) (string, error) {
	v, ok := strings.CutPrefix(tag, "v")
	if !ok || !semver.MatchString(v) {
		return "", fmt.Errorf("tag %q is not a semantic version vMAJOR.MINOR.PATCH", tag)
	}
	for _, r := range rels {
		if r.Version == v {
			if r.Body == "" {
				return "", fmt.Errorf("the section of %s is empty", v)
			}
			return r.Body + "\n", nil
		}
	}
	return "", fmt.Errorf("no section \"## [%s] - YYYY-MM-DD\": write the release's changes first", v)
}
