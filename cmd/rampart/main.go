package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/rampartdev/rampart/vet/driver"
)

// Version is stamped at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands. Add one line per subcommand file.
var commands = map[string]command{
	"dev":     {"run the media service locally: HTTP API, queue, thumbnailer, fault injection", runDev},
	"mcp":     {"serve the Model Context Protocol over the dev data folder (AI coding tools read the live state)", runMCP},
	"demo":    {"demonstrate the idempotency engine: duplicate, concurrent, failed and crashed deliveries", runDemo},
	"gateway": {"serve the API gateway (token auth, exact rate limits, proxying); check, bench", runGateway},
	"tokens":  {"create, list, revoke and export the API gateway's tokens", runTokens},
	"version": {"print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
		_, err := fmt.Fprintln(stdout, Version)
		return err
	}},
	"coldstart": {"measure Lambda cold starts from logs and price provisioned concurrency: analyze, generate, prices", runColdstart},
	"vet":       {"check handlers and deployment files for the ways serverless code loses or repeats events", runVet},
}

func main() {
	if driver.IsVetTool(os.Args[1:]) {
		driver.VetToolMain() // rampart vet runs go vet -vettool=rampart
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.As(err, new(findingsError)):
		os.Exit(3) // the findings are printed; 3 as go/analysis drivers exit
	default:
		fmt.Fprintln(os.Stderr, "rampart:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return usageError{"no command given"}
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h or --help: the usage was printed
	}
	return err
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: rampart COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }
