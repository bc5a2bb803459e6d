package fsblob

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampartdev/rampart/blob"
)

var _ blob.Store = (*Store)(nil)

// Options configure a Store. The zero value gives the defaults.
type Options struct {
	// Clock returns the current time, used for LastModified and VersionID;
	// nil means time.Now.
	Clock func() time.Time
}

// Store keeps objects under a root folder. It is safe for concurrent use.
type Store struct {
	root    string
	now     func() time.Time
	version atomic.Uint64 // the last VersionID issued
	locks   [64]sync.Mutex
}

// New returns a Store keeping its objects under root, which it creates if
// needed.
func New(root string, opts Options) (*Store, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("fsblob: create root: %w", err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("fsblob: %w", err)
	}
	s := &Store{root: abs, now: opts.Clock}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Root returns the absolute path of the root folder.
func (s *Store) Root() string { return s.root }

// sidecar is the JSON metadata file of an object.
type sidecar struct {
	Key          string            `json:"key"`
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"`
	VersionID    string            `json:"version_id"`
	ContentType  string            `json:"content_type,omitempty"`
	CacheControl string            `json:"cache_control,omitempty"`
	LastModified time.Time         `json:"last_modified"`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

func (m *sidecar) object() blob.Object {
	return blob.Object{
		Key: m.Key, Size: m.Size, ETag: m.ETag, VersionID: m.VersionID,
		ContentType: m.ContentType, CacheControl: m.CacheControl,
		LastModified: m.LastModified, Metadata: m.Metadata,
	}
}

// paths returns the folder of a key's files and the common prefix of their
// names.
func (s *Store) paths(key string) (dir, leaf string) {
	p := filepath.Join(s.root, filepath.FromSlash(encodePath(key)))
	return filepath.Dir(p), p
}

func (s *Store) lock(key string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(key))
	return &s.locks[h.Sum32()%uint32(len(s.locks))]
}

// nextVersion returns a version greater than every one issued before by
// this Store and, while the clock does not go back, by earlier ones.
func (s *Store) nextVersion() string {
	for {
		last := s.version.Load()
		v := max(uint64(s.now().UnixNano()), last+1)
		if s.version.CompareAndSwap(last, v) {
			return fmt.Sprintf("%016x", v)
		}
	}
}

// Put implements [blob.Store].
func (s *Store) Put(ctx context.Context, key string, body []byte, opts blob.PutOptions) (blob.Object, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: put: %w", err)
	}
	if err := blob.ValidateMetadata(opts.Metadata); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	sum := md5.Sum(body)
	dir, leaf := s.paths(key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	mu := s.lock(key)
	mu.Lock()
	defer mu.Unlock()

	m := sidecar{
		Key: key, Size: int64(len(body)), ETag: `"` + hex.EncodeToString(sum[:]) + `"`,
		VersionID: s.nextVersion(), ContentType: opts.ContentType, CacheControl: opts.CacheControl,
		LastModified: s.now().UTC(), Metadata: blob.NormalizeMetadata(opts.Metadata),
	}
	old, err := readSidecar(leaf)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	if err := writeFile(dir, leaf+dataSuffix+m.VersionID, body); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	js, err := json.Marshal(&m)
	if err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	if err := writeFile(dir, leaf+metaSuffix, js); err != nil {
		os.Remove(leaf + dataSuffix + m.VersionID)
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	if old != nil && old.VersionID != m.VersionID {
		os.Remove(leaf + dataSuffix + old.VersionID)
	}
	return m.object(), nil
}

// Get implements [blob.Store].
func (s *Store) Get(ctx context.Context, key string) ([]byte, blob.Object, error) {
	return s.GetWithOptions(ctx, key, blob.GetOptions{})
}

// GetWithOptions implements [blob.Store].
func (s *Store) GetWithOptions(ctx context.Context, key string, opts blob.GetOptions) ([]byte, blob.Object, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, blob.Object{}, fmt.Errorf("fsblob: get: %w", err)
	}
	_, leaf := s.paths(key)
	// A concurrent Put may replace the body between reading the sidecar
	// and opening the body; then read the new sidecar.
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, blob.Object{}, fmt.Errorf("fsblob: get %q: %w", key, err)
		}
		m, err := readSidecar(leaf)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, blob.Object{}, fmt.Errorf("fsblob: get %q: %w", key, blob.ErrNotFound)
		} else if err != nil {
			return nil, blob.Object{}, fmt.Errorf("fsblob: get %q: %w", key, err)
		}
		if opts.MaxBytes > 0 && m.Size > opts.MaxBytes {
			return nil, blob.Object{}, fmt.Errorf("fsblob: get: %w", &blob.TooLargeError{Key: key, Size: m.Size, Limit: opts.MaxBytes})
		}
		f, err := os.Open(leaf + dataSuffix + m.VersionID)
		if errors.Is(err, fs.ErrNotExist) && attempt < 100 {
			continue
		} else if err != nil {
			return nil, blob.Object{}, fmt.Errorf("fsblob: get %q: %w", key, err)
		}
		// Read one byte more than expected to notice a body that does not
		// match its metadata.
		buf := make([]byte, m.Size+1)
		n, err := io.ReadFull(f, buf)
		f.Close()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return nil, blob.Object{}, fmt.Errorf("fsblob: get %q: %w", key, err)
		}
		if int64(n) != m.Size {
			return nil, blob.Object{}, fmt.Errorf("fsblob: get %q: body has %d bytes or more, metadata says %d", key, n, m.Size)
		}
		return buf[:n:n], m.object(), nil
	}
}

// Head implements [blob.Store].
func (s *Store) Head(ctx context.Context, key string) (blob.Object, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: head: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: head %q: %w", key, err)
	}
	_, leaf := s.paths(key)
	m, err := readSidecar(leaf)
	if errors.Is(err, fs.ErrNotExist) {
		return blob.Object{}, fmt.Errorf("fsblob: head %q: %w", key, blob.ErrNotFound)
	} else if err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: head %q: %w", key, err)
	}
	return m.object(), nil
}

// Delete implements [blob.Store].
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("fsblob: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fsblob: delete %q: %w", key, err)
	}
	dir, leaf := s.paths(key)
	mu := s.lock(key)
	mu.Lock()
	defer mu.Unlock()
	m, err := readSidecar(leaf)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("fsblob: delete %q: %w", key, err)
	}
	if err := os.Remove(leaf + metaSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("fsblob: delete %q: %w", key, err)
	}
	if err := os.Remove(leaf + dataSuffix + m.VersionID); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("fsblob: delete %q: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("fsblob: delete %q: %w", key, err)
	}
	return nil
}

// List implements [blob.Store]. See the package documentation for its
// cost.
func (s *Store) List(ctx context.Context, prefix, after string, limit int) ([]blob.Object, string, error) {
	limit = blob.ListLimit(limit)
	// Walk the folder of the prefix's complete segments.
	base := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		base = prefix[:i+1]
	}
	start := s.root
	if base != "" {
		// base ends in "/", so its encoding ends in the empty segment's
		// marker: drop it to get the folder.
		enc := encodePath(base)
		start = filepath.Join(s.root, filepath.FromSlash(strings.TrimSuffix(enc, emptySeg)))
	}
	var keys []string
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // a folder removed while walking, or no such prefix
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, metaSuffix) {
			return nil
		}
		rel, err := filepath.Rel(start, path)
		if err != nil {
			return err
		}
		k, err := decodePath(strings.TrimSuffix(filepath.ToSlash(rel), metaSuffix))
		if err != nil {
			return err
		}
		k = base + k
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("fsblob: list %q: %w", prefix, err)
	}
	slices.Sort(keys)
	next := ""
	if len(keys) > limit {
		keys = keys[:limit]
		next = keys[limit-1]
	}
	objs := make([]blob.Object, 0, len(keys))
	for _, k := range keys {
		_, leaf := s.paths(k)
		m, err := readSidecar(leaf)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since the walk
		} else if err != nil {
			return nil, "", fmt.Errorf("fsblob: list %q: %w", prefix, err)
		}
		objs = append(objs, m.object())
	}
	return objs, next, nil
}

func readSidecar(leaf string) (*sidecar, error) {
	b, err := os.ReadFile(leaf + metaSuffix)
	if err != nil {
		return nil, err
	}
	var m sidecar
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil {
		return nil, fmt.Errorf("read metadata %s: %w", leaf+metaSuffix, err)
	}
	return &m, nil
}

var tempSeq atomic.Uint64

// writeFile atomically replaces path with data: a synced temporary file in
// dir renamed over it.
func writeFile(dir, path string, data []byte) error {
	tmp := filepath.Join(dir, tempPrefix+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(tempSeq.Add(1), 10))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
