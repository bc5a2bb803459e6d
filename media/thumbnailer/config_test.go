package thumbnailer_test

import (
	"slices"
	"testing"

	"github.com/rampartdev/rampart/media/thumbnailer"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{thumbnailer.EnvBucket: "b", thumbnailer.EnvMediaTable: "media", thumbnailer.EnvIdempotencyTable: "idem",
		thumbnailer.EnvSizes: "800, 200", thumbnailer.EnvQuality: "75", thumbnailer.EnvMaxBytes: "1000"}
	c, err := thumbnailer.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != "b" || !slices.Equal(c.Options.Imaging.Sizes, []int{800, 200}) || c.Options.Imaging.Quality != 75 || c.Options.Imaging.Limits.MaxBytes != 1000 {
		t.Fatalf("%+v", c)
	}
	for _, bad := range []map[string]string{
		{thumbnailer.EnvMediaTable: "m", thumbnailer.EnvIdempotencyTable: "i"},
		{thumbnailer.EnvBucket: "b", thumbnailer.EnvMediaTable: "m", thumbnailer.EnvIdempotencyTable: "i", thumbnailer.EnvSizes: "12,x"},
		{thumbnailer.EnvBucket: "b", thumbnailer.EnvMediaTable: "m", thumbnailer.EnvIdempotencyTable: "i", thumbnailer.EnvQuality: "101"},
	} {
		if _, err := thumbnailer.ConfigFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("ConfigFromEnv(%v) succeeded", bad)
		}
	}
}
