package dynamostore

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rampartdev/rampart/idempotency"
)

// key returns the primary key of the record stored under key.
func (s *Store) key(key string) map[string]types.AttributeValue {
	if s.o.SortKeyAttr == "" {
		return map[string]types.AttributeValue{s.o.KeyAttr: &types.AttributeValueMemberS{Value: key}}
	}
	return map[string]types.AttributeValue{
		s.o.KeyAttr:     &types.AttributeValueMemberS{Value: s.o.StaticPKValue},
		s.o.SortKeyAttr: &types.AttributeValueMemberS{Value: key},
	}
}

// encode returns the item that stores rec.
func (s *Store) encode(rec idempotency.Record) map[string]types.AttributeValue {
	item := s.key(rec.Key)
	item[s.o.StatusAttr] = &types.AttributeValueMemberS{Value: string(rec.Status)}
	item[s.o.OwnerAttr] = &types.AttributeValueMemberS{Value: rec.Owner}
	item[s.o.InProgressExpiryAttr] = millis(rec.InProgressExpiry)
	item[s.o.ExpiryAttr] = number(ceilSeconds(rec.Expiry))
	item[s.o.ExpiryMillisAttr] = millis(rec.Expiry)
	if rec.PayloadHash != "" {
		item[s.o.ValidationAttr] = &types.AttributeValueMemberS{Value: rec.PayloadHash}
	}
	if len(rec.Result) > 0 {
		item[s.o.DataAttr] = dataValue(rec.Result)
	}
	if rec.Status == idempotency.StatusCompleted {
		item[s.o.CompletedByAttr] = &types.AttributeValueMemberS{Value: rec.Owner}
	}
	if rec.ResultNotStored {
		item[s.o.ResultNotStoredAttr] = &types.AttributeValueMemberBOOL{Value: true}
	}
	return item
}

// decode turns an item back into a record. Items written by Powertools lack
// owner and expiration_ms; their expiry is known to the second.
func (s *Store) decode(item map[string]types.AttributeValue) (idempotency.Record, error) {
	var rec idempotency.Record
	keyAttr := s.o.KeyAttr
	if s.o.SortKeyAttr != "" {
		keyAttr = s.o.SortKeyAttr
	}
	var err error
	str := func(name string, required bool) string {
		switch v := item[name].(type) {
		case *types.AttributeValueMemberS:
			return v.Value
		case nil:
			if required && err == nil {
				err = fmt.Errorf("item lacks attribute %q", name)
			}
		default:
			if err == nil {
				err = fmt.Errorf("attribute %q is %T, want S", name, v)
			}
		}
		return ""
	}
	num := func(name string) (int64, bool) {
		switch v := item[name].(type) {
		case *types.AttributeValueMemberN:
			n, perr := strconv.ParseInt(v.Value, 10, 64)
			if perr != nil {
				// Other writers may store fractions.
				f, ferr := strconv.ParseFloat(v.Value, 64)
				if ferr != nil && err == nil {
					err = fmt.Errorf("attribute %q: %w", name, perr)
				}
				n = int64(f)
			}
			return n, true
		case nil:
		default:
			if err == nil {
				err = fmt.Errorf("attribute %q is %T, want N", name, v)
			}
		}
		return 0, false
	}
	rec.Key = str(keyAttr, true)
	rec.Status = idempotency.Status(str(s.o.StatusAttr, true))
	rec.Owner = str(s.o.OwnerAttr, false)
	rec.PayloadHash = str(s.o.ValidationAttr, false)
	if b, ok := item[s.o.ResultNotStoredAttr].(*types.AttributeValueMemberBOOL); ok {
		rec.ResultNotStored = b.Value
	}
	switch v := item[s.o.DataAttr].(type) {
	case *types.AttributeValueMemberS:
		rec.Result = []byte(v.Value)
	case *types.AttributeValueMemberB:
		rec.Result = v.Value
	case nil:
	default:
		// Powertools for AWS Lambda (TypeScript) stores the handler's
		// result natively: a map, list, number or boolean. It is read back
		// as the JSON the handler returned.
		b, jerr := appendJSON(nil, v, 0)
		if jerr != nil && err == nil {
			err = fmt.Errorf("attribute %q: %w", s.o.DataAttr, jerr)
		}
		rec.Result = b
	}
	// ExpiryMillisAttr is exact, but only Rampart keeps it: it is trusted
	// while Rampart was the item's last writer (in progress, or completed by
	// Rampart). An item Rampart acquired and Powertools completed has a
	// stale one; its ExpiryAttr, to the second, is what counts, as in the
	// acquire condition.
	ms, hasMs := num(s.o.ExpiryMillisAttr)
	_, doneByRampart := item[s.o.CompletedByAttr].(*types.AttributeValueMemberS)
	sec, hasSec := num(s.o.ExpiryAttr)
	switch {
	case hasMs && (rec.Status == idempotency.StatusInProgress || doneByRampart || !hasSec):
		rec.Expiry = time.UnixMilli(ms)
	case hasSec:
		rec.Expiry = time.Unix(sec, 0)
	case err == nil:
		err = fmt.Errorf("item lacks attribute %q", s.o.ExpiryAttr)
	}
	if ms, ok := num(s.o.InProgressExpiryAttr); ok {
		rec.InProgressExpiry = time.UnixMilli(ms)
		if _, ours := item[s.o.OwnerAttr]; !ours && rec.Status == idempotency.StatusInProgress {
			// Another runtime's lease ends at its deadline: it is held
			// ForeignLeaseMargin longer, as the acquire condition does.
			rec.InProgressExpiry = rec.InProgressExpiry.Add(s.o.ForeignLeaseMargin)
		}
	} else {
		// Items of Powertools versions before in_progress_expiration hold
		// their lease until they expire; so does the acquire condition.
		rec.InProgressExpiry = rec.Expiry
	}
	if err != nil {
		return idempotency.Record{}, fmt.Errorf("decode item: %w", err)
	}
	return rec, nil
}

// maxJSONDepth bounds the nesting appendJSON follows (DynamoDB itself allows
// 32 levels).
const maxJSONDepth = 64

// appendJSON appends the JSON form of a DynamoDB attribute value: maps as
// objects (members sorted by name), lists and sets as arrays, numbers as
// written, binary as base64 strings (as encoding/json encodes []byte).
func appendJSON(b []byte, v types.AttributeValue, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return b, fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
	}
	var err error
	list := func(n int, elem func(i int) types.AttributeValue) []byte {
		b = append(b, '[')
		for i := range n {
			if i > 0 {
				b = append(b, ',')
			}
			if err == nil {
				b, err = appendJSON(b, elem(i), depth+1)
			}
		}
		return append(b, ']')
	}
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return appendString(b, v.Value), nil
	case *types.AttributeValueMemberN:
		return appendNumber(b, v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return strconv.AppendBool(b, v.Value), nil
	case *types.AttributeValueMemberNULL:
		return append(b, "null"...), nil
	case *types.AttributeValueMemberB:
		return appendString(b, base64.StdEncoding.EncodeToString(v.Value)), nil
	case *types.AttributeValueMemberM:
		names := slices.Sorted(maps.Keys(v.Value))
		b = append(b, '{')
		for i, name := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, name)
			b = append(b, ':')
			if b, err = appendJSON(b, v.Value[name], depth+1); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case *types.AttributeValueMemberL:
		b = list(len(v.Value), func(i int) types.AttributeValue { return v.Value[i] })
	case *types.AttributeValueMemberSS:
		b = list(len(v.Value), func(i int) types.AttributeValue { return &types.AttributeValueMemberS{Value: v.Value[i]} })
	case *types.AttributeValueMemberNS:
		b = list(len(v.Value), func(i int) types.AttributeValue { return &types.AttributeValueMemberN{Value: v.Value[i]} })
	case *types.AttributeValueMemberBS:
		b = list(len(v.Value), func(i int) types.AttributeValue { return &types.AttributeValueMemberB{Value: v.Value[i]} })
	default:
		return b, fmt.Errorf("unsupported attribute value %T", v)
	}
	return b, err
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}

// appendNumber appends a DynamoDB number, which is a JSON number except for
// forms such as a leading "+" or "." that JSON does not allow; those are
// re-formatted.
func appendNumber(b []byte, n string) []byte {
	if json.Valid([]byte(n)) {
		return append(b, n...)
	}
	if f, err := strconv.ParseFloat(n, 64); err == nil {
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	return appendString(b, n)
}

// itemSize returns an upper bound of the size DynamoDB counts for the item
// that stores rec: the UTF-8 lengths of names and string values, the lengths
// of binary values, and for numbers one byte per digit plus one (DynamoDB
// counts about one byte per two digits).
func (s *Store) itemSize(rec idempotency.Record) int {
	size := 0
	for name, v := range s.encode(rec) {
		size += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			size += len(v.Value)
		case *types.AttributeValueMemberB:
			size += len(v.Value)
		case *types.AttributeValueMemberN:
			size += len(v.Value) + 1
		}
	}
	return size
}

// dataValue stores a result as a string when it is valid UTF-8 (as Powertools
// stores its JSON) and as binary otherwise.
func dataValue(b []byte) types.AttributeValue {
	if utf8.Valid(b) {
		return &types.AttributeValueMemberS{Value: string(b)}
	}
	return &types.AttributeValueMemberB{Value: b}
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// millis stores t in epoch milliseconds, truncated: comparing truncated
// values with <= keeps Record.Live's "now >= expiry" exact whenever the two
// times share their sub-millisecond part (as times derived from one clock
// reading do), and off by under a millisecond otherwise.
func millis(t time.Time) types.AttributeValue { return number(t.UnixMilli()) }

// ceilSeconds returns t in epoch seconds rounded up, so that the TTL never
// deletes a record before it expires.
func ceilSeconds(t time.Time) int64 {
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return sec
}
