package awsstate

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rampartdev/rampart/inspect"
)

// queueAttributes reads attributes of the queue at url.
func (s *Source) queueAttributes(ctx context.Context, url string, names ...types.QueueAttributeName) (map[string]string, error) {
	out, err := s.clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		return nil, fmt.Errorf("awsstate: get attributes of queue %s: %w", url, err)
	}
	return out.Attributes, nil
}

// count parses a count attribute; a missing one is 0.
func count(attrs map[string]string, name types.QueueAttributeName) (int, error) {
	v, ok := attrs[string(name)]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("awsstate: queue attribute %s = %q is not a count", name, v)
	}
	return n, nil
}

// Queue implements [inspect.Source] with GetQueueAttributes: the event
// queue's approximate visible and in-flight counts and the dead-letter
// queue's approximate count. OldestSentAt is not known (SQS reports the
// age of the oldest message only as a CloudWatch metric).
func (s *Source) Queue(ctx context.Context) (inspect.QueueStats, error) {
	if s.cfg.QueueURL == "" && s.cfg.DeadLetterQueueURL == "" {
		return inspect.QueueStats{}, notConfigured("SQS queue", "--queue-url, --dlq-url")
	}
	var st inspect.QueueStats
	if s.cfg.QueueURL != "" {
		attrs, err := s.queueAttributes(ctx, s.cfg.QueueURL,
			types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
		if err != nil {
			return inspect.QueueStats{}, err
		}
		if st.Visible, err = count(attrs, types.QueueAttributeNameApproximateNumberOfMessages); err != nil {
			return inspect.QueueStats{}, err
		}
		if st.InFlight, err = count(attrs, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible); err != nil {
			return inspect.QueueStats{}, err
		}
	}
	if s.cfg.DeadLetterQueueURL != "" {
		attrs, err := s.queueAttributes(ctx, s.cfg.DeadLetterQueueURL, types.QueueAttributeNameApproximateNumberOfMessages)
		if err != nil {
			return inspect.QueueStats{}, err
		}
		if st.DeadLetters, err = count(attrs, types.QueueAttributeNameApproximateNumberOfMessages); err != nil {
			return inspect.QueueStats{}, err
		}
	}
	return st, nil
}

// Redrive implements [inspect.Writer] with StartMessageMoveTask from the
// dead-letter queue to the event queue (to the messages' source queue when
// no event queue is configured). SQS moves the whole queue, asynchronously:
// ids must be empty. It returns the dead-letter queue's approximate count
// when the task started.
func (s *Source) Redrive(ctx context.Context, ids ...string) (int, error) {
	if s.cfg.DeadLetterQueueURL == "" {
		return 0, notConfigured("dead-letter queue", "--dlq-url")
	}
	if len(ids) > 0 {
		return 0, fmt.Errorf("SQS redrives a whole dead-letter queue, not chosen messages; redrive without ids: %w", inspect.ErrNotSupported)
	}
	attrs, err := s.queueAttributes(ctx, s.cfg.DeadLetterQueueURL, types.QueueAttributeNameQueueArn, types.QueueAttributeNameApproximateNumberOfMessages)
	if err != nil {
		return 0, err
	}
	n, err := count(attrs, types.QueueAttributeNameApproximateNumberOfMessages)
	if err != nil {
		return 0, err
	}
	in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(attrs[string(types.QueueAttributeNameQueueArn)])}
	if *in.SourceArn == "" {
		return 0, fmt.Errorf("awsstate: queue %s reported no ARN", s.cfg.DeadLetterQueueURL)
	}
	if s.cfg.QueueURL != "" {
		qa, err := s.queueAttributes(ctx, s.cfg.QueueURL, types.QueueAttributeNameQueueArn)
		if err != nil {
			return 0, err
		}
		in.DestinationArn = aws.String(qa[string(types.QueueAttributeNameQueueArn)])
	}
	if _, err := s.clients.SQS.StartMessageMoveTask(ctx, in); err != nil {
		return 0, fmt.Errorf("awsstate: start moving messages from %s: %w", *in.SourceArn, err)
	}
	return n, nil
}
