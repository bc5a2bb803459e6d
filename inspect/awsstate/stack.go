package awsstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// The outputs of the media service's stack (deploy/aws/template.yaml and
// serverless.yml) that name what a Source reads; [FromStack] reads them.
const (
	OutputBucket              = "BucketName"
	OutputMediaTable          = "MediaTableName"
	OutputIdempotencyTable    = "IdempotencyTableName"
	OutputThumbnailerLogGroup = "ThumbnailerLogGroupName"
	OutputHealthLogGroup      = "HealthLogGroupName"
	OutputQueueURL            = "QueueUrl"
	OutputDeadLetterQueueURL  = "DeadLetterQueueUrl"
)

// StackOutputs are the outputs FromStack reads, in Config's order.
var StackOutputs = []string{OutputBucket, OutputMediaTable, OutputIdempotencyTable,
	OutputThumbnailerLogGroup, OutputHealthLogGroup, OutputQueueURL, OutputDeadLetterQueueURL}

// StackDescriber is the CloudFormation call FromStack makes
// (*cloudformation.Client has it).
type StackDescriber interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// ErrStackOutputs is returned (wrapped) by FromStack for a stack without
// any of the outputs it reads: not a deployment of the media service, or
// one from before the outputs existed.
var ErrStackOutputs = errors.New("awsstate: the stack has none of the media service's outputs")

// FromStack returns the Config of the deployment the CloudFormation stack
// name describes, from its outputs ([StackOutputs]): bucket, tables, the
// functions' log groups and the queues. Outputs the stack lacks stay empty.
func FromStack(ctx context.Context, cfn StackDescriber, name string) (Config, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &name})
	if err != nil {
		return Config{}, fmt.Errorf("awsstate: describe stack %s: %w", name, err)
	}
	if len(out.Stacks) != 1 {
		return Config{}, fmt.Errorf("awsstate: describe stack %s: %d stacks", name, len(out.Stacks))
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		if o.OutputKey != nil && o.OutputValue != nil {
			outputs[*o.OutputKey] = *o.OutputValue
		}
	}
	cfg := Config{
		Bucket:             outputs[OutputBucket],
		MediaTable:         outputs[OutputMediaTable],
		IdempotencyTable:   outputs[OutputIdempotencyTable],
		QueueURL:           outputs[OutputQueueURL],
		DeadLetterQueueURL: outputs[OutputDeadLetterQueueURL],
	}
	for _, k := range []string{OutputThumbnailerLogGroup, OutputHealthLogGroup} {
		if g := outputs[k]; g != "" {
			cfg.LogGroups = append(cfg.LogGroups, g)
		}
	}
	if cfg.Bucket == "" && cfg.MediaTable == "" && cfg.IdempotencyTable == "" && len(cfg.LogGroups) == 0 && cfg.QueueURL == "" && cfg.DeadLetterQueueURL == "" {
		return Config{}, fmt.Errorf("%w: %s", ErrStackOutputs, name)
	}
	return cfg, nil
}
