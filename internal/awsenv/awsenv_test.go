package awsenv

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// variables are every environment variable either loader might read.
var variables = []string{
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY",
	"AWS_SESSION_TOKEN", "AWS_ACCOUNT_ID", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB",
	"AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	"AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
	"AWS_USE_DUALSTACK_ENDPOINT", "AWS_USE_FIPS_ENDPOINT", "AWS_ENABLE_ENDPOINT_DISCOVERY", "AWS_ACCOUNT_ID_ENDPOINT_MODE",
	"AWS_S3_USE_ARN_REGION", "AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS", "AWS_S3_DISABLE_EXPRESS_SESSION_AUTH",
	"AWS_CA_BUNDLE", "AWS_SDK_UA_APP_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DEFAULTS_MODE",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
}

// setEnv gives the test exactly env (every other variable above unset),
// with the SDK's shared files and instance metadata out of reach.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range append(variables, "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED") {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for k, v := range env {
		t.Setenv(k, v)
	}
}

var lambdaEnv = map[string]string{
	"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-central-1",
	"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
}

func with(extra map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range lambdaEnv {
		m[k] = v
	}
	for k, v := range extra {
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// TestLoad_AsTheSDK: for each environment, every service client built from
// Load has the options a client built from config.LoadDefaultConfig has,
// and the same credentials; an invalid value fails both.
func TestLoad_AsTheSDK(t *testing.T) {
	cases := map[string]map[string]string{
		"lambda":                 lambdaEnv,
		"global endpoint":        with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}),
		"service endpoints":      with(map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9324", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://127.0.0.1:4586"}),
		"service over global":    with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"}),
		"ignored endpoints":      with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}),
		"endpoints not ignored":  with(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}),
		"default region only":    with(map[string]string{"AWS_REGION": "-", "AWS_DEFAULT_REGION": "us-west-2"}),
		"region over default":    with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}),
		"old key names":          with(map[string]string{"AWS_ACCESS_KEY_ID": "-", "AWS_SECRET_ACCESS_KEY": "-", "AWS_ACCESS_KEY": "AKIAOLD", "AWS_SECRET_KEY": "old"}),
		"account id":             with(map[string]string{"AWS_ACCOUNT_ID": "123456789012", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "required"}),
		"local s3 checksums":     with(map[string]string{"AWS_REQUEST_CHECKSUM_CALCULATION": "WHEN_REQUIRED", "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required"}),
		"retries":                with(map[string]string{"AWS_MAX_ATTEMPTS": "7", "AWS_RETRY_MODE": "adaptive"}),
		"variants":               with(map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "true", "AWS_USE_FIPS_ENDPOINT": "True"}),
		"variants off":           with(map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "false", "AWS_USE_FIPS_ENDPOINT": "false"}),
		"endpoint discovery":     with(map[string]string{"AWS_ENABLE_ENDPOINT_DISCOVERY": "auto"}),
		"s3 settings":            with(map[string]string{"AWS_S3_USE_ARN_REGION": "true", "AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS": "true", "AWS_S3_DISABLE_EXPRESS_SESSION_AUTH": "true"}),
		"app id":                 with(map[string]string{"AWS_SDK_UA_APP_ID": "rampart"}),
		"invalid bool":           with(map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "yes"}),
		"invalid checksum":       with(map[string]string{"AWS_REQUEST_CHECKSUM_CALCULATION": "always"}),
		"invalid max attempts":   with(map[string]string{"AWS_MAX_ATTEMPTS": "many"}),
		"invalid retry mode":     with(map[string]string{"AWS_RETRY_MODE": "eager"}),
		"invalid dualstack":      with(map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "1"}),
		"invalid account mode":   with(map[string]string{"AWS_ACCOUNT_ID_ENDPOINT_MODE": "PREFERRED"}),
		"invalid discovery":      with(map[string]string{"AWS_ENABLE_ENDPOINT_DISCOVERY": "on"}),
		"invalid s3 arn region":  with(map[string]string{"AWS_S3_USE_ARN_REGION": "maybe"}),
		"empty service endpoint": with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_SQS": ""}),
		"zero max attempts":      with(map[string]string{"AWS_MAX_ATTEMPTS": "0"}),
		"negative max attempts":  with(map[string]string{"AWS_MAX_ATTEMPTS": "-1"}),
		"padded max attempts":    with(map[string]string{"AWS_MAX_ATTEMPTS": " 3"}),
		"empty everything":       with(map[string]string{"AWS_RETRY_MODE": "", "AWS_USE_FIPS_ENDPOINT": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": ""}),
		"upper-case retry mode":  with(map[string]string{"AWS_RETRY_MODE": "STANDARD"}),
		"endpoint with a path":   with(map[string]string{"AWS_ENDPOINT_URL_S3": "https://gateway.example.test:8443/s3/"}),
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			setEnv(t, env)
			ours, oerr := Load()
			sdk, serr := config.LoadDefaultConfig(context.Background())
			if (oerr != nil) != (serr != nil) {
				t.Fatalf("Load: %v; LoadDefaultConfig: %v", oerr, serr)
			}
			if oerr != nil {
				return
			}
			compareClients(t, ours, sdk)
		})
	}
}

func compareClients(t *testing.T, ours, sdk aws.Config) {
	t.Helper()
	ctx := context.Background()
	oc, err1 := ours.Credentials.Retrieve(ctx)
	sc, err2 := sdk.Credentials.Retrieve(ctx)
	if err1 != nil || err2 != nil || oc.AccessKeyID != sc.AccessKeyID || oc.SecretAccessKey != sc.SecretAccessKey ||
		oc.SessionToken != sc.SessionToken || oc.AccountID != sc.AccountID || oc.Source != sc.Source {
		t.Errorf("credentials %+v (%v), SDK %+v (%v)", oc, err1, sc, err2)
	}
	type opts struct {
		BaseEndpoint                            *string
		Region, AppID                           string
		RetryMaxAttempts                        int
		RetryMode                               aws.RetryMode
		RequestChecksum                         aws.RequestChecksumCalculation
		ResponseChecksum                        aws.ResponseChecksumValidation
		DualStack                               aws.DualStackEndpointState
		FIPS                                    aws.FIPSEndpointState
		AccountIDMode                           aws.AccountIDEndpointMode
		Discovery                               aws.EndpointDiscoveryEnableState
		UseARNRegion, DisableMRAP, UsePathStyle bool
		DisableExpress                          *bool
	}
	s3o := func(c aws.Config) opts {
		o := s3.NewFromConfig(c).Options()
		return opts{o.BaseEndpoint, o.Region, o.AppID, o.RetryMaxAttempts, o.RetryMode, o.RequestChecksumCalculation, o.ResponseChecksumValidation,
			o.EndpointOptions.UseDualStackEndpoint, o.EndpointOptions.UseFIPSEndpoint, "", 0, o.UseARNRegion, o.DisableMultiRegionAccessPoints, o.UsePathStyle, o.DisableS3ExpressSessionAuth}
	}
	ddbo := func(c aws.Config) opts {
		o := dynamodb.NewFromConfig(c).Options()
		return opts{BaseEndpoint: o.BaseEndpoint, Region: o.Region, AppID: o.AppID, RetryMaxAttempts: o.RetryMaxAttempts, RetryMode: o.RetryMode,
			DualStack: o.EndpointOptions.UseDualStackEndpoint, FIPS: o.EndpointOptions.UseFIPSEndpoint, AccountIDMode: o.AccountIDEndpointMode,
			Discovery: o.EndpointDiscovery.EnableEndpointDiscovery}
	}
	sqso := func(c aws.Config) opts {
		o := sqs.NewFromConfig(c).Options()
		return opts{BaseEndpoint: o.BaseEndpoint, Region: o.Region, RetryMaxAttempts: o.RetryMaxAttempts, RetryMode: o.RetryMode,
			DualStack: o.EndpointOptions.UseDualStackEndpoint, FIPS: o.EndpointOptions.UseFIPSEndpoint}
	}
	logso := func(c aws.Config) opts {
		o := cloudwatchlogs.NewFromConfig(c).Options()
		return opts{BaseEndpoint: o.BaseEndpoint, Region: o.Region, RetryMaxAttempts: o.RetryMaxAttempts, RetryMode: o.RetryMode,
			DualStack: o.EndpointOptions.UseDualStackEndpoint, FIPS: o.EndpointOptions.UseFIPSEndpoint}
	}
	for name, f := range map[string]func(aws.Config) opts{"s3": s3o, "dynamodb": ddbo, "sqs": sqso, "cloudwatchlogs": logso} {
		if o, s := f(ours), f(sdk); !reflect.DeepEqual(o, s) {
			t.Errorf("%s client options differ:\n ours %s\n sdk  %s", name, show(o), show(s))
		}
	}
}

// show prints v's fields with pointers followed.
func show(v any) string {
	rv := reflect.ValueOf(v)
	var b strings.Builder
	for i := range rv.NumField() {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			f = f.Elem()
		}
		fmt.Fprintf(&b, "%s=%v ", rv.Type().Field(i).Name, f)
	}
	return b.String()
}

func TestLoad_NoCredentials(t *testing.T) {
	setEnv(t, with(map[string]string{"AWS_ACCESS_KEY_ID": "-", "AWS_SECRET_ACCESS_KEY": "-"}))
	if _, err := Load(); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("Load without credentials: %v", err)
	}
}

// TestLoad_CABundle: an HTTPS endpoint whose certificate AWS_CA_BUNDLE
// holds is reached, as with the SDK; without it, it is refused.
func TestLoad_CABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Write([]byte(`{"TableNames":["ok"]}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	defer srv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, withBundle := range []bool{true, false} {
		env := with(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": srv.URL, "AWS_MAX_ATTEMPTS": "1"})
		if withBundle {
			env["AWS_CA_BUNDLE"] = bundle
		}
		setEnv(t, env)
		for name, load := range map[string]func() (aws.Config, error){
			"Load":              Load,
			"LoadDefaultConfig": func() (aws.Config, error) { return config.LoadDefaultConfig(context.Background()) },
		} {
			cfg, err := load()
			if err != nil {
				t.Fatal(err)
			}
			out, err := dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
			if withBundle && (err != nil || len(out.TableNames) != 1) {
				t.Errorf("%s with AWS_CA_BUNDLE: %v", name, err)
			}
			if !withBundle && err == nil {
				t.Errorf("%s without AWS_CA_BUNDLE trusted the test certificate", name)
			}
		}
	}
}

func TestS3PathStyle(t *testing.T) {
	for env, want := range map[string]bool{
		"":                                      false,
		"http://127.0.0.1:9000":                 false, // the SDK does it itself for IPs
		"http://[::1]:9000":                     false,
		"http://localhost:9000":                 true,
		"http://s3.localhost:9000":              true,
		"http://minio:9000":                     true,
		"https://s3.eu-central-1.amazonaws.com": false,
		"https://storage.example.com":           false,
	} {
		setEnv(t, with(map[string]string{"AWS_ENDPOINT_URL_S3": env}))
		if env == "" {
			os.Unsetenv("AWS_ENDPOINT_URL_S3")
		}
		if got := S3PathStyle(); got != want {
			t.Errorf("S3PathStyle with AWS_ENDPOINT_URL_S3=%q = %v, want %v", env, got, want)
		}
	}
	setEnv(t, with(map[string]string{"AWS_ENDPOINT_URL": "http://localhost:4566"}))
	if !S3PathStyle() {
		t.Error("AWS_ENDPOINT_URL=http://localhost:4566: not path style")
	}
	setEnv(t, with(map[string]string{"AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}))
	if S3PathStyle() {
		t.Error("path style with the endpoints ignored")
	}
}

// TestLoad_Profile: with AWS_PROFILE set the SDK takes the profile's
// endpoint_url and region from the shared config file, which Load does not
// read; Load refuses instead of sending the requests to AWS.
func TestLoad_Profile(t *testing.T) {
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		t.Run(k, func(t *testing.T) {
			setEnv(t, with(map[string]string{k: "local", "AWS_REGION": "-", "AWS_DEFAULT_REGION": "-"}))
			ini := "[profile local]\nregion = eu-central-1\nendpoint_url = http://127.0.0.1:4566\n"
			if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(ini), 0o600); err != nil {
				t.Fatal(err)
			}
			sdk, err := config.LoadDefaultConfig(context.Background())
			if err != nil || aws.ToString(s3.NewFromConfig(sdk).Options().BaseEndpoint) != "http://127.0.0.1:4566" {
				t.Fatalf("the SDK should use the profile's endpoint: %v", err)
			}
			_, err = Load()
			if !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), k+"=local") {
				t.Fatalf("Load with %s=local: %v, want ErrProfile naming it", k, err)
			}
		})
	}
}

// TestLoad_Invalid: an endpoint the SDK would take and then fail every
// request with (no scheme, quotes or spaces an env file left in, a scheme
// other than http and https), and a region that is not a DNS label, stop
// Load with the variable's name; valid ones, and the same endpoints with
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, load.
func TestLoad_Invalid(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"no scheme":         {"AWS_ENDPOINT_URL_S3": "127.0.0.1:9000"},
		"bare host":         {"AWS_ENDPOINT_URL_DYNAMODB": "localhost"},
		"quoted":            {"AWS_ENDPOINT_URL": `"http://127.0.0.1:4566"`},
		"trailing space":    {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000 "},
		"no host":           {"AWS_ENDPOINT_URL": "http://"},
		"ftp":               {"AWS_ENDPOINT_URL_SQS": "ftp://127.0.0.1"},
		"missing colon":     {"AWS_ENDPOINT_URL_S3": "http//127.0.0.1:9000"},
		"region with space": {"AWS_REGION": "eu-central-1 "},
		"region by name":    {"AWS_REGION": "Frankfurt (eu-central-1)"},
	} {
		t.Run(name, func(t *testing.T) {
			setEnv(t, with(env))
			_, err := Load()
			var key string
			for k := range env {
				key = k
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), key+"=") {
				t.Fatalf("Load: %v, want ErrInvalid naming %s", err, key)
			}
			if key != "AWS_REGION" {
				setEnv(t, with(map[string]string{key: env[key], "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}))
				if _, err := Load(); err != nil {
					t.Fatalf("Load with the endpoints ignored: %v", err)
				}
			}
		})
	}
	setEnv(t, with(map[string]string{"AWS_ENDPOINT_URL_S3": "https://s3.example.test:8443/base", "AWS_ENDPOINT_URL": "http://[::1]:4566", "AWS_REGION": "local"}))
	if _, err := Load(); err != nil {
		t.Fatalf("valid endpoints: %v", err)
	}
}

// TestLoad_DefaultProfileEndpoint: without AWS_PROFILE the SDK still reads
// the shared config file's default profile, and its endpoint_url (or
// services section) would send the requests to a local server; Load, which
// does not read the file, refuses instead of sending them to AWS.
func TestLoad_DefaultProfileEndpoint(t *testing.T) {
	for name, ini := range map[string]string{
		"endpoint_url": "[default]\nregion = eu-central-1\nendpoint_url = http://127.0.0.1:4566\n",
		"services":     "# local\n[profile other]\nregion = us-east-1\n[ default ]\nservices = local\n\n[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:4566\n",
	} {
		t.Run(name, func(t *testing.T) {
			setEnv(t, lambdaEnv)
			if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(ini), 0o600); err != nil {
				t.Fatal(err)
			}
			sdk, err := config.LoadDefaultConfig(context.Background())
			if err != nil || aws.ToString(s3.NewFromConfig(sdk).Options().BaseEndpoint) != "http://127.0.0.1:4566" {
				t.Fatalf("the SDK should use the default profile's endpoint: %v", err)
			}
			if _, err := Load(); !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), name) {
				t.Fatalf("Load: %v, want ErrProfile naming %s", err, name)
			}
		})
	}
	t.Run("other settings", func(t *testing.T) {
		setEnv(t, lambdaEnv)
		ini := "[default]\nregion = eu-central-1\n  endpoint_url = nested, not the profile's\n[profile local]\nendpoint_url = http://127.0.0.1:4566\n"
		if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(ini), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(); err != nil {
			t.Fatalf("Load: %v", err)
		}
	})
}
