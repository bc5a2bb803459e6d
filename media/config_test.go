package media_test

import (
	"slices"
	"testing"

	"github.com/rampartdev/rampart/media"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{media.EnvBucket: "b", media.EnvMediaTable: "media", media.EnvIdempotencyTable: "idem",
		media.EnvSizes: "800, 200", media.EnvQuality: "75", media.EnvMaxBytes: "1000"}
	c, err := media.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != "b" || !slices.Equal(c.Options.Imaging.Sizes, []int{800, 200}) || c.Options.Imaging.Quality != 75 || c.Options.Imaging.Limits.MaxBytes != 1000 {
		t.Fatalf("%+v", c)
	}
	for _, bad := range []map[string]string{
		{media.EnvMediaTable: "m", media.EnvIdempotencyTable: "i"},
		{media.EnvBucket: "b", media.EnvMediaTable: "m", media.EnvIdempotencyTable: "i", media.EnvSizes: "12,x"},
		{media.EnvBucket: "b", media.EnvMediaTable: "m", media.EnvIdempotencyTable: "i", media.EnvQuality: "101"},
	} {
		if _, err := media.ConfigFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("ConfigFromEnv(%v) succeeded", bad)
		}
	}
}
