// Package dynamorecords keeps media records in a DynamoDB table (the media
// table of the AWS deployment) through aws-sdk-go-v2.
//
// # Key design
//
// The partition key is id, [media.ID] of bucket and key: a hash, so writes
// spread evenly over partitions whatever the key names look like. There is no
// status or date key and no index on one: such keys have a handful of values
// and would concentrate a whole burst of uploads on one partition. Listing
// by status is an operator's task and is served by a filtered Scan; the
// local runtime lists by status through an SQLite index instead.
//
// # Ordering
//
// Claim is one UpdateItem whose ConditionExpression is [media.Decide] in
// DynamoDB's terms (sequencers are normalised to fixed-width hex, so string
// comparison orders them); Commit is a PutItem conditional on the claim's
// owner and sequencer.
package dynamorecords

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rampartdev/rampart/media"
)

// Store is a [media.Records] backed by a DynamoDB table with the string
// partition key "id".
type Store struct {
	client *dynamodb.Client
	table  string
}

var _ media.Records = (*Store)(nil)

// New returns a Store using table.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table}
}

// CreateTable creates the table as the deployment defines it (on-demand
// billing, partition key id) and waits until it is active. For tests and
// local setups; deployments create it from the template.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		return fmt.Errorf("dynamorecords: create table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		return fmt.Errorf("dynamorecords: wait for table %s: %w", table, err)
	}
	return nil
}

// Expression attribute names: status, key and owner are reserved words.
var names = map[string]string{
	"#id": "id", "#bucket": "bucket", "#key": "key", "#seq": "sequencer", "#status": "status",
	"#owner": "owner", "#lease": "leaseUntil", "#cid": "correlationId", "#created": "createdAt", "#updated": "updatedAt",
}

// Claim implements [media.Records].
func (s *Store) Claim(ctx context.Context, c media.Claim) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       map[string]types.AttributeValue{"id": str(c.ID)},
		UpdateExpression: aws.String("SET #bucket = :bucket, #key = :key, #seq = :seq, #status = :processing, #owner = :owner, " +
			"#lease = :until, #cid = :cid, #updated = :now, #created = if_not_exists(#created, :now)"),
		// media.Decide: no record; or a newer event and no live claim; or
		// the same event still in progress (an earlier attempt died).
		ConditionExpression: aws.String("attribute_not_exists(#id) OR " +
			"(#seq < :seq AND (#status <> :processing OR #lease <= :nowNanos)) OR " +
			"(#seq = :seq AND #status = :processing)"),
		ExpressionAttributeNames: names,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":bucket": str(c.Bucket), ":key": str(c.Key), ":seq": str(c.Sequencer), ":processing": str(string(media.StatusProcessing)),
			":owner": str(c.Owner), ":until": nanos(c.Until), ":cid": str(c.CorrelationID), ":now": timeAttr(c.Now), ":nowNanos": nanos(c.Now),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		// Say why: read the record and decide as the condition did. If it
		// changed in between, the claim lost a race: busy, try again.
		stored, gerr := s.Get(ctx, c.ID)
		if gerr != nil {
			return fmt.Errorf("dynamorecords: claim %s refused, then: %w", c.ID, gerr)
		}
		if derr := media.Decide(&stored, c); derr != nil {
			return derr
		}
		return media.ErrBusy
	}
	if err != nil {
		return fmt.Errorf("dynamorecords: claim %s: %w", c.ID, err)
	}
	return nil
}

// Commit implements [media.Records].
func (s *Store) Commit(ctx context.Context, rec media.Record) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     marshal(rec),
		ConditionExpression:      aws.String("#seq = :seq AND #owner = :owner AND #status = :processing"),
		ExpressionAttributeNames: map[string]string{"#seq": "sequencer", "#owner": "owner", "#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":seq": str(rec.Sequencer), ":owner": str(rec.Owner), ":processing": str(string(media.StatusProcessing)),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return media.ErrFenced
	}
	if err != nil {
		return fmt.Errorf("dynamorecords: commit %s: %w", rec.ID, err)
	}
	return nil
}

// Get implements [media.Records]. It reads consistently.
func (s *Store) Get(ctx context.Context, id string) (media.Record, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]types.AttributeValue{"id": str(id)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return media.Record{}, fmt.Errorf("dynamorecords: get %s: %w", id, err)
	}
	if out.Item == nil {
		return media.Record{}, media.ErrNotFound
	}
	return unmarshal(out.Item)
}

// List implements [media.Records] with a Scan (filtered by status when
// asked); the order is DynamoDB's and a page may be short.
func (s *Store) List(ctx context.Context, opts media.ListOptions) ([]media.Record, string, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = media.DefaultListLimit
	}
	in := &dynamodb.ScanInput{TableName: aws.String(s.table), Limit: aws.Int32(int32(limit))}
	if opts.After != "" {
		in.ExclusiveStartKey = map[string]types.AttributeValue{"id": str(opts.After)}
	}
	if opts.Status != "" {
		in.FilterExpression = aws.String("#status = :status")
		in.ExpressionAttributeNames = map[string]string{"#status": "status"}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":status": str(string(opts.Status))}
	}
	out, err := s.client.Scan(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("dynamorecords: scan: %w", err)
	}
	recs := make([]media.Record, 0, len(out.Items))
	for _, item := range out.Items {
		rec, err := unmarshal(item)
		if err != nil {
			return nil, "", err
		}
		recs = append(recs, rec)
	}
	next := ""
	if v, ok := out.LastEvaluatedKey["id"].(*types.AttributeValueMemberS); ok {
		next = v.Value
	}
	return recs, next, nil
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// nanos stores a lease end as Unix nanoseconds (zero time as 0) so that the
// condition compares numbers.
func nanos(t time.Time) types.AttributeValue {
	if t.IsZero() {
		return num(0)
	}
	return num(t.UnixNano())
}

func timeAttr(t time.Time) types.AttributeValue { return str(t.UTC().Format(time.RFC3339Nano)) }

func marshal(r media.Record) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		"id": str(r.ID), "bucket": str(r.Bucket), "key": str(r.Key), "sequencer": str(r.Sequencer),
		"status": str(string(r.Status)), "owner": str(r.Owner), "leaseUntil": nanos(r.LeaseUntil),
		"createdAt": timeAttr(r.CreatedAt), "updatedAt": timeAttr(r.UpdatedAt),
		"width": num(int64(r.Width)), "height": num(int64(r.Height)), "bytes": num(r.Bytes), "orientation": num(int64(r.Orientation)),
	}
	// DynamoDB refuses empty strings in key attributes only, but leaving
	// unset attributes out keeps items readable.
	for name, v := range map[string]string{"etag": r.ETag, "versionId": r.VersionID, "reason": r.Reason, "format": r.Format, "correlationId": r.CorrelationID} {
		if v != "" {
			item[name] = str(v)
		}
	}
	if len(r.Thumbnails) > 0 {
		l := make([]types.AttributeValue, len(r.Thumbnails))
		for i, th := range r.Thumbnails {
			l[i] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"size": num(int64(th.Size)), "width": num(int64(th.Width)), "height": num(int64(th.Height)),
				"key": str(th.Key), "bytes": num(int64(th.Bytes)),
			}}
		}
		item["thumbnails"] = &types.AttributeValueMemberL{Value: l}
	}
	return item
}

// Decode returns the media record an item of the table holds, as Get and
// List read it: for readers that scan the table themselves (the inspection
// read model filters by key prefix and time).
func Decode(item map[string]types.AttributeValue) (media.Record, error) { return unmarshal(item) }

func unmarshal(item map[string]types.AttributeValue) (media.Record, error) {
	d := decoder{item: item}
	r := media.Record{
		ID: d.str("id"), Bucket: d.str("bucket"), Key: d.str("key"), ETag: d.str("etag"), VersionID: d.str("versionId"),
		Sequencer: d.str("sequencer"), Status: media.Status(d.str("status")), Reason: d.str("reason"), Format: d.str("format"),
		Width: int(d.num("width")), Height: int(d.num("height")), Bytes: d.num("bytes"), Orientation: int(d.num("orientation")),
		CorrelationID: d.str("correlationId"), Owner: d.str("owner"),
		CreatedAt: d.time("createdAt"), UpdatedAt: d.time("updatedAt"),
	}
	if n := d.num("leaseUntil"); n != 0 {
		r.LeaseUntil = time.Unix(0, n).UTC()
	}
	if l, ok := item["thumbnails"].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			m, ok := v.(*types.AttributeValueMemberM)
			if !ok {
				d.fail("thumbnails")
				continue
			}
			td := decoder{item: m.Value}
			r.Thumbnails = append(r.Thumbnails, media.Thumbnail{
				Size: int(td.num("size")), Width: int(td.num("width")), Height: int(td.num("height")),
				Key: td.str("key"), Bytes: int(td.num("bytes")),
			})
			if td.err != nil {
				d.err = td.err
			}
		}
	}
	if d.err != nil {
		return media.Record{}, fmt.Errorf("dynamorecords: decode record %s: %w", r.ID, d.err)
	}
	return r, nil
}

// decoder reads attributes, remembering the first malformed one.
type decoder struct {
	item map[string]types.AttributeValue
	err  error
}

func (d *decoder) fail(name string) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s has an unexpected type or value", name)
	}
}

func (d *decoder) str(name string) string {
	v, ok := d.item[name]
	if !ok {
		return ""
	}
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		d.fail(name)
		return ""
	}
	return s.Value
}

func (d *decoder) num(name string) int64 {
	v, ok := d.item[name]
	if !ok {
		return 0
	}
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		d.fail(name)
		return 0
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		d.fail(name)
	}
	return i
}

func (d *decoder) time(name string) time.Time {
	s := d.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		d.fail(name)
	}
	return t
}
