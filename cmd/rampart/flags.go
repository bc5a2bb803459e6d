package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags returns the flag set of the subcommand name ("dev", "tokens
// revoke"). Its errors and usage go to stderr; usage, when not empty, is
// printed before the flag defaults.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		if usage != "" {
			fmt.Fprint(stderr, usage)
		} else {
			fmt.Fprintf(stderr, "usage: rampart %s [flags]\n\nflags:\n", name)
		}
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs and returns the positional arguments.
// Flags may come before, between or after them, so `rampart tokens revoke ID
// --db X` and `rampart tokens revoke --db X ID` are the same command; "--"
// ends the flags, and everything after it is positional (a positional
// argument that starts with "-" must follow it). At most maxArgs positional
// arguments are accepted (a negative maxArgs means any number).
//
// After -h or --help it returns [flag.ErrHelp], which run turns into
// success once the usage is printed. A bad flag or too many arguments is a
// [usageError] that names the subcommand.
func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{fs.Name() + ": " + err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// Parse stops at the first positional argument, or after a "--" it
		// consumed as the end of the flags (not as a flag's value).
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" && (used < 2 || !takesValue(fs, args[used-2])) {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if maxArgs >= 0 && len(pos) > maxArgs {
		extra := pos[maxArgs:]
		if maxArgs == 0 {
			return nil, usageError{fmt.Sprintf("%s: unexpected arguments %q (it takes none)", fs.Name(), extra)}
		}
		return nil, usageError{fmt.Sprintf("%s: unexpected arguments %q (it takes at most %d)", fs.Name(), extra, maxArgs)}
	}
	return pos, nil
}

// takesValue reports whether arg is a flag of fs, without "=", that takes
// the next argument as its value.
func takesValue(fs *flag.FlagSet, arg string) bool {
	name, ok := strings.CutPrefix(arg, "-")
	if !ok || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(strings.TrimPrefix(name, "-"))
	if f == nil {
		return false
	}
	b, isBool := f.Value.(interface{ IsBoolFlag() bool })
	return !isBool || !b.IsBoolFlag()
}

// isFlagSet reports whether the flag name was given on the command line.
func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
