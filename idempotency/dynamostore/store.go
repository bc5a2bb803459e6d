package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/rampartdev/rampart/idempotency"
)

// Client is the part of *dynamodb.Client the store uses. Any value with these
// methods works, such as a client wrapped for tracing.
type Client interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// MaxItemSize is DynamoDB's limit on the size of one item, attribute names
// included.
const MaxItemSize = 400 * 1024

// MaxResultSize is the largest result a Store accepts: MaxItemSize less 4 KiB
// for the record's other attributes (key, hash, owner, expiries and the
// attribute names take about 300 bytes plus the key's length; keys are at
// most 2 KiB). A record whose other attributes are larger still is held to
// what remains of MaxItemSize.
const MaxResultSize = MaxItemSize - 4096

// Default attribute names, as Powertools for AWS Lambda names them (owner,
// expiration_ms, completed_by and result_not_stored are Rampart's
// additions; Powertools ignores them).
const (
	DefaultKeyAttr              = "id"
	DefaultExpiryAttr           = "expiration"
	DefaultInProgressExpiryAttr = "in_progress_expiration"
	DefaultStatusAttr           = "status"
	DefaultDataAttr             = "data"
	DefaultValidationAttr       = "validation"
	DefaultOwnerAttr            = "owner"
	DefaultExpiryMillisAttr     = "expiration_ms"
	DefaultCompletedByAttr      = "completed_by"
	DefaultResultNotStoredAttr  = "result_not_stored"
)

// Options configure a Store and the table CreateTable makes. The zero value
// (or nil) means a Powertools-compatible table keyed by "id".
type Options struct {
	// KeyAttr is the partition key attribute. Default "id".
	KeyAttr string
	// SortKeyAttr, when set, selects sort-key mode: the table's partition key
	// KeyAttr holds StaticPKValue on every item and the record key goes in
	// this sort key attribute. Empty (the default) means the record key is
	// the partition key.
	SortKeyAttr string
	// StaticPKValue is the partition key value in sort-key mode. Default
	// "idempotency#" followed by $AWS_LAMBDA_FUNCTION_NAME (read by New), as
	// in Powertools.
	StaticPKValue string

	// Attribute names; empty means the Default… constant of the same name.
	ExpiryAttr           string // N, epoch seconds: the table's TTL attribute
	InProgressExpiryAttr string // N, epoch milliseconds
	StatusAttr           string // S, INPROGRESS or COMPLETED
	DataAttr             string // S (valid UTF-8) or B: the stored result
	ValidationAttr       string // S, the payload hash
	OwnerAttr            string // S, the fencing token
	ExpiryMillisAttr     string // N, epoch milliseconds: Expiry, exactly
	CompletedByAttr      string // S, the owner token whose Complete stored the result
	ResultNotStoredAttr  string // BOOL, true on a record completed without its result (too large for an item)

	// ForeignLeaseMargin is how long after its end the lease of another
	// runtime's INPROGRESS item (one without OwnerAttr: Powertools for AWS
	// Lambda, TypeScript or Python) is still taken as live. Powertools
	// writes its lease at its invocation's deadline, without the margin a
	// Guard adds to its own (idempotency.Options.SkewMargin), so without this a
	// Rampart process whose clock runs ahead of the Powertools holder's
	// would take the record over, and run the function, while the holder
	// may still be running. Set it to the Guard's SkewMargin. Zero means
	// idempotency.DefaultSkewMargin; a negative value means no margin.
	ForeignLeaseMargin time.Duration

	// Retryer, when set, replaces the client's retryer for the store's
	// requests. Nil keeps the client's own, which for clients built by the
	// SDK is the standard retryer: 3 attempts with jittered exponential
	// backoff, retrying throttling (ProvisionedThroughputExceededException,
	// ThrottlingException) and transient errors. To retry more patiently:
	//
	//	retry.NewStandard(func(o *retry.StandardOptions) {
	//		o.MaxAttempts = 8
	//		o.MaxBackoff = 2 * time.Second
	//	})
	Retryer aws.Retryer

	// Logger receives the store's rare warnings. Nil means slog.Default().
	Logger *slog.Logger
}

// Store is an idempotency.Store kept in a DynamoDB table.
type Store struct {
	client Client
	table  string
	o      Options
	log    *slog.Logger

	// maxItemSize and maxResult are MaxItemSize and MaxResultSize; tests
	// raise them to reach the server's own check.
	maxItemSize, maxResult int
	// Expression attribute names, built once: the SDK only reads them.
	acquireNames, completeNames, notStoredNames, releaseNames, doneNames map[string]string
	opt                                                                  []func(*dynamodb.Options)

	// noOldItem is logged once: the server answered a failed condition
	// without the old item, so conflicts cost an extra read.
	noOldItem sync.Once
}

var (
	_ idempotency.Store         = (*Store)(nil)
	_ idempotency.ResultLimiter = (*Store)(nil)
)

// New returns a store keeping its records in table through client. The table
// must exist with the key schema opts describe (see CreateTable).
func New(client Client, table string, opts *Options) *Store {
	s := &Store{client: client, table: table, maxItemSize: MaxItemSize, maxResult: MaxResultSize}
	if opts != nil {
		s.o = *opts
	}
	s.o.setDefaults()
	if s.o.SortKeyAttr != "" && s.o.StaticPKValue == "" {
		s.o.StaticPKValue = "idempotency#" + os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	s.log = s.o.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.acquireNames = map[string]string{
		"#pk":     s.o.KeyAttr,
		"#expms":  s.o.ExpiryMillisAttr,
		"#exp":    s.o.ExpiryAttr,
		"#status": s.o.StatusAttr,
		"#ipexp":  s.o.InProgressExpiryAttr,
		"#done":   s.o.CompletedByAttr,
		"#owner":  s.o.OwnerAttr,
	}
	s.completeNames = map[string]string{
		"#status": s.o.StatusAttr,
		"#exp":    s.o.ExpiryAttr,
		"#expms":  s.o.ExpiryMillisAttr,
		"#data":   s.o.DataAttr,
		"#owner":  s.o.OwnerAttr,
		"#done":   s.o.CompletedByAttr,
	}
	s.notStoredNames = maps.Clone(s.completeNames)
	s.notStoredNames["#nostore"] = s.o.ResultNotStoredAttr
	s.releaseNames = map[string]string{
		"#status": s.o.StatusAttr,
		"#owner":  s.o.OwnerAttr,
	}
	s.doneNames = map[string]string{
		"#status": s.o.StatusAttr,
		"#owner":  s.o.OwnerAttr,
		"#done":   s.o.CompletedByAttr,
	}
	if r := s.o.Retryer; r != nil {
		s.opt = []func(*dynamodb.Options){func(o *dynamodb.Options) { o.Retryer = r }}
	}
	return s
}

func (o *Options) setDefaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.KeyAttr, DefaultKeyAttr)
	def(&o.ExpiryAttr, DefaultExpiryAttr)
	def(&o.InProgressExpiryAttr, DefaultInProgressExpiryAttr)
	def(&o.StatusAttr, DefaultStatusAttr)
	def(&o.DataAttr, DefaultDataAttr)
	def(&o.ValidationAttr, DefaultValidationAttr)
	def(&o.OwnerAttr, DefaultOwnerAttr)
	def(&o.ExpiryMillisAttr, DefaultExpiryMillisAttr)
	def(&o.CompletedByAttr, DefaultCompletedByAttr)
	def(&o.ResultNotStoredAttr, DefaultResultNotStoredAttr)
	switch {
	case o.ForeignLeaseMargin == 0:
		o.ForeignLeaseMargin = idempotency.DefaultSkewMargin
	case o.ForeignLeaseMargin < 0:
		o.ForeignLeaseMargin = 0
	}
}

// MaxResultSize returns the largest result Complete accepts, MaxResultSize.
func (s *Store) MaxResultSize() int { return s.maxResult }

// Table returns the name of the store's table.
func (s *Store) Table() string { return s.table }

// maxAcquireAttempts bounds the loop in Acquire that handles a conflicting
// record vanishing or expiring between the failed write and the read that
// fetches it (only on servers that omit the old item).
const maxAcquireAttempts = 5

// acquireCondition lets the put through when the key is absent, its record
// has expired, or its in-progress lease has run out. ExpiryMillisAttr is
// Rampart's exact expiry, trusted on items whose last writer was Rampart: in
// progress, or completed by Rampart (CompletedByAttr set). Other items
// (written by Powertools, or acquired by Rampart and then completed by
// Powertools' update, which sets ExpiryAttr and leaves ExpiryMillisAttr
// stale) are judged by ExpiryAttr, to the second, as decode does. The lease
// of an INPROGRESS item another runtime wrote (no OwnerAttr) ends
// ForeignLeaseMargin after its in_progress_expiration (:foreignms is now
// less the margin), as decode says.
const acquireCondition = "attribute_not_exists(#pk)" +
	" OR (#expms <= :nowms AND (#status = :inprogress OR attribute_exists(#done)))" +
	" OR ((attribute_not_exists(#expms) OR (#status <> :inprogress AND attribute_not_exists(#done))) AND #exp <= :now)" +
	" OR (#status = :inprogress AND attribute_exists(#owner) AND #ipexp <= :nowms)" +
	" OR (#status = :inprogress AND attribute_not_exists(#owner) AND #ipexp <= :foreignms)"

// Acquire writes rec with one conditional PutItem. On conflict the server
// returns the live item with the failure, so a duplicate costs one write and
// no read; servers that omit it cost one consistent GetItem more.
func (s *Store) Acquire(ctx context.Context, rec idempotency.Record, now time.Time) error {
	rec.Status = idempotency.StatusInProgress
	item := s.encode(rec)
	in := &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     item,
		ConditionExpression:      aws.String(acquireCondition),
		ExpressionAttributeNames: s.acquireNames,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":nowms":      millis(now),
			":foreignms":  millis(now.Add(-s.o.ForeignLeaseMargin)),
			":now":        number(now.Unix()),
			":inprogress": &types.AttributeValueMemberS{Value: string(idempotency.StatusInProgress)},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	for range maxAcquireAttempts {
		_, err := s.client.PutItem(ctx, in, s.opt...)
		if err == nil {
			return nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return fmt.Errorf("dynamostore: acquire %q: %w", rec.Key, err)
		}
		var existing idempotency.Record
		if ccf.Item != nil {
			existing, err = s.decode(ccf.Item)
			if err != nil {
				return fmt.Errorf("dynamostore: acquire %q: %w", rec.Key, err)
			}
		} else {
			s.noOldItem.Do(func() {
				s.log.WarnContext(ctx, "dynamostore: server returned no item with a failed condition; conflicts cost an extra read",
					"table", s.table)
			})
			existing, err = s.get(ctx, rec.Key)
			if errors.Is(err, idempotency.ErrNotFound) {
				continue // deleted since the write failed: try again
			}
			if err != nil {
				return fmt.Errorf("dynamostore: acquire %q: %w", rec.Key, err)
			}
			if !existing.Live(now) {
				continue // replaced or expired since the write failed
			}
		}
		if rec.Owner != "" && existing.Owner == rec.Owner && existing.Status == idempotency.StatusInProgress {
			// An earlier attempt of this very request succeeded and the SDK
			// retried it after losing the response: the record is ours.
			return nil
		}
		return &idempotency.ConflictError{Existing: existing}
	}
	return fmt.Errorf("dynamostore: acquire %q: the conflicting record kept changing after %d attempts", rec.Key, maxAcquireAttempts)
}

// Complete marks the record COMPLETED with one UpdateItem conditioned on the
// owner and the INPROGRESS status.
//
// Complete is idempotent: when the condition fails because the record is
// already COMPLETED by rec.Owner (the SDK retried an attempt that succeeded
// but whose reply was lost), it returns nil and the record keeps what the
// first attempt wrote. The condition is not widened to let a COMPLETED
// record through, because that would overwrite the stored result and expiry
// with a second caller-supplied value; instead the failed condition returns
// the old item (ReturnValuesOnConditionCheckFailure=ALL_OLD), or, from a
// server that omits it, one consistent GetItem reads status and owner.
func (s *Store) Complete(ctx context.Context, rec idempotency.Record) error {
	rec.Status = idempotency.StatusCompleted
	if err := s.checkSize(rec, false); err != nil {
		return err
	}
	update := "SET #status = :completed, #exp = :exp, #expms = :expms, #done = :owner"
	values := map[string]types.AttributeValue{
		":completed":  &types.AttributeValueMemberS{Value: string(idempotency.StatusCompleted)},
		":inprogress": &types.AttributeValueMemberS{Value: string(idempotency.StatusInProgress)},
		":owner":      &types.AttributeValueMemberS{Value: rec.Owner},
		":exp":        number(ceilSeconds(rec.Expiry)),
		":expms":      millis(rec.Expiry),
	}
	names := s.completeNames
	switch {
	case rec.ResultNotStored:
		update += ", #nostore = :nostore REMOVE #data"
		values[":nostore"] = &types.AttributeValueMemberBOOL{Value: true}
		names = s.notStoredNames
	case len(rec.Result) > 0:
		update += ", #data = :data"
		values[":data"] = dataValue(rec.Result)
	default:
		update += " REMOVE #data"
	}
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       s.key(rec.Key),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("#owner = :owner AND #status = :inprogress"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		// The old item tells our own earlier completion from a fence.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, s.opt...)
	if err == nil {
		return nil
	}
	if isItemTooLarge(err) {
		// The item holds attributes we did not count (written by another
		// runtime); the server's word is final.
		return s.checkSize(rec, true)
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return fmt.Errorf("dynamostore: complete %q: %w", rec.Key, err)
	}
	item := ccf.Item
	if item == nil {
		out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:                aws.String(s.table),
			Key:                      s.key(rec.Key),
			ConsistentRead:           aws.Bool(true),
			ProjectionExpression:     aws.String("#status, #owner, #done"),
			ExpressionAttributeNames: s.doneNames,
		}, s.opt...)
		if err != nil {
			return fmt.Errorf("dynamostore: complete %q: read after a failed condition: %w", rec.Key, err)
		}
		item = out.Item
	}
	return s.completedBy(item, rec.Owner)
}

// completedBy tells, for the item a Complete by owner failed on, whether
// owner's own earlier Complete stored it (nil), another writer completed
// the record owner still holds (ErrForeignCompletion: Powertools' update
// sets the status and data but keeps the owner), or owner lost it
// (ErrFenced).
func (s *Store) completedBy(item map[string]types.AttributeValue, owner string) error {
	st, _ := item[s.o.StatusAttr].(*types.AttributeValueMemberS)
	ow, _ := item[s.o.OwnerAttr].(*types.AttributeValueMemberS)
	done, _ := item[s.o.CompletedByAttr].(*types.AttributeValueMemberS)
	if st == nil || ow == nil || owner == "" || ow.Value != owner || st.Value == string(idempotency.StatusInProgress) {
		return idempotency.ErrFenced
	}
	if done != nil && done.Value == owner && st.Value == string(idempotency.StatusCompleted) {
		return nil
	}
	return idempotency.ErrForeignCompletion
}

// Release deletes the record with one DeleteItem conditioned on the owner and
// the INPROGRESS status.
func (s *Store) Release(ctx context.Context, key, owner string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                aws.String(s.table),
		Key:                      s.key(key),
		ConditionExpression:      aws.String("#owner = :owner AND #status = :inprogress"),
		ExpressionAttributeNames: s.releaseNames,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":inprogress": &types.AttributeValueMemberS{Value: string(idempotency.StatusInProgress)},
			":owner":      &types.AttributeValueMemberS{Value: owner},
		},
	}, s.opt...)
	return s.fenced(err, "release", key)
}

// Get reads the record with one strongly consistent GetItem.
func (s *Store) Get(ctx context.Context, key string) (idempotency.Record, error) {
	rec, err := s.get(ctx, key)
	if err != nil && !errors.Is(err, idempotency.ErrNotFound) {
		return idempotency.Record{}, fmt.Errorf("dynamostore: get %q: %w", key, err)
	}
	return rec, err
}

func (s *Store) get(ctx context.Context, key string) (idempotency.Record, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            s.key(key),
		ConsistentRead: aws.Bool(true),
	}, s.opt...)
	if err != nil {
		return idempotency.Record{}, err
	}
	if out.Item == nil {
		return idempotency.Record{}, idempotency.ErrNotFound
	}
	return s.decode(out.Item)
}

// Delete removes the record with one unconditional DeleteItem.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table),
		Key:       s.key(key),
	}, s.opt...)
	if err != nil {
		return fmt.Errorf("dynamostore: delete %q: %w", key, err)
	}
	return nil
}

// checkSize returns a *ResultTooLargeError when rec's result is over the
// store's limit or makes the item too large (or always, with rejected, when
// the server rejected the item).
func (s *Store) checkSize(rec idempotency.Record, rejected bool) error {
	limit := min(s.maxResult, s.maxItemSize-(s.itemSize(rec)-len(rec.Result)))
	if rejected || len(rec.Result) > limit {
		return &idempotency.ResultTooLargeError{Size: len(rec.Result), Limit: limit}
	}
	return nil
}

// fenced maps a failed ownership condition to idempotency.ErrFenced.
func (s *Store) fenced(err error, op, key string) error {
	if err == nil {
		return nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return idempotency.ErrFenced
	}
	return fmt.Errorf("dynamostore: %s %q: %w", op, key, err)
}

// isItemTooLarge reports whether err is DynamoDB's ValidationException for an
// item over 400 KB ("Item size has exceeded the maximum allowed size", or
// "Item size to update has exceeded …" from UpdateItem).
func isItemTooLarge(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" &&
		strings.Contains(ae.ErrorMessage(), "Item size") && strings.Contains(ae.ErrorMessage(), "maximum allowed size")
}
