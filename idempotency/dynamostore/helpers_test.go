package dynamostore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/internal/testenv"
)

// MustClient returns a DynamoDB client for endpoint with static test
// credentials. Extra options are applied after the defaults.
func MustClient(tb testing.TB, endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	tb.Helper()
	cfg := aws.Config{
		Region:      "eu-central-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	}}, optFns...)...)
}

var unsafeTableChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// TableName returns a table name made of the test's name and a random
// suffix.
func TableName(tb testing.TB) string {
	name := unsafeTableChars.ReplaceAllString(tb.Name(), "-")
	if len(name) > 180 {
		name = name[len(name)-180:]
	}
	var b [6]byte
	rand.Read(b[:])
	return "rampart-" + name + "-" + hex.EncodeToString(b[:])
}

// MustTable creates a fresh table named after the test (deleted when it
// ends) and returns its name.
func MustTable(tb testing.TB, client *dynamodb.Client, opts *dynamostore.Options) string {
	tb.Helper()
	name := TableName(tb)
	err := dynamostore.CreateTable(context.Background(), client, name, opts)
	if err != nil && !errors.Is(err, dynamostore.ErrTTLUnsupported) { // dynalite has no UpdateTimeToLive
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

// Counter counts the HTTP requests (attempts, retries included) a client
// sends, by operation name. Install it with WithCounter.
type Counter struct {
	mu  sync.Mutex
	ops map[string]int
}

// WithCounter returns a client option that counts every attempt in c.
func WithCounter(c *Counter) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			// The deserialize step runs once per attempt, after the retryer.
			return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("rampartCount",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					c.mu.Lock()
					if c.ops == nil {
						c.ops = map[string]int{}
					}
					c.ops[awsmiddleware.GetOperationName(ctx)]++
					c.mu.Unlock()
					return next.HandleDeserialize(ctx, in)
				}), middleware.After)
		})
	}
}

// Get returns the count of op.
func (c *Counter) Get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

// Writes returns the count of PutItem, UpdateItem and DeleteItem requests.
func (c *Counter) Writes() int { return c.Get("PutItem") + c.Get("UpdateItem") + c.Get("DeleteItem") }

// Reads returns the count of GetItem requests.
func (c *Counter) Reads() int { return c.Get("GetItem") }

// Reset sets every count to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.ops = nil
	c.mu.Unlock()
}

// Proxy is an HTTP server on 127.0.0.1 in front of a DynamoDB-compatible
// server. It can answer requests with throttling errors, lose replies, and
// it can make a server that omits the old item on a failed PutItem or
// UpdateItem condition (dynalite does) behave like DynamoDB, which returns
// it when asked with ReturnValuesOnConditionCheckFailure=ALL_OLD: the proxy
// then reads the item itself, on the server side of the client's round
// trip, and adds it to the error response.
type Proxy struct {
	URL string

	// Throttle is how many of the next requests are answered with
	// ProvisionedThroughputExceededException instead of being forwarded.
	Throttle atomic.Int32
	// Requests counts the requests the proxy received.
	Requests atomic.Int32
	// Injected counts the old items the proxy added to responses.
	Injected atomic.Int32
	// Vanish is how many of the next failed PutItems have their item deleted
	// before the failure is answered, as if another process deleted it just
	// after the server checked the condition.
	Vanish atomic.Int32

	mu   sync.Mutex
	lose map[string]int // operation name -> replies still to lose

	target   string
	keyAttrs []string
	inject   bool
}

// MustProxy starts a Proxy in front of target. With injectOldItem it adds
// the old item (whose key attributes are keyAttrs) to failed PutItems.
func MustProxy(tb testing.TB, target string, injectOldItem bool, keyAttrs ...string) *Proxy {
	tb.Helper()
	p := &Proxy{target: target, keyAttrs: keyAttrs, inject: injectOldItem}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	tb.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// LoseReplies makes the proxy lose the replies of the next n requests of
// operation op (such as "UpdateItem"): it forwards each request, so the
// server applies it, then closes the client's connection without an answer,
// as a network fault after the server's commit would. The SDK sees a
// connection error and retries.
func (p *Proxy) LoseReplies(op string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lose == nil {
		p.lose = map[string]int{}
	}
	p.lose[op] = n
}

// takeLost reports whether the reply to a request of op is to be lost,
// counting it.
func (p *Proxy) takeLost(op string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lose[op] <= 0 {
		return false
	}
	p.lose[op]--
	return true
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.Requests.Add(1)
	if take(&p.Throttle) {
		writeJSON(w, http.StatusBadRequest, []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	status, resp, err := p.forward(r, target, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if _, op, _ := strings.Cut(target, "."); p.takeLost(op) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err) // httptest's HTTP/1.1 server always allows it
		}
		conn.Close()
		return
	}
	if status == http.StatusBadRequest {
		switch {
		case strings.HasSuffix(target, ".PutItem") && take(&p.Vanish):
			p.deleteItem(r, body)
		case p.inject && (strings.HasSuffix(target, ".PutItem") || strings.HasSuffix(target, ".UpdateItem")):
			resp = p.addOldItem(r, body, resp)
		}
	}
	writeJSON(w, status, resp)
}

// take decrements n if it is positive and reports whether it did.
func take(n *atomic.Int32) bool {
	for {
		v := n.Load()
		if v <= 0 {
			return false
		}
		if n.CompareAndSwap(v, v-1) {
			return true
		}
	}
}

// writeRequest is the part of a PutItem or UpdateItem request the proxy
// reads: PutItem names its item's key in Item, UpdateItem in Key.
type writeRequest struct {
	TableName                           string
	Item                                map[string]json.RawMessage
	Key                                 map[string]json.RawMessage
	ReturnValuesOnConditionCheckFailure string
}

// keyOf returns the key of the item in a PutItem or UpdateItem request body.
func (p *Proxy) keyOf(body []byte) (writeRequest, map[string]json.RawMessage, error) {
	var req writeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return req, nil, err
	}
	if req.Key != nil {
		return req, req.Key, nil
	}
	key := map[string]json.RawMessage{}
	for _, a := range p.keyAttrs {
		key[a] = req.Item[a]
	}
	return req, key, nil
}

// deleteItem deletes the item a PutItem request body names.
func (p *Proxy) deleteItem(r *http.Request, body []byte) {
	req, key, err := p.keyOf(body)
	if err != nil {
		return
	}
	del, _ := json.Marshal(map[string]any{"TableName": req.TableName, "Key": key})
	p.forward(r, "DynamoDB_20120810.DeleteItem", del)
}

// addOldItem adds the stored item to a ConditionalCheckFailedException
// answering a PutItem or UpdateItem that asked for it.
func (p *Proxy) addOldItem(r *http.Request, reqBody, resp []byte) []byte {
	req, key, err := p.keyOf(reqBody)
	var fail map[string]json.RawMessage
	if err != nil || json.Unmarshal(resp, &fail) != nil ||
		req.ReturnValuesOnConditionCheckFailure != "ALL_OLD" || fail["Item"] != nil ||
		!bytes.Contains(fail["__type"], []byte("ConditionalCheckFailedException")) {
		return resp
	}
	get, _ := json.Marshal(map[string]any{"TableName": req.TableName, "Key": key, "ConsistentRead": true})
	status, out, err := p.forward(r, "DynamoDB_20120810.GetItem", get)
	var got struct{ Item json.RawMessage }
	if err != nil || status != http.StatusOK || json.Unmarshal(out, &got) != nil || got.Item == nil {
		return resp // vanished in between: the client falls back to reading
	}
	fail["Item"] = got.Item
	b, _ := json.Marshal(fail)
	p.Injected.Add(1)
	return b
}

// forward sends body to the target server as operation target, with the
// original request's headers (dynalite checks their form, not the signature).
func (p *Proxy) forward(r *http.Request, target string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.target+"/", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Del("Accept-Encoding")
	req.Header.Set("X-Amz-Target", target)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	w.Header().Set("X-Amzn-Requestid", "rampart-test-proxy")
	w.WriteHeader(status)
	w.Write(body)
}

// endpoint returns the test DynamoDB server, or skips (fails in CI).
func endpoint(tb testing.TB) string {
	tb.Helper()
	return testenv.DynamoDBEndpoint(tb)
}

// Foreign wraps a Store with idempotencytest.ForeignWriter: Powertools for
// AWS Lambda completing a record, with the UpdateItem its DynamoDB
// persistence layer sends (an unconditional SET of expiration, status and
// data; Powertools keeps the other attributes, Rampart's owner included).
type Foreign struct {
	*dynamostore.Store
	Client *dynamodb.Client
	Opts   dynamostore.Options // the store's options: its key schema
}

// CompleteForeign completes key as Powertools does.
func (f Foreign) CompleteForeign(ctx context.Context, key string, result []byte, expiry time.Time) error {
	o := f.Opts
	keyAttr := o.KeyAttr
	if keyAttr == "" {
		keyAttr = dynamostore.DefaultKeyAttr
	}
	k := map[string]types.AttributeValue{keyAttr: &types.AttributeValueMemberS{Value: key}}
	if o.SortKeyAttr != "" {
		k = map[string]types.AttributeValue{
			keyAttr:       &types.AttributeValueMemberS{Value: o.StaticPKValue},
			o.SortKeyAttr: &types.AttributeValueMemberS{Value: key},
		}
	}
	_, err := f.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(f.Table()),
		Key:                      k,
		UpdateExpression:         aws.String("SET #expiry = :expiry, #status = :status, #response_data = :response_data"),
		ConditionExpression:      aws.String("attribute_exists(#status)"), // only to report a missing record
		ExpressionAttributeNames: map[string]string{"#expiry": "expiration", "#status": "status", "#response_data": "data"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":expiry":        &types.AttributeValueMemberN{Value: strconv.FormatInt(int64(math.Round(float64(expiry.UnixMilli())/1000)), 10)},
			":status":        &types.AttributeValueMemberS{Value: "COMPLETED"},
			":response_data": &types.AttributeValueMemberS{Value: string(result)},
		},
	})
	return err
}

// Prefixed is a store under test as one conformance case sees it: f over a
// table that other cases share, with every key the case uses stored under
// the case's own prefix (its test name), so that cases cannot see each
// other's records. Records come back with the prefix removed; a record
// outside the prefix fails the case.
type Prefixed struct {
	Foreign
	t      testing.TB
	prefix string
}

// MustPrefixed returns f as tb's own store.
func MustPrefixed(tb testing.TB, f Foreign) *Prefixed {
	return &Prefixed{Foreign: f, t: tb, prefix: tb.Name() + "|"}
}

func (p *Prefixed) own(rec idempotency.Record) idempotency.Record {
	p.t.Helper()
	k, ok := strings.CutPrefix(rec.Key, p.prefix)
	if !ok {
		p.t.Errorf("the store returned record %q, outside the case's prefix %q", rec.Key, p.prefix)
	}
	rec.Key = k
	return rec
}

func (p *Prefixed) Acquire(ctx context.Context, rec idempotency.Record, now time.Time) error {
	rec.Key = p.prefix + rec.Key
	err := p.Store.Acquire(ctx, rec, now)
	if ce, ok := errors.AsType[*idempotency.ConflictError](err); ok {
		return &idempotency.ConflictError{Existing: p.own(ce.Existing)}
	}
	return err
}

func (p *Prefixed) Complete(ctx context.Context, rec idempotency.Record) error {
	rec.Key = p.prefix + rec.Key
	return p.Store.Complete(ctx, rec)
}

func (p *Prefixed) Release(ctx context.Context, key, owner string) error {
	return p.Store.Release(ctx, p.prefix+key, owner)
}

func (p *Prefixed) Get(ctx context.Context, key string) (idempotency.Record, error) {
	rec, err := p.Store.Get(ctx, p.prefix+key)
	if err != nil {
		return rec, err
	}
	return p.own(rec), nil
}

func (p *Prefixed) Delete(ctx context.Context, key string) error {
	return p.Store.Delete(ctx, p.prefix+key)
}

// CompleteForeign completes key as Powertools does.
func (p *Prefixed) CompleteForeign(ctx context.Context, key string, result []byte, expiry time.Time) error {
	return p.Foreign.CompleteForeign(ctx, p.prefix+key, result, expiry)
}
