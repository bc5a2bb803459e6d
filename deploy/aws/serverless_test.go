package aws

import (
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
)

// testAccount is the account id ${aws:accountId} resolves to.
const testAccount = "123456789012"

// serverlessTemplate renders serverless.yml for stage as the framework
// deploys it, so that cfn-lint and the checks see a CloudFormation
// template: the variables resolved, resources.Resources and Outputs as
// written, and, for each function, the AWS::Lambda::Function and its SQS
// event source mapping under the logical ids the framework gives them
// (<Name>LambdaFunction, <Name>EventSourceMappingSQS<Queue>). The HTTP API
// the framework builds for httpApi events is left out: nothing of ours
// refers to it.
func serverlessTemplate(t *testing.T, stage string) map[string]any {
	t.Helper()
	doc := resolveServerless(t, mustYAML(t, "serverless.yml"), stage).(map[string]any)
	res := maps.Clone(get(doc, "resources", "Resources").(map[string]any))
	p := get(doc, "provider")
	for name, fn := range get(doc, "functions").(map[string]any) {
		id := capitalize(name)
		props := map[string]any{
			"FunctionName":  get(fn, "name"),
			"Handler":       get(fn, "handler"),
			"Runtime":       get(p, "runtime"),
			"Architectures": []any{get(p, "architecture")},
			"MemorySize":    get(fn, "memorySize"),
			"Timeout":       get(fn, "timeout"),
			"Description":   get(fn, "description"),
			"Code":          map[string]any{"S3Bucket": "serverless-deployment-bucket", "S3Key": get(fn, "package", "artifact")},
			"LoggingConfig": map[string]any{
				"LogFormat":           get(p, "logs", "lambda", "logFormat"),
				"ApplicationLogLevel": get(p, "logs", "lambda", "applicationLogLevel"),
				"SystemLogLevel":      get(p, "logs", "lambda", "systemLogLevel"),
			},
		}
		if role, ok := get(fn, "role").(string); ok {
			props["Role"] = map[string]any{"Fn::GetAtt": []any{role, "Arn"}}
		}
		if env, ok := get(fn, "environment").(map[string]any); ok {
			props["Environment"] = map[string]any{"Variables": env}
		}
		res[id+"LambdaFunction"] = map[string]any{"Type": "AWS::Lambda::Function", "DependsOn": []any{id + "LogGroup"}, "Properties": props}
		for _, e := range list(get(fn, "events")) {
			sqs := get(e, "sqs")
			if sqs == nil {
				continue
			}
			queue, _, _ := strings.Cut(getAttTarget(get(sqs, "arn")), ".")
			esm := map[string]any{
				"EventSourceArn":                 get(sqs, "arn"),
				"FunctionName":                   map[string]any{"Fn::GetAtt": []any{id + "LambdaFunction", "Arn"}},
				"BatchSize":                      get(sqs, "batchSize"),
				"MaximumBatchingWindowInSeconds": get(sqs, "maximumBatchingWindow"),
				"Enabled":                        true,
			}
			if rt, ok := get(sqs, "functionResponseType").(string); ok {
				esm["FunctionResponseTypes"] = []any{rt}
			}
			res[id+"EventSourceMappingSQS"+queue] = map[string]any{"Type": "AWS::Lambda::EventSourceMapping", "Properties": esm}
		}
	}
	return map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              "serverless.yml, stage " + stage + ", as rendered by deploy_test.go",
		"Resources":                res,
		"Outputs":                  get(doc, "resources", "Outputs"),
	}
}

var slsVar = regexp.MustCompile(`\$\{([^{}]+)\}`)

// resolveServerless substitutes the framework's variables for stage. A
// string that is one variable takes the value's own type (a number stays a
// number). An unknown variable fails t: the test must know what it renders.
func resolveServerless(t *testing.T, v any, stage string) any {
	t.Helper()
	params := func(name string) (any, bool) {
		root := mustYAML(t, "serverless.yml")
		for _, s := range []string{stage, "default"} {
			if v := get(root, "stages", s, "params", name); v != nil {
				return v, true
			}
		}
		return nil, false
	}
	value := func(expr string) any {
		expr = strings.TrimSpace(expr)
		switch expr {
		case "sls:stage", "self:provider.stage", "opt:stage, 'dev'":
			return stage
		case "aws:region", "self:provider.region", "opt:region, 'eu-central-1'":
			return "eu-central-1"
		case "aws:accountId":
			return testAccount
		}
		if name, ok := strings.CutPrefix(expr, "param:"); ok {
			if v, ok := params(name); ok {
				return v
			}
		}
		t.Fatalf("serverless.yml: variable ${%s} is not one the test renders", expr)
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = resolveServerless(t, e, stage)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = resolveServerless(t, e, stage)
		}
		return l
	case string:
		if m := slsVar.FindStringSubmatchIndex(x); m != nil && m[0] == 0 && m[1] == len(x) {
			return value(x[m[2]:m[3]])
		}
		return slsVar.ReplaceAllStringFunc(x, func(s string) string { return fmt.Sprint(value(s[2 : len(s)-1])) })
	}
	return v
}
