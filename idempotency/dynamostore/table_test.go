package dynamostore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rampartdev/rampart/idempotency/dynamostore"
)

// ttlRecorder is dynalite with the UpdateTimeToLive it lacks: it records
// the request.
type ttlRecorder struct {
	*dynamodb.Client
	got *dynamodb.UpdateTimeToLiveInput
}

func (r *ttlRecorder) UpdateTimeToLive(_ context.Context, in *dynamodb.UpdateTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
	r.got = in
	return &dynamodb.UpdateTimeToLiveOutput{TimeToLiveSpecification: in.TimeToLiveSpecification}, nil
}

func TestCreateTable(t *testing.T) {
	client := MustClient(t, endpoint(t))
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		opts     *dynamostore.Options
		wantKeys []types.KeySchemaElement
	}{
		{"partitionKey", nil, []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}}},
		{"sortKey", &dynamostore.Options{SortKeyAttr: "sk", ExpiryAttr: "ttl"}, []types.KeySchemaElement{
			{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &ttlRecorder{Client: client}
			name := TableName(t)
			if err := dynamostore.CreateTable(ctx, rec, name, tc.opts); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}) })
			out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			td := out.Table
			if td.TableStatus != types.TableStatusActive {
				t.Errorf("status %s, want ACTIVE", td.TableStatus)
			}
			if td.BillingModeSummary == nil || td.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
				t.Errorf("billing mode %+v, want PAY_PER_REQUEST", td.BillingModeSummary)
			}
			if len(td.KeySchema) != len(tc.wantKeys) {
				t.Fatalf("key schema %+v", td.KeySchema)
			}
			for i, k := range td.KeySchema {
				if *k.AttributeName != *tc.wantKeys[i].AttributeName || k.KeyType != tc.wantKeys[i].KeyType {
					t.Errorf("key %d = %s %s, want %s %s", i, *k.AttributeName, k.KeyType, *tc.wantKeys[i].AttributeName, tc.wantKeys[i].KeyType)
				}
			}
			wantTTL := "expiration"
			if tc.opts != nil {
				wantTTL = tc.opts.ExpiryAttr
			}
			if rec.got == nil || *rec.got.TableName != name || *rec.got.TimeToLiveSpecification.AttributeName != wantTTL || !*rec.got.TimeToLiveSpecification.Enabled {
				t.Errorf("UpdateTimeToLive = %+v, want TTL on %s enabled", rec.got, wantTTL)
			}
		})
	}

	// Against dynalite itself, which lacks UpdateTimeToLive, the table is
	// made and the missing TTL reported.
	name := TableName(t)
	err := dynamostore.CreateTable(ctx, client, name, nil)
	t.Cleanup(func() { client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}) })
	if !errors.Is(err, dynamostore.ErrTTLUnsupported) {
		t.Errorf("CreateTable on dynalite = %v, want ErrTTLUnsupported", err)
	}
	if _, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}); err != nil {
		t.Errorf("table missing after ErrTTLUnsupported: %v", err)
	}
}
