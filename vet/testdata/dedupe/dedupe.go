// Package dedupe is analysistest data for the dedupe analyzer.
package dedupe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

var (
	ddb *dynamodb.Client
	rdb *redis.Client
	db  *sql.DB
	pg  *pgxpool.Pool
)

func charge(ctx context.Context, id string) error { return nil }

// isDuplicate reports whether err is a primary-key conflict.
func isDuplicate(err error) bool { return strings.Contains(err.Error(), "UNIQUE constraint failed") }

// Bug: DynamoDB marker, work, no release.
func handleDynamo(ctx context.Context, m events.SQSMessage) error {
	_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{ // want `dedupe: PutItem with attribute_not_exists writes a dedupe marker, but when dedupe.charge fails`
		TableName:           aws.String("dedupe"),
		Item:                map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: m.MessageId}},
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // a duplicate
	}
	if err != nil {
		return err
	}
	return charge(ctx, m.Body)
}

// Bug: Redis SETNX.
func handleRedis(ctx context.Context, m events.SQSMessage) error {
	ok, err := rdb.SetNX(ctx, "done:"+m.MessageId, 1, 0).Result() // want `dedupe: SETNX writes a dedupe marker`
	if err != nil {
		return err
	}
	if !ok {
		return nil
	}
	if err := charge(ctx, m.Body); err != nil {
		return err
	}
	return nil
}

// Bug: SQL INSERT that fails on the primary key.
func handleSQL(ctx context.Context, m events.SQSMessage) error {
	if _, err := db.ExecContext(ctx, "INSERT INTO processed (id) VALUES (?)", m.MessageId); err != nil { // want `dedupe: INSERT writes a dedupe marker`
		if isDuplicate(err) {
			return nil // already processed
		}
		return err
	}
	return charge(ctx, m.Body)
}

// Bug: ON CONFLICT DO NOTHING as the marker, its RowsAffected the gate.
func handleConflict(ctx context.Context, m events.SQSMessage) error {
	res, err := db.ExecContext(ctx, `INSERT INTO processed (id) VALUES ($1) ON CONFLICT DO NOTHING`, m.MessageId) // want `dedupe: INSERT writes a dedupe marker`
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already processed
	}
	return charge(ctx, m.Body)
}

// Bug: the same through pgx.
func handlePgx(ctx context.Context, m events.SQSMessage) error {
	tag, err := pg.Exec(ctx, `INSERT INTO processed (id) VALUES ($1) ON CONFLICT DO NOTHING`, m.MessageId) // want `dedupe: INSERT writes a dedupe marker, but when dedupe.charge fails`
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	return charge(ctx, m.Body)
}

// Fix: pgx in a transaction rolled back unless committed.
func handlePgxFixed(ctx context.Context, m events.SQSMessage) error {
	tx, err := pg.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `INSERT INTO processed (id) VALUES ($1) ON CONFLICT DO NOTHING`, m.MessageId)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if err := charge(ctx, m.Body); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

var _ pgx.Tx // the interface handlePgxFixed's tx is

// Bug, as AI tools write it: the condition in a variable, set on the input
// after its literal.
func handleDynamoCondVar(ctx context.Context, m events.SQSMessage) error {
	cond := "attribute_not_exists(pk)"
	in := &dynamodb.PutItemInput{
		TableName: aws.String("dedupe"),
		Item:      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: m.MessageId}},
	}
	in.ConditionExpression = &cond
	if _, err := ddb.PutItem(ctx, in); err != nil { // want `dedupe: PutItem with attribute_not_exists writes a dedupe marker, but when dedupe.charge fails`
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return nil
		}
		return err
	}
	return charge(ctx, m.Body)
}

// Bug: the condition from the expression builder (its method form).
func handleDynamoBuilder(ctx context.Context, m events.SQSMessage) error {
	cond, err := expression.NewBuilder().WithCondition(expression.Name("pk").AttributeNotExists()).Build()
	if err != nil {
		return err
	}
	_, err = ddb.PutItem(ctx, &dynamodb.PutItemInput{ // want `dedupe: PutItem with attribute_not_exists writes a dedupe marker, but when dedupe.charge fails`
		TableName:                aws.String("dedupe"),
		Item:                     map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: m.MessageId}},
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	})
	if err != nil {
		return err
	}
	return charge(ctx, m.Body)
}

// Bug: SET NX through SetArgs, the duplicate told by errors.Is(err,
// redis.Nil) (which is no success of the write).
func handleRedisSetArgsNil(ctx context.Context, m events.SQSMessage) error {
	_, err := rdb.SetArgs(ctx, "done:"+m.MessageId, 1, redis.SetArgs{Mode: "NX", TTL: time.Hour}).Result() // want `dedupe: SET NX writes a dedupe marker, but when dedupe.charge fails`
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := charge(ctx, m.Body); err != nil {
		return fmt.Errorf("charge %s: %w", m.MessageId, err)
	}
	return nil
}

// Fix: release on failure, directly and through a helper; Redis SET NX
// with DEL; SQL in a transaction rolled back.
func handleDynamoFixed(ctx context.Context, m events.SQSMessage) error {
	_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String("dedupe"),
		Item:                map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: m.MessageId}},
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := charge(ctx, m.Body); err != nil {
		release(ctx, m.MessageId)
		return err
	}
	return nil
}

// Fix: the release's own error checked in the failure branch, whose
// `return err` comes after it (a false positive once).
func handleDynamoReleaseChecked(ctx context.Context, m events.SQSMessage) error {
	_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String("dedupe"),
		Item:                map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: m.MessageId}},
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return nil
		}
		return err
	}
	if err := charge(ctx, m.Body); err != nil {
		if _, derr := ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String("dedupe"),
			Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: m.MessageId}},
		}); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return nil
}

func release(ctx context.Context, id string) {
	ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("dedupe"),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}})
}

func handleRedisFixed(ctx context.Context, m events.SQSMessage) error {
	ok, err := rdb.SetArgs(ctx, "done:"+m.MessageId, 1, redis.SetArgs{Mode: "NX"}).Result()
	if err != nil {
		return err
	}
	if ok != "OK" {
		return nil
	}
	if err := charge(ctx, m.Body); err != nil {
		rdb.Del(ctx, "done:"+m.MessageId)
		return err
	}
	return nil
}

// Fix: SET NX checked through the command's Err (a promoted method, once
// taken for the work), released with DEL.
func handleRedisErrFixed(ctx context.Context, m events.SQSMessage) error {
	if err := rdb.SetArgs(ctx, "done:"+m.MessageId, 1, redis.SetArgs{Mode: "NX", TTL: time.Hour}).Err(); err != nil {
		return err
	}
	if err := charge(ctx, m.Body); err != nil {
		rdb.Del(ctx, "done:"+m.MessageId)
		return err
	}
	return nil
}

func handleSQLFixed(ctx context.Context, m events.SQSMessage) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, "INSERT INTO processed (id) VALUES (?)", m.MessageId); err != nil {
		if isDuplicate(err) {
			return nil
		}
		return err
	}
	if err := charge(ctx, m.Body); err != nil {
		return err
	}
	return tx.Commit()
}

// Near-miss: a conditional create with nothing after it (an idempotency
// store's acquire), an upsert, and a plain INSERT as the work itself.
func acquire(ctx context.Context, id string) error {
	_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String("dedupe"),
		Item:                map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	return err
}

func handleUpsert(ctx context.Context, m events.SQSMessage) error {
	if _, err := db.ExecContext(ctx, "INSERT INTO seen (id) VALUES (?) ON CONFLICT (id) DO UPDATE SET n = n + 1", m.MessageId); err != nil {
		return err
	}
	return charge(ctx, m.Body)
}

func handleInsertWork(ctx context.Context, m events.SQSMessage) error {
	if _, err := db.ExecContext(ctx, "INSERT INTO orders (id) VALUES (?)", m.MessageId); err != nil {
		return err
	}
	return charge(ctx, m.Body)
}
