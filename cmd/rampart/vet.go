package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rampartdev/rampart/vet/driver"
)

const vetUsage = `usage: rampart vet [flags] [packages]

Runs Rampart's serverless analyzers (dedupe, swallowed, s3key, wholebatch,
deadline, initclient) on the packages (default ./...) and their tests, as
go vet's tool (rampart is its own -vettool; results are cached per package
like go vet's), and the deployment rules on the SAM templates,
serverless.yml and wrangler configuration files (wrangler.toml, .json,
.jsonc) under them, joined with the code.
Findings go to stderr as file:line:col: rule: message (link); the exit
status is 3 when there are findings, 1 on errors. With -json the findings
go to stdout in go/analysis's JSON form and the status is 0.
Suppress one with //rampart:ignore RULE reason (# in YAML and TOML) on its
line or alone on the line above.

flags:
`

// runVet is `rampart vet`.
func runVet(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("vet", vetUsage, stderr)
	jsonOut := fs.Bool("json", false, "print the findings as JSON on stdout (go/analysis's form)")
	only := fs.String("analyzers", "", "comma-separated analyzers to run (default all)")
	noDeploy := fs.Bool("no-deploy", false, "skip the deployment rules")
	var files stringList
	fs.Var(&files, "file", "a deployment file to check besides those found (repeatable)")
	kvList := fs.String("kv-list", "", "JSON printed by `wrangler kv namespace list`, to check KV ids against the account")
	remote := fs.Bool("remote", false, "`wrangler dev --remote` is used: KV, R2 and D1 bindings need preview ids")
	tool := fs.String("vettool", "", "the go vet tool to run the analyzers with (default this rampart binary; rampart-vet works too)")
	patterns, err := parseFlags(fs, args, -1)
	if err != nil {
		return err
	}
	opts := &driver.Options{NoDeploy: *noDeploy, Files: files, JSON: *jsonOut, Tool: *tool}
	opts.Wrangler.KVList, opts.Wrangler.Remote = *kvList, *remote
	if *only != "" {
		opts.Analyzers = strings.Split(*only, ",")
	}
	res, err := driver.Run(patterns, opts)
	if err != nil {
		return err
	}
	for _, e := range res.Errors {
		fmt.Fprintln(stderr, e)
	}
	if *jsonOut {
		if err := res.PrintJSON(stdout); err != nil {
			return err
		}
	} else if err := res.PrintText(stderr); err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("vet: %d error(s) above: packages that do not build or files that do not parse", len(res.Errors))
	}
	if n := res.Count(); n > 0 && !*jsonOut {
		return findingsError(n)
	}
	return nil
}

// findingsError is a run that found something: exit status 3, as
// go/analysis drivers use.
type findingsError int

func (e findingsError) Error() string { return fmt.Sprintf("%d finding(s)", int(e)) }
