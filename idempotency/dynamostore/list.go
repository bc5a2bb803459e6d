package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rampartdev/rampart/idempotency"
)

var _ idempotency.Lister = (*Store)(nil)

// ListClient is the part of *dynamodb.Client that [Store.List] needs on top
// of [Client].
type ListClient interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// ErrCannotList is returned by List when the store's client has no Scan and
// Query methods (see [ListClient]).
var ErrCannotList = errors.New("dynamostore: client cannot scan or query")

// maxListReads bounds the requests one List call makes: a selective filter
// may need many reads to fill a page, so List returns a short page and a
// cursor instead of reading the whole table at once.
const maxListReads = 8

// List implements [idempotency.Lister]. In sort-key mode it queries the
// static partition (records in key order); otherwise it scans the table
// (records in DynamoDB's hash order). Filters run on the server as filter
// expressions, and the stored results are not read. The cursor is the key of
// the last item read.
func (s *Store) List(ctx context.Context, opts idempotency.ListOptions) ([]idempotency.Record, string, error) {
	lc, ok := s.client.(ListClient)
	if !ok {
		return nil, "", ErrCannotList
	}
	limit := opts.PageSize()
	names := map[string]string{"#st": s.o.StatusAttr, "#ow": s.o.OwnerAttr, "#va": s.o.ValidationAttr,
		"#ipe": s.o.InProgressExpiryAttr, "#exp": s.o.ExpiryAttr, "#expms": s.o.ExpiryMillisAttr, "#k": s.o.KeyAttr,
		"#done": s.o.CompletedByAttr, "#nostore": s.o.ResultNotStoredAttr}
	projection := "#k, #st, #ow, #va, #ipe, #exp, #expms, #done, #nostore"
	if s.o.SortKeyAttr != "" {
		names["#sk"] = s.o.SortKeyAttr
		projection += ", #sk"
	}
	values := map[string]types.AttributeValue{}
	var filter string
	switch {
	case !opts.StuckAt.IsZero():
		// Lease over, not expired (expiration_ms when present, else the
		// TTL attribute in seconds).
		// Another runtime's lease (no owner) ends ForeignLeaseMargin later.
		filter = "#st = :inprogress AND ((attribute_exists(#ow) AND #ipe <= :nowms) OR (attribute_not_exists(#ow) AND #ipe <= :foreignms))" +
			" AND ((attribute_exists(#expms) AND #expms > :nowms) OR (attribute_not_exists(#expms) AND #exp > :nows))"
		values[":inprogress"] = &types.AttributeValueMemberS{Value: string(idempotency.StatusInProgress)}
		values[":nowms"] = number(opts.StuckAt.UnixMilli())
		values[":foreignms"] = number(opts.StuckAt.Add(-s.o.ForeignLeaseMargin).UnixMilli())
		values[":nows"] = number(opts.StuckAt.Unix())
	case opts.Status != "":
		filter = "#st = :status"
		values[":status"] = &types.AttributeValueMemberS{Value: string(opts.Status)}
	}
	var start map[string]types.AttributeValue
	if opts.After != "" {
		start = s.key(opts.After)
	}
	var out []idempotency.Record
	for range maxListReads {
		var items []map[string]types.AttributeValue
		var lastKey map[string]types.AttributeValue
		want := aws.Int32(int32(limit - len(out)))
		if s.o.SortKeyAttr != "" {
			values[":pk"] = &types.AttributeValueMemberS{Value: s.o.StaticPKValue}
			in := &dynamodb.QueryInput{TableName: aws.String(s.table), KeyConditionExpression: aws.String("#k = :pk"),
				ProjectionExpression: aws.String(projection), ExpressionAttributeNames: names,
				ExpressionAttributeValues: values, ExclusiveStartKey: start, Limit: want}
			if filter != "" {
				in.FilterExpression = aws.String(filter)
			}
			res, err := lc.Query(ctx, in)
			if err != nil {
				return nil, "", fmt.Errorf("dynamostore: list: %w", err)
			}
			items, lastKey = res.Items, res.LastEvaluatedKey
		} else {
			in := &dynamodb.ScanInput{TableName: aws.String(s.table), ProjectionExpression: aws.String(projection),
				ExpressionAttributeNames: names, ExclusiveStartKey: start, Limit: want}
			if len(values) > 0 {
				in.ExpressionAttributeValues = values
			}
			if filter != "" {
				in.FilterExpression = aws.String(filter)
			}
			res, err := lc.Scan(ctx, in)
			if err != nil {
				return nil, "", fmt.Errorf("dynamostore: list: %w", err)
			}
			items, lastKey = res.Items, res.LastEvaluatedKey
		}
		for _, item := range items {
			rec, err := s.decode(item)
			if err != nil {
				return nil, "", fmt.Errorf("dynamostore: list: %w", err)
			}
			out = append(out, rec)
		}
		if lastKey == nil {
			return out, "", nil
		}
		start = lastKey
		if len(out) >= limit {
			break
		}
	}
	return out, s.cursor(start), nil
}

// cursor returns the record key of a LastEvaluatedKey.
func (s *Store) cursor(key map[string]types.AttributeValue) string {
	attr := s.o.KeyAttr
	if s.o.SortKeyAttr != "" {
		attr = s.o.SortKeyAttr
	}
	switch v := key[attr].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return strconv.Quote(fmt.Sprint(key[attr]))
}
