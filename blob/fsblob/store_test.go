package fsblob_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/blobtest"
	"github.com/rampartdev/rampart/blob/fsblob"
)

func mustNew(tb testing.TB, root string, opts *fsblob.Options) *fsblob.Store {
	tb.Helper()
	s, err := fsblob.New(root, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestStore_Conformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return mustNew(t, t.TempDir(), nil) })
}

// Every file the store writes for the hostile keys stays under the root
// and has a short, plain name.
func TestStore_HostileKeysStayUnderRoot(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	s := mustNew(t, root, nil)
	for _, key := range blobtest.HostileKeys {
		if _, err := s.Put(ctx, key, []byte(key), blob.PutOptions{}); err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
	}
	entries, err := os.ReadDir(parent)
	if err != nil || len(entries) != 1 || entries[0].Name() != "root" {
		t.Fatalf("files outside the root: %v %v", entries, err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if path == root {
			return nil
		}
		if len(name) > 255 || strings.HasPrefix(name, ".") || strings.ContainsAny(name, "\\:*?\"<>| \x00\n\t") {
			t.Errorf("unsafe name on disk: %q", name)
		}
		if strings.ToLower(name) != name {
			t.Errorf("upper case on disk (collides on case-insensitive filesystems): %q", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// State written by one Store is read by the next on the same root, and
// versions keep increasing across the restart even if the clock is behind.
func TestStore_Reopen(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := mustNew(t, root, &fsblob.Options{Now: func() time.Time { return now }})
	a, _ := s.Put(ctx, "k", []byte("one"), blob.PutOptions{ContentType: "text/plain"})
	b, _ := s.Put(ctx, "k", []byte("two"), blob.PutOptions{ContentType: "text/plain"})
	if !(b.VersionID > a.VersionID) || len(a.VersionID) != 16 {
		t.Fatalf("versions %q then %q: want increasing 16-digit hex", a.VersionID, b.VersionID)
	}
	if !b.LastModified.Equal(now) {
		t.Fatalf("LastModified = %v, want the injected clock's %v", b.LastModified, now)
	}
	s2 := mustNew(t, root, nil)
	body, obj, err := s2.Get(ctx, "k")
	if err != nil || string(body) != "two" || obj.VersionID != b.VersionID || obj.ContentType != "text/plain" || !obj.LastModified.Equal(now) {
		t.Fatalf("after reopen: %q %+v %v", body, obj, err)
	}
	// Only the current version's body is kept.
	files, _ := filepath.Glob(filepath.Join(root, "k~*"))
	if len(files) != 2 {
		t.Fatalf("files for k: %v, want the sidecar and one body", files)
	}
}

// A sidecar pointing at a missing body (damage outside the store) is an
// error, not an empty object.
func TestStore_MissingBody(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := mustNew(t, root, nil)
	o, err := s.Put(ctx, "k", []byte("x"), blob.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "k~d"+o.VersionID)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "k"); err == nil {
		t.Fatal("Get with a missing body succeeded")
	}
}

// A body whose length differs from its sidecar (damage outside the store)
// is an error, never silently returned.
func TestStore_BodySizeMismatch(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := mustNew(t, root, nil)
	o, err := s.Put(ctx, "k", []byte("four"), blob.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"fou", "fourfive"} {
		if err := os.WriteFile(filepath.Join(root, "k~d"+o.VersionID), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, _, err := s.Get(ctx, "k"); err == nil {
			t.Errorf("Get with a %d-byte body for a 4-byte object = %q, want an error", len(body), got)
		}
	}
}
