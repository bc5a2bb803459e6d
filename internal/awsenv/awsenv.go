// Package awsenv builds the AWS SDK configuration of a Lambda bootstrap from
// the environment alone, as the SDK for Go v2's config.LoadDefaultConfig
// reads the environment, without linking the rest of that package (shared
// config files, SSO, STS, IMDS), whose package initialisation alone costs a
// cold start about a millisecond (BenchmarkColdStart in cmd/thumbnailer).
//
// It honours, with the SDK's names, values and precedence:
//
//	AWS_REGION, AWS_DEFAULT_REGION           the region
//	AWS_ACCESS_KEY_ID (AWS_ACCESS_KEY),
//	AWS_SECRET_ACCESS_KEY (AWS_SECRET_KEY),
//	AWS_SESSION_TOKEN, AWS_ACCOUNT_ID        static credentials (what Lambda sets)
//	AWS_ENDPOINT_URL                         every service's endpoint
//	AWS_ENDPOINT_URL_<SERVICE>               one service's endpoint, before AWS_ENDPOINT_URL:
//	                                         _S3, _DYNAMODB, _SQS, _CLOUDWATCH_LOGS (the
//	                                         SDK's service id, upper case, spaces as _)
//	AWS_IGNORE_CONFIGURED_ENDPOINT_URLS      true: both of the above are ignored
//	AWS_REQUEST_CHECKSUM_CALCULATION,
//	AWS_RESPONSE_CHECKSUM_VALIDATION         when_supported (default) or when_required,
//	                                         which S3-compatible servers without the
//	                                         newer checksums need
//	AWS_MAX_ATTEMPTS, AWS_RETRY_MODE         retries
//	AWS_USE_DUALSTACK_ENDPOINT,
//	AWS_USE_FIPS_ENDPOINT                    endpoint variants
//	AWS_ENABLE_ENDPOINT_DISCOVERY            DynamoDB endpoint discovery
//	AWS_ACCOUNT_ID_ENDPOINT_MODE             account-based DynamoDB endpoints
//	AWS_S3_USE_ARN_REGION,
//	AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS,
//	AWS_S3_DISABLE_EXPRESS_SESSION_AUTH      S3's own settings
//	AWS_CA_BUNDLE                            the CA certificates of an HTTPS endpoint
//	AWS_SDK_UA_APP_ID                        the application id in the User-Agent
//
// The tests compare every service client this yields with the one
// config.LoadDefaultConfig yields for the same environment.
//
// The SDK has no setting for S3 path-style addressing; it uses path style
// by itself for an endpoint whose host is an IP address. [S3PathStyle]
// extends that to hosts that cannot carry a bucket name in DNS either
// (localhost, a single-label name such as minio), where virtual-hosted
// addressing can only fail.
//
// Not read (the SDK would, from elsewhere than the environment): shared
// config and credentials files and profiles, SSO, web identity, container
// and instance credentials, AWS_DEFAULTS_MODE. Without credentials in the
// environment [Load] fails with [ErrNoCredentials]. With AWS_PROFILE (or
// AWS_DEFAULT_PROFILE) set it fails with [ErrProfile]: the SDK would take
// that profile's region and endpoint_url from the shared config file, so
// ignoring it could send a run meant for a local endpoint to AWS with the
// credentials in the environment. (Lambda never sets either variable.) For
// the same reason it fails with [ErrProfile] when the shared config file's
// default profile sets endpoint_url or services. An endpoint that is not an
// absolute http or https URL, or a region that is not a DNS label, fails
// with [ErrInvalid] (the SDK would fail every request instead).
package awsenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// ErrNoCredentials is returned by [Load] when the environment has no access
// key (Lambda always sets one).
var ErrNoCredentials = errors.New("awsenv: no credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")

// ErrInvalid is returned (wrapped) by [Load] for a value the SDK accepts
// when it loads but fails on at every request (an endpoint that is not an
// absolute http or https URL, a region that is not a DNS label), so that a
// bootstrap stops at its start with the variable's name instead of failing
// each invocation with a resolver error (and each message into its
// dead-letter queue).
var ErrInvalid = errors.New("awsenv: invalid environment")

// ErrProfile is returned (wrapped) by [Load] when the environment names a
// shared-config profile, which it does not read.
var ErrProfile = errors.New("awsenv: a profile is named, but this program reads only environment variables, not the shared config and credentials files")

// Load returns the SDK configuration the environment describes (see the
// package documentation). An invalid value is an error, as with the SDK.
func Load() (aws.Config, error) {
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if p := os.Getenv(k); p != "" {
			return aws.Config{}, fmt.Errorf("%w (%s=%s: its credentials, region and endpoint_url would be ignored); unset %s and set the profile's values as variables, e.g. eval \"$(aws configure export-credentials --profile %s --format env)\", AWS_REGION and AWS_ENDPOINT_URL",
				ErrProfile, k, p, k, p)
		}
	}
	src, err := read()
	if err != nil {
		return aws.Config{}, err
	}
	if !src.ignoreEndpoints {
		if err := checkEndpoints(); err != nil {
			return aws.Config{}, err
		}
		if err := checkSharedConfig(); err != nil {
			return aws.Config{}, err
		}
	}
	region := first("AWS_REGION", "AWS_DEFAULT_REGION")
	if region != "" && !validRegion(region) {
		return aws.Config{}, fmt.Errorf("%w: AWS_REGION=%q is not a region name (letters, digits and hyphens), as the SDK would say at every request", ErrInvalid, region)
	}
	cfg := aws.Config{
		Region:                     region,
		RetryMaxAttempts:           src.maxAttempts,
		RetryMode:                  src.retryMode,
		RequestChecksumCalculation: src.requestChecksum,
		ResponseChecksumValidation: src.responseChecksum,
		AccountIDEndpointMode:      src.accountIDMode,
		AppID:                      os.Getenv("AWS_SDK_UA_APP_ID"),
		ConfigSources:              []any{src},
	}
	if !src.ignoreEndpoints {
		if e := os.Getenv("AWS_ENDPOINT_URL"); e != "" {
			cfg.BaseEndpoint = aws.String(e)
		}
	}
	id, secret := first("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), first("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, ErrNoCredentials
	}
	cfg.Credentials = aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: aws.Credentials{
		AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN"),
		AccountID: os.Getenv("AWS_ACCOUNT_ID"), Source: "EnvConfigCredentials",
	}})
	if path := os.Getenv("AWS_CA_BUNDLE"); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			return aws.Config{}, fmt.Errorf("awsenv: AWS_CA_BUNDLE: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return aws.Config{}, fmt.Errorf("awsenv: AWS_CA_BUNDLE %s: no PEM certificate", path)
		}
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{}
			}
			tr.TLSClientConfig.RootCAs = roots
		})
	}
	return cfg, nil
}

// S3PathStyle reports whether the S3 client should use path-style
// addressing (the s3.Options field UsePathStyle): when its configured
// endpoint (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true) names a host under which a
// bucket cannot be a DNS name: localhost, a name under .localhost, or a
// single label (a container's name). For an IP address the SDK chooses
// path style itself.
func S3PathStyle() bool {
	if b, _ := strconv.ParseBool(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")); b {
		return false
	}
	e := first("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
	u, err := url.Parse(e)
	if e == "" || err != nil {
		return false
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if host == "" || net.ParseIP(host) != nil {
		return false
	}
	return !strings.Contains(host, ".") || strings.HasSuffix(host, ".localhost")
}

// checkEndpoints checks every AWS_ENDPOINT_URL variable set: each must be
// an absolute http or https URL with a host (and no surrounding spaces or
// quotes, which an env file may leave in). The SDK takes any string and
// fails at each request: "Custom endpoint `127.0.0.1:9000` was not a valid
// URI" for S3, "Failed to parse uri" for DynamoDB, or a POST to
// "/localhost".
func checkEndpoints() error {
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if v == "" || (k != "AWS_ENDPOINT_URL" && !strings.HasPrefix(k, "AWS_ENDPOINT_URL_")) {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%w: %s=%q is not an absolute http:// or https:// URL with a host (such as http://127.0.0.1:9000)", ErrInvalid, k, v)
		}
	}
	return nil
}

// checkSharedConfig refuses a default profile that sets endpoint_url or
// services in the shared config file (AWS_CONFIG_FILE, else ~/.aws/config):
// the SDK reads that file even without AWS_PROFILE and would send its
// requests there, while Load, which does not read it, would send them to
// AWS with the environment's credentials. A missing or unreadable file is
// no file, as for the SDK.
func checkSharedConfig() error {
	path := os.Getenv("AWS_CONFIG_FILE")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil
		}
		path = filepath.Join(home, ".aws", "config")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	inDefault := false
	for line := range strings.Lines(string(b)) {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
		case trimmed[0] == '[':
			name := strings.Join(strings.Fields(strings.Trim(trimmed, "[]")), " ")
			inDefault = name == "default" || name == "profile default"
		case inDefault && line[0] != ' ' && line[0] != '\t':
			key, _, _ := strings.Cut(trimmed, "=")
			if key = strings.ToLower(strings.TrimSpace(key)); key == "endpoint_url" || key == "services" {
				return fmt.Errorf("%w: the default profile of %s sets %s, which this program does not read (the SDK would send its requests there); set AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE> instead, or AWS_CONFIG_FILE to a file without it",
					ErrProfile, path, key)
			}
		}
	}
	return nil
}

// validRegion reports whether r can be a region: a DNS label, as the SDK's
// endpoint rules require.
func validRegion(r string) bool {
	if len(r) > 63 || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func first(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// source is the configuration source the service clients consult (through
// aws.Config.ConfigSources) for their own settings. Its methods are those
// of the SDK's config.EnvConfig that the clients look for.
type source struct {
	ignoreEndpoints        bool
	dualStack              aws.DualStackEndpointState
	fips                   aws.FIPSEndpointState
	endpointDiscovery      aws.EndpointDiscoveryEnableState
	s3UseARNRegion         *bool
	s3DisableMRAP          *bool
	s3DisableExpress       *bool
	maxAttempts            int
	retryMode              aws.RetryMode
	requestChecksum        aws.RequestChecksumCalculation
	responseChecksum       aws.ResponseChecksumValidation
	accountIDMode          aws.AccountIDEndpointMode
	ignoreEndpointsPresent bool
}

func read() (*source, error) {
	// The SDK's defaults when a variable is unset.
	s := &source{
		requestChecksum:  aws.RequestChecksumCalculationWhenSupported,
		responseChecksum: aws.ResponseChecksumValidationWhenSupported,
		accountIDMode:    aws.AccountIDEndpointModePreferred,
	}
	var err error
	if s.ignoreEndpointsPresent, s.ignoreEndpoints, err = boolEnv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); err != nil {
		return nil, err
	}
	for _, b := range []struct {
		key string
		dst **bool
	}{
		{"AWS_S3_USE_ARN_REGION", &s.s3UseARNRegion},
		{"AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS", &s.s3DisableMRAP},
		{"AWS_S3_DISABLE_EXPRESS_SESSION_AUTH", &s.s3DisableExpress},
	} {
		ok, v, err := boolEnv(b.key)
		if err != nil {
			return nil, err
		}
		if ok {
			*b.dst = &v
		}
	}
	if ok, v, err := stateEnv("AWS_USE_DUALSTACK_ENDPOINT", "need true, false"); err != nil {
		return nil, err
	} else if ok {
		s.dualStack = aws.DualStackEndpointStateDisabled
		if v {
			s.dualStack = aws.DualStackEndpointStateEnabled
		}
	}
	if ok, v, err := stateEnv("AWS_USE_FIPS_ENDPOINT", "need true, false"); err != nil {
		return nil, err
	} else if ok {
		s.fips = aws.FIPSEndpointStateDisabled
		if v {
			s.fips = aws.FIPSEndpointStateEnabled
		}
	}
	if v := os.Getenv("AWS_ENABLE_ENDPOINT_DISCOVERY"); v != "" {
		switch {
		case strings.EqualFold(v, "false"):
			s.endpointDiscovery = aws.EndpointDiscoveryDisabled
		case strings.EqualFold(v, "true"):
			s.endpointDiscovery = aws.EndpointDiscoveryEnabled
		case strings.EqualFold(v, "auto"):
			s.endpointDiscovery = aws.EndpointDiscoveryAuto
		default:
			return nil, invalid("AWS_ENABLE_ENDPOINT_DISCOVERY", v, "need true, false or auto")
		}
	}
	if v := os.Getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("awsenv: invalid value AWS_MAX_ATTEMPTS=%s, %w", v, err)
		}
		s.maxAttempts = int(n)
	}
	if v := os.Getenv("AWS_RETRY_MODE"); v != "" {
		if s.retryMode, err = aws.ParseRetryMode(v); err != nil {
			return nil, fmt.Errorf("awsenv: invalid AWS_RETRY_MODE value, %w", err)
		}
	}
	if v := os.Getenv("AWS_REQUEST_CHECKSUM_CALCULATION"); v != "" {
		switch strings.ToLower(v) {
		case "when_supported":
			s.requestChecksum = aws.RequestChecksumCalculationWhenSupported
		case "when_required":
			s.requestChecksum = aws.RequestChecksumCalculationWhenRequired
		default:
			return nil, invalid("AWS_REQUEST_CHECKSUM_CALCULATION", v, "must be when_supported/when_required")
		}
	}
	if v := os.Getenv("AWS_RESPONSE_CHECKSUM_VALIDATION"); v != "" {
		switch strings.ToLower(v) {
		case "when_supported":
			s.responseChecksum = aws.ResponseChecksumValidationWhenSupported
		case "when_required":
			s.responseChecksum = aws.ResponseChecksumValidationWhenRequired
		default:
			return nil, invalid("AWS_RESPONSE_CHECKSUM_VALIDATION", v, "must be when_supported/when_required")
		}
	}
	if v := os.Getenv("AWS_ACCOUNT_ID_ENDPOINT_MODE"); v != "" {
		switch v {
		case "preferred":
			s.accountIDMode = aws.AccountIDEndpointModePreferred
		case "required":
			s.accountIDMode = aws.AccountIDEndpointModeRequired
		case "disabled":
			s.accountIDMode = aws.AccountIDEndpointModeDisabled
		default:
			return nil, invalid("AWS_ACCOUNT_ID_ENDPOINT_MODE", v, "must be preferred/required/disabled")
		}
	}
	return s, nil
}

func invalid(key, value, need string) error {
	return fmt.Errorf("awsenv: invalid value for environment variable, %s=%s, %s", key, value, need)
}

// boolEnv reads a true/false variable (any case), as the SDK does.
func boolEnv(key string) (present, value bool, err error) {
	return stateEnv(key, "need true or false")
}

func stateEnv(key, need string) (present, value bool, err error) {
	v := os.Getenv(key)
	switch {
	case v == "":
		return false, false, nil
	case strings.EqualFold(v, "true"):
		return true, true, nil
	case strings.EqualFold(v, "false"):
		return true, false, nil
	}
	return false, false, invalid(key, v, need)
}

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SERVICE> for the
// service whose SDK id is sdkID.
func (s *source) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	e := os.Getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return e, e != "", nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (s *source) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.ignoreEndpoints, s.ignoreEndpointsPresent, nil
}

// GetUseDualStackEndpoint reports AWS_USE_DUALSTACK_ENDPOINT.
func (s *source) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	return s.dualStack, s.dualStack != aws.DualStackEndpointStateUnset, nil
}

// GetUseFIPSEndpoint reports AWS_USE_FIPS_ENDPOINT.
func (s *source) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	return s.fips, s.fips != aws.FIPSEndpointStateUnset, nil
}

// GetEnableEndpointDiscovery reports AWS_ENABLE_ENDPOINT_DISCOVERY.
func (s *source) GetEnableEndpointDiscovery(context.Context) (aws.EndpointDiscoveryEnableState, bool, error) {
	return s.endpointDiscovery, s.endpointDiscovery != aws.EndpointDiscoveryUnset, nil
}

// GetS3UseARNRegion reports AWS_S3_USE_ARN_REGION.
func (s *source) GetS3UseARNRegion(context.Context) (bool, bool, error) {
	if s.s3UseARNRegion == nil {
		return false, false, nil
	}
	return *s.s3UseARNRegion, true, nil
}

// GetS3DisableMultiRegionAccessPoints reports
// AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS.
func (s *source) GetS3DisableMultiRegionAccessPoints(context.Context) (bool, bool, error) {
	if s.s3DisableMRAP == nil {
		return false, false, nil
	}
	return *s.s3DisableMRAP, true, nil
}

// GetS3DisableExpressAuth reports AWS_S3_DISABLE_EXPRESS_SESSION_AUTH.
func (s *source) GetS3DisableExpressAuth() (bool, bool) {
	if s.s3DisableExpress == nil {
		return false, false
	}
	return *s.s3DisableExpress, true
}
