package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/mcpserver"
)

const mcpUsage = `usage: rampart mcp [flags]

Serves the Model Context Protocol over the state of a "rampart dev" data
folder, so that an AI coding tool can read media records, idempotency
records, objects, the queue and dead letters, logs and gateway tokens.
Over stdio by default (the client starts this command); with --http, over
streamable HTTP on a loopback address.

Read-only unless --allow-writes, which adds evict_idempotency_record and
redrive_dead_letters.

flags:
`

// runMCP implements "rampart mcp".
func runMCP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mcpUsage); fs.PrintDefaults() }
	data := fs.String("data", ".rampart", "data folder of rampart dev")
	httpAddr := fs.String("http", "", "serve streamable HTTP on this loopback address (e.g. 127.0.0.1:8765) instead of stdio")
	allowWrites := fs.Bool("allow-writes", false, "add the tools that change state")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("mcp: unexpected argument %q", fs.Arg(0))}
	}
	if *httpAddr != "" {
		host, _, err := net.SplitHostPort(*httpAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return usageError{fmt.Sprintf("mcp: --http %q: want a loopback address such as 127.0.0.1:8765", *httpAddr)}
		}
	}
	// Logs go to stderr: stdout carries the protocol.
	logger := slog.New(slog.NewJSONHandler(stderr, nil)).With(slog.String("service", "rampart-mcp"))
	src, err := local.Open(ctx, *data, nil)
	if err != nil {
		return err
	}
	defer src.Close()
	server := mcpserver.New(src, &mcpserver.Options{AllowWrites: *allowWrites, Version: Version, Logger: logger})
	if *httpAddr == "" {
		err := server.Run(ctx, &mcp.IOTransport{Reader: os.Stdin, Writer: nopWriteCloser{stdout}})
		if ctx.Err() != nil || errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return err
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{Logger: logger})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("listening", slog.String("url", "http://"+ln.Addr().String()), slog.String("data", *data), slog.Bool("allow_writes", *allowWrites))
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
