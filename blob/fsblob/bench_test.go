package fsblob_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/rampartdev/rampart/blob"
)

// BenchmarkPut measures durable writes (two synced files and a synced
// folder per Put) of a 64 KiB thumbnail-sized object.
func BenchmarkPut(b *testing.B) {
	s := mustNew(b, b.TempDir(), nil)
	body := make([]byte, 64<<10)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	i := 0
	for b.Loop() {
		if _, err := s.Put(ctx, "thumbs/"+strconv.Itoa(i%100)+".jpg", body, blob.PutOptions{ContentType: "image/jpeg"}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkGet measures reading a 64 KiB object with a size limit.
func BenchmarkGet(b *testing.B) {
	s := mustNew(b, b.TempDir(), nil)
	body := make([]byte, 64<<10)
	ctx := context.Background()
	if _, err := s.Put(ctx, "thumbs/a.jpg", body, blob.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, _, err := s.GetWithOptions(ctx, "thumbs/a.jpg", blob.GetOptions{MaxBytes: 1 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}
