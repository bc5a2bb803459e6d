package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rampartdev/rampart/gateway"
	"github.com/rampartdev/rampart/gateway/sqlitetokens"
)

// gatewayTokensDB is the default token database of the gateway commands:
// $RAMPART_DATA_DIR/gateway/tokens.db, or .rampart/gateway/tokens.db.
func gatewayTokensDB() string {
	dir := os.Getenv("RAMPART_DATA_DIR")
	if dir == "" {
		dir = ".rampart"
	}
	return filepath.Join(dir, "gateway", "tokens.db")
}

// openGatewayTokens opens the token database at path, creating its folder.
func openGatewayTokens(path string) (*sqlitetokens.Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return sqlitetokens.Open(path, nil)
}

const tokensUsage = `usage: rampart tokens COMMAND [flags]

Manage the API gateway's bearer tokens. Only hashes are stored; a new token
is printed once.

commands:
  create   issue a token: --tenant T [--scope a,b] [--rate N --period D --burst N] [--ttl D] [--note S]
  list     list tokens (--json for JSON)
  revoke   revoke a token: revoke ID
  export   print the records for seeding the Worker's KV: export --kv (wrangler's bulk format)

every command takes --db PATH (default ` + "$RAMPART_DATA_DIR/gateway/tokens.db or .rampart/gateway/tokens.db" + `)
`

// runTokens is `rampart tokens`.
func runTokens(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, tokensUsage)
		if len(args) == 0 {
			return usageError{"tokens: no command given"}
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := newFlags("tokens "+sub, "", stderr)
	db := fs.String("db", gatewayTokensDB(), "token database (SQLite file)")
	var (
		tenant, scopes, note *string
		rate, burst          *int
		period, ttl          *time.Duration
		asJSON, kv           *bool
	)
	switch sub {
	case "create":
		tenant = fs.String("tenant", "", "tenant the token belongs to (required)")
		scopes = fs.String("scope", "", "comma-separated scopes the token grants (* for all)")
		rate = fs.Int("rate", 10, "requests per period; 0 for no limit")
		period = fs.Duration("period", time.Second, "the rate's period")
		burst = fs.Int("burst", 0, "requests allowed at once (default: rate)")
		ttl = fs.Duration("ttl", 0, "lifetime (positive); 0 means it never expires")
		note = fs.String("note", "", "free text for operators")
	case "list":
		asJSON = fs.Bool("json", false, "print JSON records")
	case "export":
		kv = fs.Bool("kv", false, "print wrangler's bulk KV format: [{key: token id, value: record JSON}]")
	case "revoke":
	default:
		fmt.Fprint(stderr, tokensUsage)
		return usageError{fmt.Sprintf("tokens: unknown command %q", sub)}
	}
	maxArgs := 0
	if sub == "revoke" {
		maxArgs = 1
	}
	pos, err := parseFlags(fs, args, maxArgs)
	if err != nil {
		return err
	}
	if sub == "revoke" && len(pos) != 1 {
		return usageError{"tokens revoke: give exactly one token id"}
	}
	if sub == "create" && *tenant == "" {
		return usageError{"tokens create: --tenant is required"}
	}
	if sub == "export" && !*kv {
		return usageError{"tokens export: choose a format (--kv)"}
	}
	store, err := openGatewayTokens(*db)
	if err != nil {
		return err
	}
	defer store.Close()

	switch sub {
	case "create":
		var sc []string
		for _, s := range strings.Split(*scopes, ",") {
			if s = strings.TrimSpace(s); s != "" {
				sc = append(sc, s)
			}
		}
		tok, rec, err := store.Create(ctx, sqlitetokens.CreateOptions{
			Tenant: *tenant, Scopes: sc, TTL: *ttl, Note: *note,
			Limit: gateway.Limit{Rate: *rate, Period: *period, Burst: *burst},
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		fmt.Fprintf(stderr, "created token %s for tenant %s; this is the only time it is shown\n", rec.ID, rec.Tenant)
		return nil
	case "revoke":
		if err := store.Revoke(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "revoked token %s\n", pos[0])
		return nil
	}
	recs, err := store.List(ctx)
	if err != nil {
		return err
	}
	switch {
	case sub == "export":
		pairs := make([]map[string]string, 0, len(recs))
		for _, r := range recs {
			b, _ := json.Marshal(r)
			pairs = append(pairs, map[string]string{"key": r.ID, "value": string(b)})
		}
		return writeIndentedJSON(stdout, pairs)
	case *asJSON:
		if recs == nil {
			recs = []gateway.TokenRecord{}
		}
		return writeIndentedJSON(stdout, recs)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTENANT\tSCOPES\tLIMIT\tCREATED\tEXPIRES\tSTATUS")
	now := time.Now()
	for _, r := range recs {
		limit := "none"
		if l := r.Limit(); !l.Unlimited() {
			p := l.Period
			if p <= 0 {
				p = time.Second
			}
			limit = fmt.Sprintf("%d/%v burst %d", l.Rate, p, l.BurstSize())
		}
		expires, status := "never", "active"
		if !r.ExpiresAt.IsZero() {
			expires = r.ExpiresAt.Format(time.RFC3339)
		}
		switch {
		case r.Revoked:
			status = "revoked"
		case r.Expired(now):
			status = "expired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Tenant, strings.Join(r.Scopes, ","), limit, r.CreatedAt.Format(time.RFC3339), expires, status)
	}
	return tw.Flush()
}
