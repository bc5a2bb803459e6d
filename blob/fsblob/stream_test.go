package fsblob_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartdev/rampart/blob"
)

// files lists every file under root.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, d.Name())
		}
		return nil
	})
	return out
}

// failingReader yields n bytes, then err.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	clear(p[:k])
	r.n -= k
	return k, nil
}

func TestStore_PutReader(t *testing.T) {
	root := t.TempDir()
	s := mustNew(t, root, nil)
	body := bytes.Repeat([]byte("0123456789abcdef"), 100_000) // 1.6 MB, many buffers
	obj, err := s.PutReader(t.Context(), "uploads/big.bin", bytes.NewReader(body), blob.PutOptions{ContentType: "application/x"})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	if obj.Size != int64(len(body)) || obj.ETag != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Fatalf("object %+v", obj)
	}
	f, got, err := s.Open(t.Context(), "uploads/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(b, body) || got.ETag != obj.ETag {
		t.Fatalf("Open: %d bytes, %+v", len(b), got)
	}

	// A body cut off midway (a client gone, a limit hit) changes nothing
	// and leaves no file behind.
	boom := errors.New("connection reset")
	if _, err := s.PutReader(t.Context(), "uploads/big.bin", &failingReader{n: 500_000, err: boom}, blob.PutOptions{}); !errors.Is(err, boom) {
		t.Fatalf("cut-off PutReader: %v", err)
	}
	if cur, err := s.Head(t.Context(), "uploads/big.bin"); err != nil || cur.ETag != obj.ETag {
		t.Fatalf("after a cut-off write: %+v %v", cur, err)
	}
	if fs := files(t, root); len(fs) != 2 {
		t.Fatalf("files after a cut-off write: %v", fs)
	}
	if _, _, err := s.Open(t.Context(), "uploads/none"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open of a missing key: %v", err)
	}
}

// TestStore_Sweep leaves what a crash leaves (a temporary file, a body no
// sidecar names) and checks that Sweep removes exactly that.
func TestStore_Sweep(t *testing.T) {
	root := t.TempDir()
	s := mustNew(t, root, nil)
	if _, err := s.Put(t.Context(), "uploads/a.jpg", []byte("aaa"), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "uploads")
	os.WriteFile(filepath.Join(dir, ".tmp-99999-1"), []byte("half an upload"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.jpg~d0000000000000001"), []byte("orphan"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.jpg~dffffffffffffffff"), []byte("orphan, no sidecar"), 0o644)
	n, err := s.Sweep(t.Context())
	if err != nil || n != 3 {
		t.Fatalf("Sweep: %d %v, want 3", n, err)
	}
	fs := files(t, root)
	if len(fs) != 2 || !strings.HasSuffix(fs[0]+fs[1], "~m") && !strings.Contains(strings.Join(fs, " "), "~m") {
		t.Fatalf("files after Sweep: %v", fs)
	}
	if b, _, err := s.Get(t.Context(), "uploads/a.jpg"); err != nil || string(b) != "aaa" {
		t.Fatalf("object after Sweep: %q %v", b, err)
	}
}
