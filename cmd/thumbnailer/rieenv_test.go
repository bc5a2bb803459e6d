package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/internal/rietest"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

// TestRIE_environment starts the bootstrap as deployed under aws-lambda-rie
// with the environments a user's shell or env file gives it: a profile
// (whose endpoint the SDK would take from a file it does not read), an
// endpoint without its scheme, quoted as an env file leaves it, a retry
// count in words, no credentials, bad thumbnail sizes, each also with
// AWS_LAMBDA_LOG_LEVEL=ERROR. Each stops the function at its start with
// one JSON line at ERROR naming the variable, rather than failing every
// invocation (which dead-letters every upload) or sending the requests to
// AWS. A log level, a memory size and a GOMEMLIMIT the bootstrap does not
// understand or that are its own are no reason to stop: those functions
// answer an invocation (an S3 TestEvent, which needs no AWS call). Every
// line of every run is one JSON object.
func TestRIE_environment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap")
	}
	bs := rietest.Build(t, ".")
	base := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "rampart-thumbnailer-env", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "AWS_LAMBDA_FUNCTION_TIMEOUT": "60",
		"AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "local",
		// Closed ports: nothing may reach a server, least of all AWS.
		"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9",
		"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
		thumbnailer.EnvBucket: "media", thumbnailer.EnvMediaTable: "media", thumbnailer.EnvIdempotencyTable: "idempotency",
	}
	refused := []struct {
		name string
		env  map[string]string // "" unsets
		says string
	}{
		{"profile", map[string]string{"AWS_PROFILE": "localstack"}, "AWS_PROFILE=localstack"},
		{"endpoint without its scheme", map[string]string{"AWS_ENDPOINT_URL_S3": "127.0.0.1:9000"}, "AWS_ENDPOINT_URL_S3="},
		{"quoted endpoint", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": `"http://127.0.0.1:8000"`}, "AWS_ENDPOINT_URL_DYNAMODB="},
		{"retries in words", map[string]string{"AWS_MAX_ATTEMPTS": "three"}, "AWS_MAX_ATTEMPTS"},
		{"no credentials", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, "AWS_ACCESS_KEY_ID"},
		{"bad sizes", map[string]string{thumbnailer.EnvSizes: "300,big"}, thumbnailer.EnvSizes},
	}
	for _, c := range refused {
		for _, level := range []string{"", "ERROR"} {
			t.Run(strings.TrimSuffix(c.name+" "+level, " "), func(t *testing.T) {
				t.Parallel()
				env := with(base, c.env, map[string]string{"AWS_LAMBDA_LOG_LEVEL": level})
				fn := bs.Start(t, env)
				// The emulator answers nothing when the init failed.
				if got := fn.Invoke(t, "env-1", []byte(`{"Records":[]}`)); strings.Contains(got, "batchItemFailures") {
					t.Errorf("a function that should not start answered: %s", got)
				}
				lines := fn.Lines(t)
				if !slices.ContainsFunc(lines, func(l rietest.Line) bool {
					return l.Fields["level"] == "ERROR" && strings.Contains(l.Raw, c.says)
				}) {
					t.Errorf("no ERROR line naming %s in %d lines", c.says, len(lines))
				}
			})
		}
	}
	testEvent, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{
		sqsMessage("m-test", `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-12-02T08:00:00.000Z","Bucket":"media","RequestId":"REQTEST","HostId":"h"}`),
	}})
	for _, c := range []struct {
		name string
		env  map[string]string
	}{
		{"unknown log level", map[string]string{"AWS_LAMBDA_LOG_LEVEL": "verbose"}},
		{"lower-case log level", map[string]string{"AWS_LAMBDA_LOG_LEVEL": "debug"}},
		{"memory size in words", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}},
		{"own GOMEMLIMIT", map[string]string{"GOMEMLIMIT": "512MiB"}},
		{"endpoints ignored", map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL_S3": "not a URL"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fn := bs.Start(t, with(base, c.env))
			if got := fn.Invoke(t, "env-ok", testEvent); got != `{"batchItemFailures":[]}` {
				t.Errorf("S3 TestEvent: %s", got)
			}
			fn.Lines(t)
		})
	}
}

// with returns base with each of the maps laid over it, as KEY=VALUE
// pairs (an empty value unsets).
func with(base map[string]string, over ...map[string]string) []string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for _, o := range over {
		for k, v := range o {
			m[k] = v
		}
	}
	var env []string
	for k, v := range m {
		if v != "" {
			env = append(env, fmt.Sprintf("%s=%s", k, v))
		}
	}
	slices.Sort(env)
	return env
}
