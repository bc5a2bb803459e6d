package awsstate

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/dynamorecords"
)

// Bounds of the Scans behind the media listings.
const (
	// ScanBatch is the Limit of one Scan request of a media listing: the
	// items DynamoDB evaluates before the filter.
	ScanBatch = 1000
	// MaxScanReads is the most Scan requests one page of a media listing
	// makes, so a page evaluates at most ScanBatch*MaxScanReads items.
	MaxScanReads = 10
	// MaxCountReads is the most Scan requests (of up to 1 MB of status
	// attributes each) MediaCounts makes before it gives up.
	MaxCountReads = 100
)

// Attributes of the media table's items, as media/dynamorecords writes
// them (RFC 3339 UTC times as strings).
const (
	attrID      = "id"
	attrStatus  = "status"
	attrKey     = "key"
	attrUpdated = "updatedAt"
)

// mediaCursorPrefix marks the cursors of media listings.
const mediaCursorPrefix = "m1."

func mediaCursor(id string) string {
	return mediaCursorPrefix + base64.RawURLEncoding.EncodeToString([]byte(id))
}

func parseMediaCursor(c string) (string, error) {
	b64, ok := strings.CutPrefix(c, mediaCursorPrefix)
	id, err := base64.RawURLEncoding.DecodeString(b64)
	if !ok || err != nil || len(id) == 0 {
		return "", fmt.Errorf("%w: %q", inspect.ErrInvalidCursor, c)
	}
	return string(id), nil
}

// secondFormat is RFC 3339 cut to the second, without zone: every stored
// time within or after that second compares greater or equal as a string,
// every earlier one less (see mediaFilter).
const secondFormat = "2006-01-02T15:04:05"

// mediaFilter is the FilterExpression of q. Stored times are RFC 3339 with
// trimmed fractions, which do not order as strings within a second, so the
// time bounds are widened to whole seconds here and applied exactly by
// MediaQuery.Match on the items returned.
func mediaFilter(q inspect.MediaQuery) (string, map[string]string, map[string]types.AttributeValue) {
	var conds []string
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	if q.Status != "" {
		conds = append(conds, "#status = :status")
		names["#status"] = attrStatus
		values[":status"] = &types.AttributeValueMemberS{Value: string(q.Status)}
	}
	if q.Prefix != "" {
		conds = append(conds, "begins_with(#key, :prefix)")
		names["#key"] = attrKey
		values[":prefix"] = &types.AttributeValueMemberS{Value: q.Prefix}
	}
	if !q.Since.IsZero() {
		conds = append(conds, "#updated >= :since")
		names["#updated"] = attrUpdated
		values[":since"] = &types.AttributeValueMemberS{Value: q.Since.UTC().Format(secondFormat)}
	}
	if !q.Until.IsZero() {
		u := q.Until.UTC()
		end := u.Truncate(time.Second)
		if end.Before(u) {
			end = end.Add(time.Second)
		}
		conds = append(conds, "#updated < :until")
		names["#updated"] = attrUpdated
		values[":until"] = &types.AttributeValueMemberS{Value: end.Format(secondFormat)}
	}
	return strings.Join(conds, " AND "), names, values
}

// Media implements [inspect.Source] with a filtered Scan; see the package
// documentation for its order and bounds.
func (s *Source) Media(ctx context.Context, q inspect.MediaQuery) (inspect.Page[media.Record], error) {
	if s.records == nil {
		return inspect.Page[media.Record]{}, notConfigured("media table", "MEDIA_TABLE, --media-table")
	}
	limit := inspect.PageSize(q.Limit)
	in := &dynamodb.ScanInput{TableName: aws.String(s.cfg.MediaTable), Limit: aws.Int32(int32(s.scanBatch))}
	if q.After != "" {
		id, err := parseMediaCursor(q.After)
		if err != nil {
			return inspect.Page[media.Record]{}, err
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{attrID: &types.AttributeValueMemberS{Value: id}}
	}
	if filter, names, values := mediaFilter(q); filter != "" {
		in.FilterExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = aws.String(filter), names, values
	}
	page := inspect.Page[media.Record]{Items: []media.Record{}}
	done := func() (inspect.Page[media.Record], error) {
		sort.SliceStable(page.Items, func(i, j int) bool { return page.Items[i].UpdatedAt.After(page.Items[j].UpdatedAt) })
		return page, nil
	}
	for range s.scanReads {
		out, err := s.clients.DynamoDB.Scan(ctx, in)
		if err != nil {
			return inspect.Page[media.Record]{}, fmt.Errorf("awsstate: scan media table %s: %w", s.cfg.MediaTable, err)
		}
		for i, item := range out.Items {
			rec, err := dynamorecords.Decode(item)
			if err != nil {
				return inspect.Page[media.Record]{}, err
			}
			if !q.Match(rec) {
				continue
			}
			page.Items = append(page.Items, rec)
			if len(page.Items) == limit {
				// The Scan goes on after any key: resume after this record.
				if i < len(out.Items)-1 || out.LastEvaluatedKey != nil {
					page.Next = mediaCursor(rec.ID)
				}
				return done()
			}
		}
		if out.LastEvaluatedKey == nil {
			return done()
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	// Read budget spent: a short page, resuming where the Scan stopped.
	id, ok := in.ExclusiveStartKey[attrID].(*types.AttributeValueMemberS)
	if !ok {
		return inspect.Page[media.Record]{}, errors.New("awsstate: scan of the media table stopped at a key without a string id")
	}
	page.Next = mediaCursor(id.Value)
	return done()
}

// MediaRecord implements [inspect.Source] with a consistent GetItem.
func (s *Source) MediaRecord(ctx context.Context, id string) (media.Record, error) {
	if s.records == nil {
		return media.Record{}, notConfigured("media table", "MEDIA_TABLE, --media-table")
	}
	rec, err := s.records.Get(ctx, id)
	if errors.Is(err, media.ErrNotFound) {
		return media.Record{}, fmt.Errorf("media record %q: %w", id, inspect.ErrNotFound)
	}
	return rec, err
}

// MediaCounts implements [inspect.Source] by scanning the status attribute
// of the whole table, at most MaxCountReads requests.
func (s *Source) MediaCounts(ctx context.Context) (map[media.Status]int, error) {
	if s.records == nil {
		return nil, notConfigured("media table", "MEDIA_TABLE, --media-table")
	}
	in := &dynamodb.ScanInput{TableName: aws.String(s.cfg.MediaTable), ProjectionExpression: aws.String("#status"),
		ExpressionAttributeNames: map[string]string{"#status": attrStatus}}
	counts := map[media.Status]int{}
	for range MaxCountReads {
		out, err := s.clients.DynamoDB.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("awsstate: count media table %s: %w", s.cfg.MediaTable, err)
		}
		for _, item := range out.Items {
			if st, ok := item[attrStatus].(*types.AttributeValueMemberS); ok {
				counts[media.Status(st.Value)]++
			}
		}
		if out.LastEvaluatedKey == nil {
			return counts, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return nil, fmt.Errorf("awsstate: media table %s is too large to count by status (%d Scan requests, %d items read): %w",
		s.cfg.MediaTable, MaxCountReads, sum(counts), inspect.ErrNotSupported)
}

func sum(m map[media.Status]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
