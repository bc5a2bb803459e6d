package awsstate_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/internal/mcptest"
	"github.com/rampartdev/rampart/mcpserver"
)

// A record Powertools for AWS Lambda (TypeScript) wrote in the shared
// idempotency table (its result as a native map, a base64 MD5 validation
// hash, no owner) is listed and evicted like Rampart's own.
func TestSource_EvictPowertoolsRecord(t *testing.T) {
	f := mustFixture(t, 0)
	s := mustSource(t, f)
	ctx := t.Context()
	const key = "orders-fn.handler#KsO4NqWlpXyC0G5NyF9yDA=="
	putPowertoolsRecord(t, f, key)
	rec, err := s.EvictIdempotency(ctx, key)
	if err != nil || rec.Key != key || rec.Status != "COMPLETED" || rec.Owner != "" {
		t.Fatalf("evict of a Powertools record = %+v, %v", rec, err)
	}
	if p, err := s.Idempotency(ctx, inspect.IdempotencyQuery{Status: "COMPLETED"}); err != nil || len(p.Items) != 1 || p.Items[0].Key == key {
		t.Errorf("after evict: %+v, %v; want only the fixture's own completed record", p, err)
	}

	// The MCP tool over the same source.
	putPowertoolsRecord(t, f, key)
	server := mcpserver.New(s, &mcpserver.Options{AllowWrites: true, Now: func() time.Time { return f.now }})
	cs := mcptest.Connect(t, server)
	var ev mcpserver.EvictOutput
	if msg := mcptest.Call(t, cs, "evict_idempotency_record", map[string]any{"key": key}, &ev); msg != "" || ev.Deleted.Key != key {
		t.Errorf("MCP evict of a Powertools record: %+v %s", ev, msg)
	}
}

// putPowertoolsRecord writes a COMPLETED record under key as Powertools for
// AWS Lambda (TypeScript) does.
func putPowertoolsRecord(t *testing.T, f facts, key string) {
	t.Helper()
	_, err := f.clients.DynamoDB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(f.cfg.IdempotencyTable), Item: map[string]types.AttributeValue{
		"id":     &types.AttributeValueMemberS{Value: key},
		"status": &types.AttributeValueMemberS{Value: "COMPLETED"},
		"data": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"statusCode": &types.AttributeValueMemberN{Value: "200"},
			"body":       &types.AttributeValueMemberS{Value: "ok"},
		}},
		"validation":             &types.AttributeValueMemberS{Value: "1B2M2Y8AsgTpgAmY7PhCfg=="},
		"expiration":             &types.AttributeValueMemberN{Value: strconv.FormatInt(f.now.Unix()+3600, 10)},
		"in_progress_expiration": &types.AttributeValueMemberN{Value: strconv.FormatInt(f.now.UnixMilli(), 10)},
	}})
	if err != nil {
		t.Fatal(err)
	}
}
