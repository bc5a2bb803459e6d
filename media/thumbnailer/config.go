package thumbnailer

import (
	"fmt"
	"strconv"
	"strings"
)

// Environment variables the Lambda functions read. The deployment files set
// exactly these (deploy/aws tests compare them).
const (
	EnvBucket           = "MEDIA_BUCKET"      // source bucket name
	EnvMediaTable       = "MEDIA_TABLE"       // DynamoDB media table
	EnvIdempotencyTable = "IDEMPOTENCY_TABLE" // DynamoDB idempotency table
	EnvSourcePrefix     = "SOURCE_PREFIX"     // default "uploads/"
	EnvSizes            = "THUMBNAIL_SIZES"   // comma-separated long edges, default "1024,512,128"
	EnvQuality          = "JPEG_QUALITY"      // 1..100, default 80
	EnvMaxBytes         = "MAX_SOURCE_BYTES"  // default imaging.DefaultMaxBytes
	EnvMaxPixels        = "MAX_SOURCE_PIXELS" // default imaging.DefaultMaxPixels
)

// Env lists the variables the thumbnailer function reads.
var Env = []string{EnvBucket, EnvMediaTable, EnvIdempotencyTable, EnvSourcePrefix, EnvSizes, EnvQuality, EnvMaxBytes, EnvMaxPixels}

// Config is the thumbnailer's configuration as the environment gives it.
type Config struct {
	Bucket, MediaTable, IdempotencyTable string
	Options                              Options
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the
// bootstrap). The bucket and both tables are required.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Bucket: getenv(EnvBucket), MediaTable: getenv(EnvMediaTable), IdempotencyTable: getenv(EnvIdempotencyTable)}
	for name, v := range map[string]string{EnvBucket: c.Bucket, EnvMediaTable: c.MediaTable, EnvIdempotencyTable: c.IdempotencyTable} {
		if v == "" {
			return Config{}, fmt.Errorf("media: %s is not set", name)
		}
	}
	c.Options.Bucket = c.Bucket
	c.Options.SourcePrefix = getenv(EnvSourcePrefix)
	if s := getenv(EnvSizes); s != "" {
		sizes, err := ParseSizes(s)
		if err != nil {
			return Config{}, fmt.Errorf("media: %s: %w", EnvSizes, err)
		}
		c.Options.Imaging.Sizes = sizes
	}
	ints := []struct {
		name string
		dst  *int64
	}{{EnvMaxBytes, &c.Options.Imaging.Limits.MaxBytes}, {EnvMaxPixels, &c.Options.Imaging.Limits.MaxPixels}}
	for _, f := range ints {
		if s := getenv(f.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return Config{}, fmt.Errorf("media: %s=%q is not a positive integer", f.name, s)
			}
			*f.dst = n
		}
	}
	if s := getenv(EnvQuality); s != "" {
		q, err := strconv.Atoi(s)
		if err != nil || q < 1 || q > 100 {
			return Config{}, fmt.Errorf("media: %s=%q is not a quality from 1 to 100", EnvQuality, s)
		}
		c.Options.Imaging.Quality = q
	}
	return c, nil
}

// ParseSizes parses "1024,512,128".
func ParseSizes(s string) ([]int, error) {
	var sizes []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || n > 16384 {
			return nil, fmt.Errorf("size %q is not a long edge from 1 to 16384", f)
		}
		sizes = append(sizes, n)
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("no sizes")
	}
	return sizes, nil
}
