package dynamorecords_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/dynamorecords"
	"github.com/rampartdev/rampart/media/recordstest"
)

var tableSeq atomic.Int64

// newStore creates a fresh table on the DynamoDB-compatible server.
func newStore(t *testing.T) *dynamorecords.Store {
	t.Helper()
	endpoint := testenv.DynamoDBEndpoint(t)
	client := dynamodb.New(dynamodb.Options{
		Region:       "eu-central-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	table := fmt.Sprintf("media-%d-%d", time.Now().UnixNano(), tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamorecords.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return dynamorecords.New(client, table)
}

func TestStore_Conformance(t *testing.T) {
	t.Logf("backend: DynamoDB at %s", testenv.DynamoDBEndpoint(t))
	recordstest.Run(t, func(t *testing.T) media.Records { return newStore(t) })
}
