package aws

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/rampartdev/rampart/idempotency/dynamostore"
	"github.com/rampartdev/rampart/inspect/awsstate"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

// deployed names the resources of one template as CloudFormation receives
// it: the SAM template after its transforms, or serverless.yml as the
// framework renders it for a stage.
type deployed struct {
	name        string
	tmpl        map[string]any
	stage       string
	thumbnailer string // logical id of the thumbnailer's AWS::Lambda::Function
	health      string
	prefix      any // the notification filter's prefix as written
}

func samDeployed(t *testing.T, stage string) deployed {
	tmpl := lintTemplates(t).transformed["template.yaml"]
	return deployed{name: "template.yaml (" + stage + ")", tmpl: evalStage(tmpl, stage).(map[string]any), stage: stage,
		thumbnailer: "ThumbnailerFunction", health: "HealthFunction", prefix: thumbnailer.DefaultSourcePrefix}
}

func slsDeployed(t *testing.T, stage string) deployed {
	return deployed{name: "serverless.yml (" + stage + ")", tmpl: serverlessTemplate(t, stage), stage: stage,
		thumbnailer: "ThumbnailerLambdaFunction", health: "HealthLambdaFunction", prefix: thumbnailer.DefaultSourcePrefix}
}

func allDeployed(t *testing.T) []deployed {
	var ds []deployed
	for _, stage := range []string{"dev", "prod"} {
		ds = append(ds, samDeployed(t, stage), slsDeployed(t, stage))
	}
	return ds
}

// TestLeastPrivilege checks every role of both deployed templates (the SAM
// template after the SAM translator, which is where managed policies
// appear): no managed policy, nothing on "*", and exactly the grants in
// ThumbnailerGrants and HealthGrants, each on its own resource.
func TestLeastPrivilege(t *testing.T) {
	for _, d := range allDeployed(t) {
		t.Run(d.name, func(t *testing.T) {
			res := resources(d.tmpl)
			roles := map[string]bool{}
			for id, r := range res {
				switch typ := get(r, "Type"); {
				case typ == "AWS::IAM::Role":
					roles[id] = false
				case strings.HasPrefix(typ.(string), "AWS::IAM::"):
					t.Errorf("%s is an %s: grants belong in the functions' roles", id, typ)
				}
			}
			for fn, want := range map[string][]Grant{d.thumbnailer: ThumbnailerGrants, d.health: HealthGrants} {
				role := getAttTarget(get(res, fn, "Properties", "Role"))
				role, _, _ = strings.Cut(role, ".")
				if _, ok := roles[role]; !ok {
					t.Errorf("%s: role %v is not a role of the template", fn, get(res, fn, "Properties", "Role"))
					continue
				}
				roles[role] = true
				checkRole(t, d, fn, role, want)
			}
			for role, used := range roles {
				if !used {
					t.Errorf("role %s belongs to no function", role)
				}
			}
		})
	}
}

func checkRole(t *testing.T, d deployed, fn, role string, want []Grant) {
	t.Helper()
	res := resources(d.tmpl)
	p := get(res, role, "Properties")
	if m := get(p, "ManagedPolicyArns"); m != nil {
		t.Errorf("%s: managed policies %v (AWS's grant on *)", role, m)
	}
	if s := flat(get(p, "AssumeRolePolicyDocument")); !strings.Contains(s, "lambda.amazonaws.com") || strings.Count(s, "Service") != 1 {
		t.Errorf("%s: trust policy %s, want Lambda only", role, s)
	}
	logGroup := functionLogGroup(t, d, fn)
	got := map[Grant]bool{}
	for _, pol := range list(get(p, "Policies")) {
		for _, s := range list(get(pol, "PolicyDocument", "Statement")) {
			if get(s, "Effect") != "Allow" || get(s, "NotAction") != nil || get(s, "NotResource") != nil {
				t.Errorf("%s: statement %v: want Allow with Action and Resource", role, s)
			}
			for _, a := range actions(get(s, "Action")) {
				if strings.Contains(a, "*") {
					t.Errorf("%s: wildcard action %s", role, a)
				}
				for _, r := range resourceList(get(s, "Resource")) {
					scope, err := classify(r, logGroup)
					if err != nil {
						t.Errorf("%s: %s on %s: %v", role, a, flat(r), err)
						continue
					}
					got[Grant{Action: a, Scope: scope}] = true
				}
			}
		}
	}
	wantSet := map[Grant]bool{}
	for _, g := range want {
		wantSet[Grant{Action: g.Action, Scope: g.Scope}] = true
		if !got[Grant{Action: g.Action, Scope: g.Scope}] {
			t.Errorf("%s: %s on %s is not granted", role, g.Action, g.Scope)
		}
	}
	for g := range got {
		if !wantSet[g] {
			t.Errorf("%s: grants %s on %s, which is not in the list of what the function needs", role, g.Action, g.Scope)
		}
	}
}

// classify says which scope a statement's resource is.
func classify(r any, logGroup string) (Scope, error) {
	if target := getAttTarget(r); target != "" {
		switch target {
		case logGroup + ".Arn":
			return ScopeLogGroup, nil
		case "MediaEventsQueue.Arn":
			return ScopeQueue, nil
		case "MediaTable.Arn":
			return ScopeMediaTable, nil
		case "IdempotencyTable.Arn":
			return ScopeIdempotencyTable, nil
		}
		return "", fmt.Errorf("not a resource the function uses")
	}
	s, ok := r.(string)
	if !ok {
		s, ok = get(r, "Fn::Sub").(string)
	}
	if !ok {
		return "", fmt.Errorf("unrecognised resource")
	}
	arn, ok := strings.CutPrefix(strings.ReplaceAll(s, "${AWS::Partition}", "aws"), "arn:aws:s3:::rampart-media-")
	if s == "*" || !ok {
		return "", fmt.Errorf("not the media bucket")
	}
	_, obj, isObj := strings.Cut(arn, "/")
	switch {
	case !isObj:
		return ScopeBucket, nil
	case obj == thumbnailer.DefaultDerivedPrefix+"*":
		return ScopeDerived, nil
	case obj == "${SourcePrefix}*" || obj == thumbnailer.DefaultSourcePrefix+"*":
		return ScopeSource, nil
	}
	return "", fmt.Errorf("objects %q: neither the source nor the derived prefix", obj)
}

// functionLogGroup returns the logical id of the log group fn writes to:
// the one its LoggingConfig names, else Lambda's default,
// /aws/lambda/<function name>. The template must declare it.
func functionLogGroup(t *testing.T, d deployed, fn string) string {
	t.Helper()
	res := resources(d.tmpl)
	if lg, ok := get(res, fn, "Properties", "LoggingConfig", "LogGroup", "Ref").(string); ok {
		if get(res, lg, "Type") != "AWS::Logs::LogGroup" {
			t.Errorf("%s logs to %s, not a log group of the template", fn, lg)
		}
		return lg
	}
	name := "/aws/lambda/" + flat(get(res, fn, "Properties", "FunctionName"))
	for id, r := range res {
		if get(r, "Type") == "AWS::Logs::LogGroup" && flat(get(r, "Properties", "LogGroupName")) == name {
			return id
		}
	}
	t.Errorf("%s: no log group %s in the template", fn, name)
	return ""
}

// TestFunctions checks the functions as deployed: runtime, architecture,
// artefact, JSON logs, the environment the code reads, and the SQS event
// source with partial batch responses.
func TestFunctions(t *testing.T) {
	for _, d := range allDeployed(t) {
		t.Run(d.name, func(t *testing.T) {
			res := resources(d.tmpl)
			for name, fn := range map[string]string{"thumbnailer": d.thumbnailer, "health": d.health} {
				p := get(res, fn, "Properties")
				if get(res, fn, "Type") != "AWS::Lambda::Function" {
					t.Fatalf("%s is not a function: %v", fn, get(res, fn))
				}
				if get(p, "Runtime") != "provided.al2023" || !slices.Equal(strs(get(p, "Architectures")), []string{"arm64"}) || get(p, "Handler") != "bootstrap" {
					t.Errorf("%s: %v %v %v, want provided.al2023, arm64, bootstrap", fn, get(p, "Runtime"), get(p, "Architectures"), get(p, "Handler"))
				}
				if get(p, "LoggingConfig", "LogFormat") != "JSON" {
					t.Errorf("%s: log format %v, want JSON", fn, get(p, "LoggingConfig", "LogFormat"))
				}
				if want := map[string]string{"dev": "DEBUG", "prod": "INFO"}[d.stage]; get(p, "LoggingConfig", "ApplicationLogLevel") != want {
					t.Errorf("%s: application log level %v, want %s in %s", fn, get(p, "LoggingConfig", "ApplicationLogLevel"), want, d.stage)
				}
				if fname := flat(get(p, "FunctionName")); !strings.Contains(fname, "rampart-"+name+"-") {
					t.Errorf("%s: function name %s, want rampart-%s-<stage>", fn, fname, name)
				}
				checkCommand(t, name)
			}
			th := get(res, d.thumbnailer, "Properties")
			vars, _ := get(th, "Environment", "Variables").(map[string]any)
			checkEnv(t, d.name, vars)
			if get(res, d.health, "Properties", "Environment") != nil {
				t.Errorf("health has an environment: %v", get(res, d.health, "Properties", "Environment"))
			}
			var esm []any
			for _, r := range res {
				if get(r, "Type") == "AWS::Lambda::EventSourceMapping" {
					esm = append(esm, r)
				}
			}
			if len(esm) != 1 {
				t.Fatalf("%d event source mappings, want 1 (the queue)", len(esm))
			}
			e := get(esm[0], "Properties")
			if getAttTarget(get(e, "EventSourceArn")) != "MediaEventsQueue.Arn" || !slices.Contains(strs(get(e, "FunctionResponseTypes")), "ReportBatchItemFailures") {
				t.Errorf("event source mapping %v: want the queue and ReportBatchItemFailures", e)
			}
			if fn := flat(get(e, "FunctionName")); !strings.Contains(fn, d.thumbnailer) {
				t.Errorf("event source mapping invokes %s, want %s", fn, d.thumbnailer)
			}
			// The queue's visibility timeout must be at least six times the
			// function's timeout (AWS's rule for SQS event sources): a batch
			// still being processed, or retried after throttling, must not
			// become visible again.
			timeout, vis := num(get(th, "Timeout")), num(get(res, "MediaEventsQueue", "Properties", "VisibilityTimeout"))
			if timeout <= 0 || vis < 6*timeout {
				t.Errorf("visibility timeout %v s for a function timeout of %v s: want at least six times it", vis, timeout)
			}
			checkResources(t, res, d.prefix)
		})
	}
}

// TestRetention: prod keeps its data (tables, bucket, dead letters, logs)
// when the stack is deleted or a resource replaced; dev does not, so that it
// can be deleted and deployed again (its names are fixed).
func TestRetention(t *testing.T) {
	data := []string{"MediaTable", "IdempotencyTable", "MediaBucket", "MediaEventsDLQ", "ThumbnailerLogGroup", "HealthLogGroup"}
	for _, d := range allDeployed(t) {
		want := map[string]string{"dev": "Delete", "prod": "Retain"}[d.stage]
		for _, id := range data {
			r := get(resources(d.tmpl), id)
			if get(r, "DeletionPolicy") != want || get(r, "UpdateReplacePolicy") != want {
				t.Errorf("%s: %s has DeletionPolicy %v, UpdateReplacePolicy %v; want %s", d.name, id, get(r, "DeletionPolicy"), get(r, "UpdateReplacePolicy"), want)
			}
		}
	}
}

// TestOutputs: both templates have the outputs rampart mcp --aws --stack
// reads (awsstate.FromStack), each naming the resource it says.
func TestOutputs(t *testing.T) {
	names := map[string]string{
		awsstate.OutputBucket: "MediaBucket", awsstate.OutputMediaTable: "MediaTable", awsstate.OutputIdempotencyTable: "IdempotencyTable",
		awsstate.OutputThumbnailerLogGroup: "ThumbnailerLogGroup", awsstate.OutputHealthLogGroup: "HealthLogGroup",
		awsstate.OutputQueueURL: "MediaEventsQueue", awsstate.OutputDeadLetterQueueURL: "MediaEventsDLQ",
	}
	for _, d := range allDeployed(t) {
		outs, _ := get(d.tmpl, "Outputs").(map[string]any)
		for _, k := range awsstate.StackOutputs {
			if get(outs, k, "Value", "Ref") != names[k] {
				t.Errorf("%s: output %s is %v, want a Ref of %s", d.name, k, get(outs, k, "Value"), names[k])
			}
		}
	}
}

// TestSAMConfig: `sam deploy --config-env dev|prod` is the whole deploy, in
// eu-central-1.
func TestSAMConfig(t *testing.T) {
	var cfg map[string]any
	if _, err := toml.DecodeFile("samconfig.toml", &cfg); err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"dev", "prod"} {
		p := get(cfg, env, "deploy", "parameters")
		if get(p, "stack_name") != "rampart-media-"+env || get(p, "region") != "eu-central-1" || get(p, "resolve_s3") != true ||
			!slices.Contains(strings.Fields(fmt.Sprint(get(p, "capabilities"))), "CAPABILITY_IAM") || get(p, "parameter_overrides") != "Stage="+env {
			t.Errorf("samconfig.toml [%s.deploy.parameters] = %v", env, p)
		}
	}
	if get(cfg, "prod", "deploy", "parameters", "confirm_changeset") != true {
		t.Error("prod deploys without showing the change set first")
	}
	// The template's stages are exactly the config's environments.
	doc := mustYAML(t, "template.yaml")
	if got := strs(get(doc, "Parameters", "Stage", "AllowedValues")); !slices.Equal(got, []string{"dev", "prod"}) {
		t.Errorf("Stage values %v", got)
	}
}

// TestServerless_Source checks what only the source of serverless.yml shows.
func TestServerless_Source(t *testing.T) {
	doc := mustYAML(t, "serverless.yml")
	if get(doc, "frameworkVersion") != "4" {
		t.Errorf("frameworkVersion %v", get(doc, "frameworkVersion"))
	}
	p := get(doc, "provider")
	for k, want := range map[string]string{"name": "aws", "region": "${opt:region, 'eu-central-1'}", "stage": "${opt:stage, 'dev'}"} {
		if get(p, k) != want {
			t.Errorf("provider.%s = %v, want %q", k, get(p, k), want)
		}
	}
	if get(p, "iam") != nil {
		t.Error("provider.iam: statements shared by every function")
	}
	for name, fn := range get(doc, "functions").(map[string]any) {
		if get(fn, "role") == nil {
			t.Errorf("function %s has no role of its own: the framework would create a shared one", name)
		}
		if get(fn, "package", "artifact") != "../../dist/"+name+".zip" {
			t.Errorf("function %s: artefact %v", name, get(fn, "package", "artifact"))
		}
	}
	if get(doc, "stages", "default", "params", "sourcePrefix") != thumbnailer.DefaultSourcePrefix {
		t.Errorf("sourcePrefix param is not %q", thumbnailer.DefaultSourcePrefix)
	}
}

// TestSAM_Source checks what only the source of template.yaml shows.
func TestSAM_Source(t *testing.T) {
	doc := mustYAML(t, "template.yaml")
	for name := range functions {
		fn := get(doc, "Resources", capitalize(name)+"Function", "Properties")
		if get(fn, "CodeUri") != "../../dist/"+name+".zip" {
			t.Errorf("%s: CodeUri %v", name, get(fn, "CodeUri"))
		}
		if get(fn, "Policies") != nil {
			t.Errorf("%s: SAM policies (SAM adds AWSLambdaBasicExecutionRole with them): use its Role", name)
		}
	}
	if p := get(doc, "Resources", "HealthFunction", "Properties", "Events", "Health", "Properties"); get(p, "Path") != "/health" || get(p, "Method") != "GET" {
		t.Errorf("health route %v", p)
	}
}

// functions are the Lambda functions, by their cmd/<name>.
var functions = map[string]bool{"thumbnailer": true, "health": true}

// checkResources checks the bucket, queues and tables.
func checkResources(t *testing.T, res map[string]any, prefix any) {
	t.Helper()
	events := map[string]bool{}
	for _, qc := range list(get(res, "MediaBucket", "Properties", "NotificationConfiguration", "QueueConfigurations")) {
		rules := list(get(qc, "Filter", "S3Key", "Rules"))
		if getAttTarget(get(qc, "Queue")) != "MediaEventsQueue.Arn" || len(rules) != 1 || get(rules[0], "Name") != "prefix" || !equal(get(rules[0], "Value"), prefix) {
			t.Errorf("notification %v: want the queue, filtered on the source prefix", qc)
		}
		events[fmt.Sprint(get(qc, "Event"))] = true
	}
	if strings.HasPrefix(thumbnailer.DefaultDerivedPrefix, thumbnailer.DefaultSourcePrefix) {
		t.Error("thumbnails would be under the source prefix: the recursion trap")
	}
	if !events["s3:ObjectCreated:*"] || !events["s3:ObjectRemoved:*"] {
		t.Errorf("notified events %v", events)
	}
	rp := get(res, "MediaEventsQueue", "Properties", "RedrivePolicy")
	if getAttTarget(get(rp, "deadLetterTargetArn")) != "MediaEventsDLQ.Arn" || get(rp, "maxReceiveCount") == nil {
		t.Errorf("redrive policy %v", rp)
	}
	st := list(get(res, "MediaEventsQueuePolicy", "Properties", "PolicyDocument", "Statement"))[0]
	if get(st, "Principal", "Service") != "s3.amazonaws.com" || get(st, "Action") != "sqs:SendMessage" || get(st, "Condition", "ArnEquals", "aws:SourceArn") == nil {
		t.Errorf("queue policy %v: want S3 allowed to send, scoped to the bucket", st)
	}
	mt := get(res, "MediaTable", "Properties")
	if ks := list(get(mt, "KeySchema")); len(ks) != 1 || get(ks[0], "AttributeName") != "id" || get(ks[0], "KeyType") != "HASH" || get(mt, "GlobalSecondaryIndexes") != nil {
		t.Errorf("media table keys %v, GSIs %v: want only the hash key id (no low-cardinality index)", ks, get(mt, "GlobalSecondaryIndexes"))
	}
	it := get(res, "IdempotencyTable", "Properties")
	if ks := list(get(it, "KeySchema")); len(ks) != 1 || get(ks[0], "AttributeName") != dynamostore.DefaultKeyAttr ||
		get(it, "TimeToLiveSpecification", "AttributeName") != dynamostore.DefaultExpiryAttr || get(it, "TimeToLiveSpecification", "Enabled") != true {
		t.Errorf("idempotency table: keys %v, TTL %v; want %s and TTL on %s", ks, get(it, "TimeToLiveSpecification"), dynamostore.DefaultKeyAttr, dynamostore.DefaultExpiryAttr)
	}
}

func checkEnv(t *testing.T, file string, vars map[string]any) {
	t.Helper()
	var got []string
	for k := range vars {
		got = append(got, k)
	}
	want := slices.Clone(thumbnailer.Env)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: thumbnailer environment %v, want exactly what the code reads %v", file, got, want)
	}
	if vars[thumbnailer.EnvSourcePrefix] != thumbnailer.DefaultSourcePrefix {
		t.Errorf("%s: SOURCE_PREFIX %v", file, vars[thumbnailer.EnvSourcePrefix])
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

// evalStage resolves the template's one condition, IsProd, for stage.
func evalStage(v any, stage string) any {
	switch x := v.(type) {
	case map[string]any:
		if args, ok := x["Fn::If"].([]any); ok && len(x) == 1 && len(args) == 3 && args[0] == "IsProd" {
			if stage == "prod" {
				return evalStage(args[1], stage)
			}
			return evalStage(args[2], stage)
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = evalStage(e, stage)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = evalStage(e, stage)
		}
		return l
	}
	return v
}

func resources(tmpl map[string]any) map[string]any {
	r, _ := get(tmpl, "Resources").(map[string]any)
	return r
}

// getAttTarget returns "Resource.Attribute" of an Fn::GetAtt in either form,
// or "".
func getAttTarget(v any) string {
	switch a := get(v, "Fn::GetAtt").(type) {
	case string:
		return a
	case []any:
		return strings.Join(strs(a), ".")
	}
	return ""
}

func resourceList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func num(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case float64:
		return n
	case string:
		var f float64
		fmt.Sscan(n, &f)
		return f
	}
	return 0
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
