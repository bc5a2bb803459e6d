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
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/inspect/awsstate"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/inspect/writegate"
	"github.com/rampartdev/rampart/internal/datadir"
	"github.com/rampartdev/rampart/mcpserver"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

const mcpUsage = `usage: rampart mcp [flags]

Serves the Model Context Protocol over the state of a "rampart dev" data
folder, so that an AI coding tool can read media records, idempotency
records, objects, the queue and dead letters, logs and gateway tokens.
Over stdio by default (the client starts this command); with --http, over
streamable HTTP on a loopback address.

Read-only unless --allow-writes, which adds evict_idempotency_record and
redrive_dead_letters.

With --aws it reads a deployment on AWS instead: the DynamoDB media and
idempotency tables, the S3 bucket, CloudWatch log groups and, if given, the
SQS queues, with the AWS SDK's default credentials. --stack reads all the
names from the outputs of the deployment's CloudFormation stack
(deploy/aws); otherwise they default to the thumbnailer's variables
MEDIA_BUCKET, MEDIA_TABLE and IDEMPOTENCY_TABLE. Flags given name what
they name either way:

  rampart mcp --aws --region eu-central-1 --stack rampart-media-prod
  rampart mcp --aws --region eu-central-1 --media-table rampart-media-prod \
    --idempotency-table rampart-idempotency-prod --bucket rampart-media-prod-123456789012-eu-central-1 \
    --log-group /aws/lambda/rampart-thumbnailer-prod --dlq-url https://sqs...

flags:
`

// runMCP implements "rampart mcp".
func runMCP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mcp", mcpUsage, stderr)
	data := fs.String("data", ".rampart", "data folder of rampart dev")
	httpAddr := fs.String("http", "", "serve streamable HTTP on this loopback address (e.g. 127.0.0.1:8765) instead of stdio")
	allowWrites := fs.Bool("allow-writes", false, "add the tools that change state")
	var allowHosts stringList
	fs.Var(&allowHosts, "allow-host", "with --http: a `name` (or name:port) requests may carry in their Host and Origin headers besides 127.0.0.1, localhost and [::1] (repeatable)")
	onAWS := fs.Bool("aws", false, "read a deployment on AWS instead of a data folder")
	var coldStartDirs stringList
	fs.Var(&coldStartDirs, "coldstart-dir", "a folder whose Lambda log files analyze_cold_starts may read when a client names paths (repeatable; locally <data>/"+datadir.ColdStartDir+" is always allowed)")
	var awsCfg awsstate.Config
	var groups stringList
	region := fs.String("region", "", "with --aws: AWS region (default: the AWS configuration)")
	fs.StringVar(&awsCfg.Bucket, "bucket", os.Getenv(thumbnailer.EnvBucket), "with --aws: media bucket (default $"+thumbnailer.EnvBucket+")")
	fs.StringVar(&awsCfg.MediaTable, "media-table", os.Getenv(thumbnailer.EnvMediaTable), "with --aws: DynamoDB media table (default $"+thumbnailer.EnvMediaTable+")")
	fs.StringVar(&awsCfg.IdempotencyTable, "idempotency-table", os.Getenv(thumbnailer.EnvIdempotencyTable), "with --aws: DynamoDB idempotency table (default $"+thumbnailer.EnvIdempotencyTable+")")
	fs.Var(&groups, "log-group", "with --aws: CloudWatch Logs group of a function (repeatable), e.g. /aws/lambda/rampart-thumbnailer")
	fs.StringVar(&awsCfg.QueueURL, "queue-url", "", "with --aws: SQS event queue URL (the template's QueueUrl output)")
	fs.StringVar(&awsCfg.DeadLetterQueueURL, "dlq-url", "", "with --aws: SQS dead-letter queue URL (DeadLetterQueueUrl); redrive needs it")
	endpoint := fs.String("endpoint-url", "", "with --aws: send every AWS request to this `URL` (LocalStack, a local DynamoDB)")
	stack := fs.String("stack", "", "with --aws: CloudFormation stack (rampart-media-dev, rampart-media-prod) whose outputs name the tables, bucket, log groups and queues")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	awsOnly := map[string]bool{"region": true, "bucket": true, "media-table": true, "idempotency-table": true, "log-group": true,
		"queue-url": true, "dlq-url": true, "endpoint-url": true, "stack": true}
	var misused string
	fs.Visit(func(f *flag.Flag) {
		if awsOnly[f.Name] && !*onAWS {
			misused = f.Name
		}
		if f.Name == "data" && *onAWS {
			misused = f.Name
		}
	})
	if misused == "data" {
		return usageError{"mcp: --data reads a local data folder; leave it out with --aws"}
	}
	if misused != "" {
		return usageError{fmt.Sprintf("mcp: --%s needs --aws", misused)}
	}
	awsCfg.LogGroups = groups
	if *onAWS && *stack == "" && awsCfg.Bucket == "" && awsCfg.MediaTable == "" && awsCfg.IdempotencyTable == "" && len(groups) == 0 &&
		awsCfg.QueueURL == "" && awsCfg.DeadLetterQueueURL == "" {
		return usageError{"mcp: --aws needs --stack, or at least one of --media-table, --idempotency-table, --bucket, --log-group, --queue-url, --dlq-url (or MEDIA_TABLE, IDEMPOTENCY_TABLE, MEDIA_BUCKET)"}
	}
	if *httpAddr != "" {
		host, _, err := net.SplitHostPort(*httpAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return usageError{fmt.Sprintf("mcp: --http %q: want a loopback address such as 127.0.0.1:8765", *httpAddr)}
		}
	}
	// Logs go to stderr: stdout carries the protocol.
	logger := slog.New(slog.NewJSONHandler(stderr, nil)).With(slog.String("service", "rampart-mcp"))
	var src inspect.Source
	where := *data
	if *onAWS {
		s, err := openAWS(ctx, awsCfg, *region, *endpoint, *stack, explicit(fs))
		if err != nil {
			return err
		}
		src = s
		_, where = s.Backend()
	} else {
		s, err := local.Open(ctx, *data, nil)
		if err != nil {
			return err
		}
		defer s.Close()
		src = s
	}
	dirs := []string(coldStartDirs)
	if !*onAWS {
		dirs = append(dirs, filepath.Join(*data, datadir.ColdStartDir))
	}
	server := mcpserver.New(src, &mcpserver.Options{AllowWrites: *allowWrites, ColdStartDirs: dirs, Version: Version, Logger: logger})
	if *httpAddr == "" {
		err := server.Run(ctx, &mcpserver.StdioTransport{Reader: os.Stdin, Writer: stdout})
		if ctx.Err() != nil || errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return err
	}
	// Host and Origin are checked as the MCP specification requires of
	// local servers: a DNS-rebinding page sends its own name in both. The
	// SDK's own Host check is off: it knows only loopback names, so it
	// would refuse the names --allow-host adds.
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Logger: logger, DisableLocalhostProtection: true})
	srv := &http.Server{Handler: writegate.NewHosts(allowHosts...).WrapOrigin(bodyTimeout(h, mcpBodyReadTimeout)),
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	logger.Info("listening", slog.String("url", "http://"+ln.Addr().String()), slog.String("state", where), slog.Bool("allow_writes", *allowWrites))
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

// openAWS opens the read model over the AWS resources cfg names, with the
// default AWS configuration (environment, shared files, SSO, instance role).
// With a stack, the names come from its outputs, except those set names
// (flags given on the command line).
func openAWS(ctx context.Context, cfg awsstate.Config, region, endpoint, stack string, set map[string]bool) (*awsstate.Source, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	ac, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("mcp: load AWS configuration: %w", err)
	}
	if ac.Region == "" {
		return nil, usageError{"mcp: no AWS region: pass --region or set AWS_REGION"}
	}
	cfg.Region = ac.Region
	if stack != "" {
		cfn := cloudformation.NewFromConfig(ac, func(o *cloudformation.Options) {
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
		})
		sc, err := awsstate.FromStack(ctx, cfn, stack)
		if err != nil {
			return nil, fmt.Errorf("mcp: --stack: %w", err)
		}
		cfg = mergeStack(cfg, sc, set)
	}
	return awsstate.New(cfg, awsstate.NewClients(ac, endpoint), nil)
}

// mergeStack returns the stack's names, with those of cfg whose flag is set
// instead.
func mergeStack(cfg, stack awsstate.Config, set map[string]bool) awsstate.Config {
	stack.Region = cfg.Region
	for flag, pair := range map[string][2]*string{
		"bucket": {&stack.Bucket, &cfg.Bucket}, "media-table": {&stack.MediaTable, &cfg.MediaTable},
		"idempotency-table": {&stack.IdempotencyTable, &cfg.IdempotencyTable},
		"queue-url":         {&stack.QueueURL, &cfg.QueueURL}, "dlq-url": {&stack.DeadLetterQueueURL, &cfg.DeadLetterQueueURL},
	} {
		if set[flag] {
			*pair[0] = *pair[1]
		}
	}
	if set["log-group"] {
		stack.LogGroups = cfg.LogGroups
	}
	return stack
}

// explicit returns the names of the flags given on the command line.
func explicit(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// mcpBodyReadTimeout is the longest a request body sent to rampart mcp
// --http may go without delivering data before its connection is closed.
var mcpBodyReadTimeout = 30 * time.Second

// bodyTimeout closes the connection of a request whose body stops arriving
// for idle (a slow-body client would otherwise hold it forever). It cannot
// be the server's ReadTimeout: that would also end the long-lived event
// streams the responses are, so the read deadline moves idle ahead before
// each read of the body and is cleared at its end.
func bodyTimeout(next http.Handler, idle time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &idleBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: idle}
		}
		next.ServeHTTP(w, r)
	})
}

type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		// The whole body arrived: the response may stream as long as it
		// likes. (After any other error the connection is done with, and
		// the deadline stays, so the server's discarding of the rest of
		// the body cannot wait forever either.)
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
