// Package testenv gives tests the addresses of the local services that
// tools/testenv starts (see the Makefile's test target).
//
// A test that needs a service calls the service's function. When the service
// is not configured the test is skipped, unless CI=true, where a missing
// service fails the test: CI must never pass by skipping.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// DynamoDBEndpoint returns the URL of the DynamoDB-compatible server
// (RAMPART_TEST_DYNAMODB), or skips or fails t when there is none.
func DynamoDBEndpoint(t testing.TB) string {
	t.Helper()
	return require(t, "RAMPART_TEST_DYNAMODB", "a DynamoDB-compatible server")
}

// RedisAddr returns the host:port of the Redis server (RAMPART_TEST_REDIS),
// or skips or fails t when there is none.
func RedisAddr(t testing.TB) string {
	t.Helper()
	return require(t, "RAMPART_TEST_REDIS", "a Redis server")
}

// InCI reports whether the tests run in CI (CI=true), where every service and
// tool the tests need must be present.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require skips t (or fails it in CI) unless the environment variable name is
// set, and returns its value. what names the missing thing in the message.
func Require(t testing.TB, name, what string) string {
	t.Helper()
	return require(t, name, what)
}

func require(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	Missing(t, what+" is not configured ("+name+"); run the tests with `make test`")
	return ""
}

// Missing reports that something the test needs is not there: it skips t,
// or fails it in CI, with msg.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Command returns the path of the executable name (looked up in PATH, or
// given as a path), or skips t (or fails it in CI) when it is not installed.
func Command(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	Missing(t, name+" is not installed; run the tests with `make test`, which installs it")
	return ""
}

// S3Server is the S3-compatible server tools/testenv starts (versitygw,
// bucket versioning available).
type S3Server struct {
	URL                          string // http://127.0.0.1:PORT
	AccessKeyID, SecretAccessKey string
	Region                       string
}

// S3 returns the S3-compatible server (RAMPART_TEST_S3 and its
// credentials), or skips or fails t when there is none.
func S3(t testing.TB) S3Server {
	t.Helper()
	return S3Server{
		URL:             require(t, "RAMPART_TEST_S3", "an S3-compatible server"),
		AccessKeyID:     os.Getenv("RAMPART_TEST_S3_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("RAMPART_TEST_S3_SECRET_ACCESS_KEY"),
		Region:          os.Getenv("RAMPART_TEST_S3_REGION"),
	}
}
