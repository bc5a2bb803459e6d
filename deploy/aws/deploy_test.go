package aws

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"gopkg.in/yaml.v3"

	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/media"
)

// functions maps each function to its command (cmd/<name>) and artefact.
var functions = map[string]struct{ sam, sls, cmd string }{
	"thumbnailer": {"ThumbnailerFunction", "thumbnailer", "thumbnailer"},
	"health":      {"HealthFunction", "health", "health"},
}

// The thumbnailer's permissions: exactly these actions, each on the named
// resource.
var thumbnailerActions = map[string]string{
	"s3:GetObject":                "source",
	"s3:ListBucket":               "bucket", // so that a missing key is 404, not 403
	"s3:PutObject":                "derived",
	"s3:DeleteObject":             "derived",
	"dynamodb:GetItem":            "tables",
	"dynamodb:PutItem":            "tables",
	"dynamodb:UpdateItem":         "tables",
	"dynamodb:DeleteItem":         "IdempotencyTable",
	"sqs:ReceiveMessage":          "MediaEventsQueue",
	"sqs:DeleteMessage":           "MediaEventsQueue",
	"sqs:GetQueueAttributes":      "MediaEventsQueue",
	"sqs:ChangeMessageVisibility": "MediaEventsQueue",
}

func TestSAM_ParsesWithGoformation(t *testing.T) {
	tmpl, err := goformation.Open("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range functions {
		fn, err := tmpl.GetServerlessFunctionWithName(f.sam)
		if err != nil {
			t.Fatalf("%s: %v", f.sam, err)
		}
		if fn.CodeUri == nil || fn.CodeUri.String == nil || *fn.CodeUri.String != "../../dist/"+name+".zip" {
			t.Errorf("%s: CodeUri %+v, want ../../dist/%s.zip", f.sam, fn.CodeUri, name)
		}
		checkCommand(t, f.cmd)
	}
	th, _ := tmpl.GetServerlessFunctionWithName("ThumbnailerFunction")
	vars := map[string]any{}
	if th.Environment != nil {
		for k, v := range th.Environment.Variables {
			vars[k] = v
		}
	}
	checkEnv(t, "SAM", vars)
	// Intrinsics are resolved: !Ref SourcePrefix gives the parameter's default.
	if vars[media.EnvSourcePrefix] != media.DefaultSourcePrefix {
		t.Errorf("SOURCE_PREFIX resolved to %v, want %q", vars[media.EnvSourcePrefix], media.DefaultSourcePrefix)
	}
	if ev, ok := th.Events["Uploads"]; !ok || ev.Type != "SQS" {
		t.Errorf("thumbnailer events %+v, want an SQS event Uploads", th.Events)
	}
	if th.Timeout == nil || *th.Timeout*6 > 360 {
		t.Errorf("thumbnailer timeout %v: the queue's visibility timeout (360 s) must be at least 6 times it", th.Timeout)
	}
	hf, _ := tmpl.GetServerlessFunctionWithName("HealthFunction")
	if ev, ok := hf.Events["Health"]; !ok || ev.Type != "HttpApi" {
		t.Errorf("health events %+v, want an HttpApi event", hf.Events)
	}
	checkTablesTyped(t, tmpl)
}

func checkTablesTyped(t *testing.T, tmpl *cloudformation.Template) {
	mt, err := tmpl.GetDynamoDBTableWithName("MediaTable")
	if err != nil {
		t.Fatal(err)
	}
	if len(mt.KeySchema) != 1 || mt.KeySchema[0].AttributeName != "id" || mt.KeySchema[0].KeyType != "HASH" || len(mt.GlobalSecondaryIndexes) != 0 {
		t.Errorf("media table keys %+v, GSIs %d: want only the hash key id (no low-cardinality index)", mt.KeySchema, len(mt.GlobalSecondaryIndexes))
	}
	it, err := tmpl.GetDynamoDBTableWithName("IdempotencyTable")
	if err != nil {
		t.Fatal(err)
	}
	if it.KeySchema[0].AttributeName != dynamostore.DefaultKeyAttr || it.TimeToLiveSpecification == nil ||
		it.TimeToLiveSpecification.AttributeName == nil || *it.TimeToLiveSpecification.AttributeName != dynamostore.DefaultExpiryAttr ||
		!it.TimeToLiveSpecification.Enabled {
		t.Errorf("idempotency table: keys %+v, TTL %+v; want %s and TTL on %s", it.KeySchema, it.TimeToLiveSpecification,
			dynamostore.DefaultKeyAttr, dynamostore.DefaultExpiryAttr)
	}
}

func TestSAM_Semantics(t *testing.T) {
	doc := mustYAML(t, "template.yaml")
	glob := get(doc, "Globals", "Function")
	if get(glob, "Runtime") != "provided.al2023" || !slices.Equal(strs(get(glob, "Architectures")), []string{"arm64"}) ||
		get(glob, "Handler") != "bootstrap" || get(glob, "LoggingConfig", "LogFormat") != "JSON" {
		t.Errorf("Globals.Function %v: want provided.al2023, arm64, bootstrap, JSON logs", glob)
	}
	res := get(doc, "Resources").(map[string]any)
	ev := get(res, "ThumbnailerFunction", "Properties", "Events", "Uploads", "Properties")
	if !isGetAtt(get(ev, "Queue"), "MediaEventsQueue.Arn") || !slices.Contains(strs(get(ev, "FunctionResponseTypes")), "ReportBatchItemFailures") {
		t.Errorf("SQS event %v: want the queue and ReportBatchItemFailures", ev)
	}
	if p := get(res, "HealthFunction", "Properties", "Events", "Health", "Properties"); get(p, "Path") != "/health" || get(p, "Method") != "GET" {
		t.Errorf("health route %v", p)
	}
	checkResources(t, res, ref("SourcePrefix"))
	// Permissions: SQS through SQSPollerPolicy on the queue, the rest as
	// explicit statements.
	var stmts []any
	for _, p := range get(res, "ThumbnailerFunction", "Properties", "Policies").([]any) {
		if q := get(p, "SQSPollerPolicy", "QueueName"); q != nil {
			if !isGetAtt(q, "MediaEventsQueue.QueueName") {
				t.Errorf("SQSPollerPolicy on %v", q)
			}
			continue
		}
		stmts = append(stmts, get(p, "Statement").([]any)...)
	}
	checkStatements(t, stmts, "sqs:")
	if get(res, "HealthFunction", "Properties", "Policies") != nil {
		t.Error("the health function needs no policies")
	}
}

func TestServerless_Semantics(t *testing.T) {
	doc := mustYAML(t, "serverless.yml")
	if get(doc, "frameworkVersion") != "4" {
		t.Errorf("frameworkVersion %v", get(doc, "frameworkVersion"))
	}
	p := get(doc, "provider")
	for k, want := range map[string]string{"name": "aws", "runtime": "provided.al2023", "architecture": "arm64",
		"region": "${opt:region, 'eu-central-1'}", "stage": "${opt:stage, 'dev'}"} {
		if get(p, k) != want {
			t.Errorf("provider.%s = %v, want %q", k, get(p, k), want)
		}
	}
	if get(p, "logs", "lambda", "logFormat") != "JSON" {
		t.Error("provider.logs.lambda.logFormat is not JSON")
	}
	for _, stage := range []string{"dev", "prod"} {
		if get(doc, "stages", stage) == nil {
			t.Errorf("no %s stage", stage)
		}
	}
	if get(doc, "stages", "default", "params", "sourcePrefix") != media.DefaultSourcePrefix {
		t.Errorf("sourcePrefix param is not %q", media.DefaultSourcePrefix)
	}
	for name, f := range functions {
		fn := get(doc, "functions", f.sls)
		if get(fn, "handler") != "bootstrap" || get(fn, "package", "artifact") != "../../dist/"+name+".zip" {
			t.Errorf("function %s: %v", f.sls, fn)
		}
	}
	th := get(doc, "functions", "thumbnailer")
	checkEnv(t, "serverless", get(th, "environment").(map[string]any))
	var sqs any
	for _, e := range get(th, "events").([]any) {
		if s := get(e, "sqs"); s != nil {
			sqs = s
		}
	}
	if !isGetAtt(get(sqs, "arn"), "MediaEventsQueue.Arn") || get(sqs, "functionResponseType") != "ReportBatchItemFailures" {
		t.Errorf("sqs event %v", sqs)
	}
	if e := get(doc, "functions", "health", "events").([]any); get(e[0], "httpApi", "path") != "/health" {
		t.Errorf("health events %v", e)
	}
	if get(th, "role") != "ThumbnailerRole" || get(doc, "provider", "iam") != nil {
		t.Error("the thumbnailer must have its own role and the provider no shared statements")
	}
	res := get(doc, "resources", "Resources").(map[string]any)
	checkResources(t, res, "${param:sourcePrefix}")
	var stmts []any
	for _, pol := range get(res, "ThumbnailerRole", "Properties", "Policies").([]any) {
		stmts = append(stmts, get(pol, "PolicyDocument", "Statement").([]any)...)
	}
	checkStatements(t, stmts, "")
}

// checkResources checks the bucket, queues and tables shared by both files.
func checkResources(t *testing.T, res map[string]any, prefix any) {
	t.Helper()
	for _, qc := range get(res, "MediaBucket", "Properties", "NotificationConfiguration", "QueueConfigurations").([]any) {
		rules := get(qc, "Filter", "S3Key", "Rules").([]any)
		if !isGetAtt(get(qc, "Queue"), "MediaEventsQueue.Arn") || len(rules) != 1 || get(rules[0], "Name") != "prefix" || !equal(get(rules[0], "Value"), prefix) {
			t.Errorf("notification %v: want the queue, filtered on the source prefix", qc)
		}
	}
	if strings.HasPrefix(media.DefaultDerivedPrefix, media.DefaultSourcePrefix) {
		t.Error("thumbnails would be under the source prefix: the recursion trap")
	}
	events := map[string]bool{}
	for _, qc := range get(res, "MediaBucket", "Properties", "NotificationConfiguration", "QueueConfigurations").([]any) {
		events[get(qc, "Event").(string)] = true
	}
	if !events["s3:ObjectCreated:*"] || !events["s3:ObjectRemoved:*"] {
		t.Errorf("notified events %v", events)
	}
	rp := get(res, "MediaEventsQueue", "Properties", "RedrivePolicy")
	if !isGetAtt(get(rp, "deadLetterTargetArn"), "MediaEventsDLQ.Arn") || get(rp, "maxReceiveCount") == nil {
		t.Errorf("redrive policy %v", rp)
	}
	st := get(res, "MediaEventsQueuePolicy", "Properties", "PolicyDocument", "Statement").([]any)[0]
	if get(st, "Principal", "Service") != "s3.amazonaws.com" || get(st, "Action") != "sqs:SendMessage" || get(st, "Condition", "ArnEquals", "aws:SourceArn") == nil {
		t.Errorf("queue policy %v: want S3 allowed to send, scoped to the bucket", st)
	}
	if get(res, "MediaTable", "Properties", "GlobalSecondaryIndexes") != nil {
		t.Error("media table has a GSI")
	}
	if get(res, "IdempotencyTable", "Properties", "TimeToLiveSpecification", "AttributeName") != dynamostore.DefaultExpiryAttr {
		t.Error("idempotency table TTL is not on expiration")
	}
}

// checkStatements checks least privilege: exactly the needed actions, each
// on its own resource, never "*". skip names an action prefix granted
// elsewhere.
func checkStatements(t *testing.T, stmts []any, skip string) {
	t.Helper()
	granted := map[string]bool{}
	for _, s := range stmts {
		resource := get(s, "Resource")
		rs := flat(resource)
		if strings.Contains(rs, `"*"`) || rs == "*" {
			t.Errorf("statement %v grants on *", s)
		}
		for _, a := range actions(get(s, "Action")) {
			granted[a] = true
			want, ok := thumbnailerActions[a]
			if !ok {
				t.Errorf("unexpected action %s", a)
				continue
			}
			switch want {
			case "source":
				if !strings.Contains(rs, "SourcePrefix") && !strings.Contains(rs, "sourcePrefix") {
					t.Errorf("%s on %s, want the source prefix only", a, rs)
				}
			case "bucket":
				// The bucket itself, not its objects.
				if !strings.Contains(rs, "rampart-media-") || strings.Contains(rs, "/") {
					t.Errorf("%s on %s, want the bucket's ARN", a, rs)
				}
			case "derived":
				if !strings.Contains(rs, "/derived/*") {
					t.Errorf("%s on %s, want derived/* only", a, rs)
				}
			case "tables":
				if !strings.Contains(rs, "MediaTable") && !strings.Contains(rs, "IdempotencyTable") {
					t.Errorf("%s on %s", a, rs)
				}
			default:
				if !strings.Contains(rs, want) {
					t.Errorf("%s on %s, want %s", a, rs, want)
				}
			}
		}
	}
	for a := range thumbnailerActions {
		if !granted[a] && (skip == "" || !strings.HasPrefix(a, skip)) {
			t.Errorf("action %s is not granted", a)
		}
	}
}

func checkEnv(t *testing.T, file string, vars map[string]any) {
	t.Helper()
	var got []string
	for k := range vars {
		got = append(got, k)
	}
	want := slices.Clone(media.ThumbnailerEnv)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: thumbnailer environment %v, want exactly what the code reads %v", file, got, want)
	}
}

func checkCommand(t *testing.T, name string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("..", "..", "cmd", name, "main.go")); err != nil {
		t.Errorf("no bootstrap for %s: %v", name, err)
	}
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil || !strings.Contains(string(mk), "LAMBDAS := ") || !strings.Contains(string(mk), " "+name) {
		t.Errorf("the Makefile's lambda target does not build %s", name)
	}
}

// mustYAML parses a CloudFormation-flavoured YAML file, turning short-form
// intrinsics (!Ref, !GetAtt, !Sub, ...) into their long form.
func mustYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	return convert(n.Content[0]).(map[string]any)
}

func convert(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = convert(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, convert(c))
		}
		v = l
	case yaml.AliasNode:
		return convert(n.Alias)
	default:
		var s any
		n.Decode(&s)
		if strings.HasPrefix(n.Tag, "!") {
			s = n.Value
		}
		v = s
	}
	switch tag := n.Tag; {
	case tag == "!Ref":
		return map[string]any{"Ref": v}
	case tag == "!GetAtt":
		if s, ok := v.(string); ok {
			return map[string]any{"Fn::GetAtt": s}
		}
		return map[string]any{"Fn::GetAtt": strings.Join(strs(v), ".")}
	case strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!"):
		return map[string]any{"Fn::" + tag[1:]: v}
	}
	return v
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func actions(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return strs(v)
}

func ref(name string) any { return map[string]any{"Ref": name} }

func isGetAtt(v any, target string) bool { return get(v, "Fn::GetAtt") == target }

func equal(a, b any) bool { return flat(a) == flat(b) }

// flat renders a value for matching.
func flat(v any) string {
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}
