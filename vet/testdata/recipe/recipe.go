// Package recipe is the recipe's sample handler written in Go: it writes a
// dedupe marker, does the work, never removes the marker when the work
// fails, and catches and swallows the error. Every failure loses the event:
// Lambda records a success (no retry, no dead-letter queue), and a
// redelivery would find the marker and skip.
package recipe

import (
	"context"
	"errors"
	"log"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

var ddb *dynamodb.Client

func processOrder(ctx context.Context, body string) error { return nil }

func handler(ctx context.Context, event events.SQSEvent) error {
	for _, record := range event.Records {
		_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{ // want `dedupe: PutItem with attribute_not_exists writes a dedupe marker, but when recipe.processOrder fails`
			TableName:           aws.String("processed-events"),
			Item:                map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: record.MessageId}},
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		})
		if err != nil { // want `swallowed: the error err is dropped in this SQSEvent handler`
			var ccf *types.ConditionalCheckFailedException
			if errors.As(err, &ccf) {
				log.Printf("duplicate %s", record.MessageId)
				continue
			}
			log.Printf("dedupe write failed: %v", err)
			continue
		}
		if err := processOrder(ctx, record.Body); err != nil { // want `swallowed: the error err is dropped in this SQSEvent handler`
			log.Printf("processing failed: %v", err)
		}
	}
	return nil
}

func main() { lambda.Start(handler) }
