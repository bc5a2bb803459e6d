// Package awsrules checks AWS deployment files, SAM templates and
// serverless.yml (Serverless Framework v4), for the failure modes of the
// recipe that live in configuration, joined with the handler code where the
// code decides:
//
//   - s3-recursion: an S3 notification on a bucket its function also writes
//     to, without a prefix or suffix filter that excludes what it writes;
//   - sqs-visibility: an SQS event source whose queue's visibility timeout
//     is under six times the function's timeout;
//   - sqs-batch-failures: an SQS event source without
//     ReportBatchItemFailures while the handler returns partial batch
//     responses, or with it while the handler never does;
//   - sqs-redrive: an SQS queue feeding a function without a redrive policy
//     (dead-letter queue);
//   - provisioned-everywhere: provisioned concurrency with no schedule;
//   - hot-partition-key: a DynamoDB table or index whose partition key is a
//     low-cardinality attribute (a status, a type, a date).
//
// The README's vet section explains each rule and which of cfn-lint's
// serverless-rules and cdk-nag's checks Rampart leaves to them.
package awsrules

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rampartdev/rampart/vet"
)

// Rules names the rules this package checks.
var Rules = []string{"s3-recursion", "sqs-visibility", "sqs-batch-failures", "sqs-redrive", "provisioned-everywhere", "hot-partition-key"}

// Code tells the rules what a function's code does. A nil Code skips the
// rules that need it (sqs-batch-failures).
type Code interface {
	// PartialBatch reports whether the program deployed as artifact (a
	// function's CodeUri or package.artifact as written in file) returns
	// partial batch responses; known is false when it cannot tell which
	// program that is.
	PartialBatch(file, artifact string) (partial, known bool)
}

// CheckFile checks one SAM template or serverless.yml.
func CheckFile(path string, code Code) ([]vet.Finding, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, root, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t := parse(path, doc, root)
	var fs []vet.Finding
	add := func(rule string, line int, format string, args ...any) {
		fs = append(fs, vet.NewFinding(rule, path, line, format, args...))
	}
	t.checkRecursion(add)
	t.checkQueues(add, code)
	t.checkProvisioned(add)
	t.checkKeys(add)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Line < fs[j].Line })
	return vet.Suppress(fs, b), nil
}

type addFunc func(rule string, line int, format string, args ...any)

// notification is an S3 notification on a bucket and the function it ends
// in (directly or through an SQS queue).
type notification struct {
	bucket         string // logical id
	prefix, suffix string
	fn             *function
	path           []string
}

func (t *template) notifications() []notification {
	var ns []notification
	byQueue := map[string][]*function{}
	for _, f := range t.functions {
		for _, e := range f.events {
			switch e.kind {
			case "sqs":
				byQueue[e.queue] = append(byQueue[e.queue], f)
			case "s3":
				ns = append(ns, notification{bucket: e.bucket, prefix: e.prefix, suffix: e.suffix, fn: f, path: e.path})
			}
		}
	}
	for id, r := range t.resources {
		if r.typ != "AWS::S3::Bucket" {
			continue
		}
		for _, kind := range []string{"LambdaConfigurations", "QueueConfigurations"} {
			for i, c := range asList(Get(r.props, "NotificationConfiguration", kind)) {
				prefix, suffix := t.filter(Get(c, "Filter"))
				path := append(append([]string{}, t.resPath...), id, "Properties", "NotificationConfiguration", kind, strconv.Itoa(i))
				var targets []*function
				if kind == "LambdaConfigurations" {
					target := refID(Get(c, "Function"))
					for _, f := range t.functions {
						if f.name == target {
							targets = append(targets, f)
						}
					}
				} else {
					targets = byQueue[refID(Get(c, "Queue"))]
				}
				for _, f := range targets {
					ns = append(ns, notification{bucket: id, prefix: prefix, suffix: suffix, fn: f, path: path})
				}
			}
		}
	}
	return ns
}

// checkRecursion: s3-recursion.
func (t *template) checkRecursion(add addFunc) {
	for _, n := range t.notifications() {
		names := t.bucketNames(n.bucket)
		for _, st := range n.fn.statements {
			if !writesObjects(st.actions) {
				continue
			}
			for _, r := range st.resources {
				keys, ok := objectPattern(r, names)
				if !ok {
					continue
				}
				if overlaps(keys, n.prefix, n.suffix) {
					filter := "no filter"
					if n.prefix != "" || n.suffix != "" {
						filter = fmt.Sprintf("filter prefix %q suffix %q", n.prefix, n.suffix)
					}
					add("s3-recursion", t.line(n.path...),
						"bucket %s notifies %s (%s), which may write %q into the same bucket: each write can trigger it again, an endless loop billed per invocation; filter the notification on a prefix (or suffix) that the outputs never have, or write to another bucket",
						n.bucket, n.fn.name, filter, keys)
					goto next
				}
			}
		}
	next:
	}
}

// bucketNames returns the strings a policy may use for bucket id: its
// resolved BucketName, "arn-of:id", "ref:id", or id itself when it is not a
// resource (a serverless.yml bucket name).
func (t *template) bucketNames(id string) []string {
	r, ok := t.resources[id]
	if !ok {
		return []string{id}
	}
	names := []string{"arn-of:" + id, "ref:" + id}
	if n := t.resolve(r.props["BucketName"]); n != "" {
		names = append(names, n)
	}
	return names
}

func writesObjects(actions []string) bool {
	for _, a := range actions {
		switch strings.ToLower(a) {
		case "*", "s3:*", "s3:put*", "s3:putobject", "s3:copyobject":
			return true
		}
	}
	return false
}

// objectPattern returns the key pattern of a policy resource on one of the
// bucket's names ("derived/*", or "*" for the whole bucket).
func objectPattern(res string, names []string) (string, bool) {
	if res == "*" {
		return "*", true
	}
	for _, n := range names {
		i := strings.Index(res, n)
		if i < 0 {
			continue
		}
		rest := res[i+len(n):]
		if k, ok := strings.CutPrefix(rest, "/"); ok {
			return k, true
		}
		// rest == "": the bucket itself, not its objects.
	}
	return "", false
}

// overlaps reports whether keys written under pattern (a prefix, then *)
// can match a notification's prefix and suffix filter.
func overlaps(pattern, prefix, suffix string) bool {
	lit, _, wild := strings.Cut(pattern, "*")
	if !wild { // one exact key
		return strings.HasPrefix(pattern, prefix) && strings.HasSuffix(pattern, suffix)
	}
	if !strings.HasPrefix(lit, prefix) && !strings.HasPrefix(prefix, lit) {
		return false
	}
	if suffix != "" && !strings.HasSuffix(pattern, "*") && !strings.HasSuffix(pattern, suffix) {
		return false
	}
	return true
}

// checkQueues: sqs-visibility, sqs-redrive, sqs-batch-failures.
func (t *template) checkQueues(add addFunc, code Code) {
	dlqs := map[string]bool{}
	for _, r := range t.resources {
		if r.typ == "AWS::SQS::Queue" {
			if d := refID(Get(r.props, "RedrivePolicy", "deadLetterTargetArn")); d != "" {
				dlqs[d] = true
			}
		}
	}
	redriveDone := map[string]bool{}
	for _, f := range t.functions {
		for _, e := range f.events {
			if e.kind != "sqs" {
				continue
			}
			q, ok := t.resources[e.queue]
			qpath := append(append([]string{}, t.resPath...), e.queue, "Properties")
			if ok && q.typ == "AWS::SQS::Queue" {
				vt := t.number(q.props["VisibilityTimeout"], 30)
				if vt < 6*f.timeout {
					add("sqs-visibility", t.line(append(qpath, "VisibilityTimeout")...),
						"queue %s has a visibility timeout of %gs, under six times the timeout of %s (%gs = %gs): a message still being processed (or retried by the poller) becomes visible again and runs twice; set VisibilityTimeout to at least %g",
						e.queue, vt, f.name, f.timeout, 6*f.timeout, 6*f.timeout)
				}
				if q.props["RedrivePolicy"] == nil && !dlqs[e.queue] && !redriveDone[e.queue] {
					redriveDone[e.queue] = true
					add("sqs-redrive", t.line(append(append([]string{}, t.resPath...), e.queue)...),
						"queue %s feeds %s but has no RedrivePolicy: a message that always fails is retried until it expires and is then lost, unseen; add a dead-letter queue (deadLetterTargetArn, maxReceiveCount)",
						e.queue, f.name)
				}
			}
			if code == nil {
				continue
			}
			partial, known := code.PartialBatch(t.file, f.code)
			switch {
			case !known:
			case partial && !e.reportFailures:
				add("sqs-batch-failures", t.line(e.path...),
					"%s's code returns partial batch responses (events.SQSEventResponse), but its SQS event source lacks ReportBatchItemFailures: Lambda ignores the response and deletes the whole batch, failed messages included; add FunctionResponseTypes: [ReportBatchItemFailures] (functionResponseType in serverless.yml)",
					f.name)
			case !partial && e.reportFailures:
				add("sqs-batch-failures", t.line(e.path...),
					"%s's SQS event source sets ReportBatchItemFailures, but its code never returns a partial batch response: one failed message still fails the whole batch; return events.SQSEventResponse (Rampart's batch.SQS) or drop the setting",
					f.name)
			}
		}
	}
}

// checkProvisioned: provisioned-everywhere.
func (t *template) checkProvisioned(add addFunc) {
	scheduled := map[string]bool{}
	for _, r := range t.resources {
		if r.typ == "AWS::ApplicationAutoScaling::ScalableTarget" && len(asList(r.props["ScheduledActions"])) > 0 {
			scheduled[t.resolve(r.props["ResourceId"])] = true
		}
	}
	for _, f := range t.functions {
		if !f.pc {
			continue
		}
		covered := false
		for id := range scheduled {
			if strings.Contains(id, f.name) {
				covered = true
			}
		}
		if !covered {
			add("provisioned-everywhere", t.line(f.pcPath...),
				"%s keeps provisioned concurrency around the clock with no schedule: it is billed every hour whether or not traffic comes (the recipe's doubled bill); measure first with `rampart coldstart analyze` and, where it pays, scale it on a schedule (AWS::ApplicationAutoScaling::ScalableTarget with ScheduledActions)",
				f.name)
		}
	}
}

// lowCardinality matches attribute names that hold few distinct values.
var lowCardinality = regexp.MustCompile(`(?i)^(status|state|type|kind|category|date|day|month|year|hour|region|country|active|enabled|deleted|flag|is_?[a-z]+|[a-z]+_?(status|state|type|date|day|month|year))$`)

// checkKeys: hot-partition-key.
func (t *template) checkKeys(add addFunc) {
	ids := make([]string, 0, len(t.resources))
	for id := range t.resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := t.resources[id]
		if r.typ != "AWS::DynamoDB::Table" && r.typ != "AWS::DynamoDB::GlobalTable" {
			continue
		}
		base := append(append([]string{}, t.resPath...), id, "Properties")
		check := func(where string, keys any, path []string) {
			for i, k := range asList(keys) {
				if Get(k, "KeyType") != "HASH" {
					continue
				}
				name, _ := Get(k, "AttributeName").(string)
				if lowCardinality.MatchString(name) {
					add("hot-partition-key", t.line(append(path, strconv.Itoa(i))...),
						"%s of table %s is partitioned on %q, an attribute with few distinct values: every item with the same value lands on one partition, which throttles at 1,000 writes and 3,000 reads per second; partition on a high-cardinality key (an id, a hash) and keep %s as a sort key or filter",
						where, id, name, name)
				}
			}
		}
		check("the key", r.props["KeySchema"], append(base, "KeySchema"))
		for i, g := range asList(r.props["GlobalSecondaryIndexes"]) {
			check(fmt.Sprintf("index %v", Get(g, "IndexName")), Get(g, "KeySchema"), append(base, "GlobalSecondaryIndexes", strconv.Itoa(i), "KeySchema"))
		}
	}
}
