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

// Options configure a Store. A nil *Options or the zero value gives the
// defaults.
type Options struct {
	// Now returns the current time, used for LastModified and VersionID;
	// nil means time.Now.
	Now func() time.Time
}

// Store keeps objects under a root folder. It is safe for concurrent use.
type Store struct {
	root    string
	now     func() time.Time
	version atomic.Uint64 // the last VersionID issued
	locks   [64]sync.Mutex
}

// New returns a Store keeping its objects under root, which it creates if
// needed. opts may be nil.
func New(root string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("fsblob: create root: %w", err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("fsblob: %w", err)
	}
	s := &Store{root: abs, now: o.Now}
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
	return s.PutReader(ctx, key, bytes.NewReader(body), opts)
}

// PutReader is [Store.Put] with the body streamed from r: [Store.Stage]
// then [Staged.Commit].
func (s *Store) PutReader(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Object, error) {
	st, err := s.Stage(ctx, key, r)
	if err != nil {
		return blob.Object{}, err
	}
	defer st.Abort()
	return st.Commit(opts)
}

// Staged is a body written to a temporary file and not yet visible: the
// first half of a streamed Put. Commit or Abort it.
type Staged struct {
	s         *Store
	key       string
	dir, leaf string
	tmp       string
	size      int64
	etag      string
}

// Stage streams r into a temporary file beside key's files, through a small
// buffer (so memory stays bounded whatever the size), computing its MD5 on
// the way, and syncs it. Nothing is visible until [Staged.Commit], and no
// lock is held meanwhile, so a slow body delays no other write. An error
// from r (a client gone, a size limit hit) or ctx ending abandons the
// write: the temporary file is removed.
func (s *Store) Stage(ctx context.Context, key string, r io.Reader) (*Staged, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("fsblob: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	dir, leaf := s.paths(key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	h := md5.New()
	tmp, size, err := writeTemp(ctx, dir, io.TeeReader(r, h))
	if err != nil {
		return nil, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	return &Staged{s: s, key: key, dir: dir, leaf: leaf, tmp: tmp, size: size, etag: `"` + hex.EncodeToString(h.Sum(nil)) + `"`}, nil
}

// Size is the staged body's length in bytes.
func (st *Staged) Size() int64 { return st.size }

// ETag is the staged body's ETag (its MD5 in hex, in double quotes).
func (st *Staged) ETag() string { return st.etag }

// Abort removes the staged body unless it was committed; it is safe to call
// more than once and after Commit.
func (st *Staged) Abort() {
	if st.tmp != "" {
		os.Remove(st.tmp)
		st.tmp = ""
	}
}

// Commit makes the staged body the object at key with opts, replacing any
// object there, and returns its description. The sidecar's rename is the
// commit point (see the package documentation).
func (st *Staged) Commit(opts blob.PutOptions) (blob.Object, error) {
	s, key, dir, leaf := st.s, st.key, st.dir, st.leaf
	if st.tmp == "" {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: staged body already committed or aborted", key)
	}
	if err := blob.ValidateMetadata(opts.Metadata); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	mu := s.lock(key)
	mu.Lock()
	defer mu.Unlock()

	m := sidecar{
		Key: key, Size: st.size, ETag: st.etag,
		VersionID: s.nextVersion(), ContentType: opts.ContentType, CacheControl: opts.CacheControl,
		LastModified: s.now().UTC(), Metadata: blob.NormalizeMetadata(opts.Metadata),
	}
	old, err := readSidecar(leaf)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	if err := os.Rename(st.tmp, leaf+dataSuffix+m.VersionID); err != nil {
		return blob.Object{}, fmt.Errorf("fsblob: put %q: %w", key, err)
	}
	st.tmp = ""
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

// Open returns the body of the object at key as an open file, for
// streaming reads (the caller closes it), and its description, or an
// error matching ErrNotFound. The file stays readable when the object is
// replaced or deleted meanwhile (on systems where an open file survives
// its removal).
func (s *Store) Open(ctx context.Context, key string) (*os.File, blob.Object, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, blob.Object{}, fmt.Errorf("fsblob: open: %w", err)
	}
	_, leaf := s.paths(key)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, blob.Object{}, fmt.Errorf("fsblob: open %q: %w", key, err)
		}
		m, err := readSidecar(leaf)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, blob.Object{}, fmt.Errorf("fsblob: open %q: %w", key, blob.ErrNotFound)
		} else if err != nil {
			return nil, blob.Object{}, fmt.Errorf("fsblob: open %q: %w", key, err)
		}
		f, err := os.Open(leaf + dataSuffix + m.VersionID)
		if errors.Is(err, fs.ErrNotExist) && attempt < 100 {
			continue // replaced between the two reads
		} else if err != nil {
			return nil, blob.Object{}, fmt.Errorf("fsblob: open %q: %w", key, err)
		}
		return f, m.object(), nil
	}
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

// copyBufferSize is the buffer PutReader streams a body through.
const copyBufferSize = 64 << 10

// tempName returns a new temporary file name in dir (see the package
// documentation: names starting with "." are temporary).
func tempName(dir string) string {
	return filepath.Join(dir, tempPrefix+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(tempSeq.Add(1), 10))
}

// writeTemp copies r into a new synced temporary file in dir and returns
// its name and size; on error the file is removed.
func writeTemp(ctx context.Context, dir string, r io.Reader) (string, int64, error) {
	tmp := tempName(dir)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", 0, err
	}
	n, err := io.CopyBuffer(f, ctxReader{ctx, r}, make([]byte, copyBufferSize))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	return tmp, n, nil
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writeFile atomically replaces path with data: a synced temporary file in
// dir renamed over it.
func writeFile(dir, path string, data []byte) error {
	tmp := tempName(dir)
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

// Sweep removes what writes cut short by a crash leave under the root:
// temporary files (a body being streamed, a sidecar being written) and
// bodies no sidecar refers to (a crash between a Put's two renames). It
// returns how many files it removed. Call it before writing through this
// Store and while no other process writes to the root: rampart dev calls it
// when it opens its data folder.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	removed := 0
	err := filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			return nil
		}
		switch {
		case strings.HasPrefix(name, tempPrefix):
		case strings.Contains(name, dataSuffix) && !strings.HasPrefix(name, "."):
			i := strings.LastIndex(name, dataSuffix)
			leaf := filepath.Join(filepath.Dir(path), name[:i])
			m, err := readSidecar(leaf)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil // unreadable: leave it for a person to look at
			}
			if m != nil && m.VersionID == name[i+len(dataSuffix):] {
				return nil
			}
		default:
			return nil
		}
		if err := os.Remove(path); err == nil {
			removed++
		}
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("fsblob: sweep: %w", err)
	}
	return removed, nil
}
