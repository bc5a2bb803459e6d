package thumbnailer_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/memstore"
	"github.com/rampartdev/rampart/internal/testingutil"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/mediatest"
	"github.com/rampartdev/rampart/media/sqliterecords"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

// memBlob is an in-memory blob.Store that counts writes and can fail reads.
type memBlob struct {
	mu      sync.Mutex
	objs    map[string]memObj
	puts    map[string]int
	deletes map[string]int
	gets    map[string]int
	failGet error
	slowGet func(ctx context.Context, key string) // called before each read; nil = none
}

type memObj struct {
	body []byte
	obj  blob.Object
}

var _ blob.Store = (*memBlob)(nil)

func newMemBlob() *memBlob {
	return &memBlob{objs: map[string]memObj{}, puts: map[string]int{}, deletes: map[string]int{}, gets: map[string]int{}}
}

func (m *memBlob) Put(ctx context.Context, key string, body []byte, opts blob.PutOptions) (blob.Object, error) {
	if err := ctx.Err(); err != nil {
		return blob.Object{}, err
	}
	sum := md5.Sum(body)
	o := blob.Object{Key: key, Size: int64(len(body)), ETag: `"` + hex.EncodeToString(sum[:]) + `"`,
		ContentType: opts.ContentType, CacheControl: opts.CacheControl, LastModified: time.Now(), Metadata: blob.NormalizeMetadata(opts.Metadata)}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[key] = memObj{body: slices.Clone(body), obj: o}
	m.puts[key]++
	return o, nil
}

func (m *memBlob) Get(ctx context.Context, key string) ([]byte, blob.Object, error) {
	return m.GetWithOptions(ctx, key, blob.GetOptions{})
}

func (m *memBlob) GetWithOptions(ctx context.Context, key string, opts blob.GetOptions) ([]byte, blob.Object, error) {
	m.mu.Lock()
	slow := m.slowGet
	m.mu.Unlock()
	if slow != nil {
		slow(ctx, key)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets[key]++
	if m.failGet != nil {
		return nil, blob.Object{}, m.failGet
	}
	o, ok := m.objs[key]
	if !ok {
		return nil, blob.Object{}, fmt.Errorf("get %s: %w", key, blob.ErrNotFound)
	}
	if opts.MaxBytes > 0 && o.obj.Size > opts.MaxBytes {
		return nil, blob.Object{}, &blob.TooLargeError{Key: key, Size: o.obj.Size, Limit: opts.MaxBytes}
	}
	return slices.Clone(o.body), o.obj, nil
}

func (m *memBlob) Head(ctx context.Context, key string) (blob.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failGet != nil {
		return blob.Object{}, m.failGet
	}
	o, ok := m.objs[key]
	if !ok {
		return blob.Object{}, fmt.Errorf("head %s: %w", key, blob.ErrNotFound)
	}
	return o.obj, nil
}

func (m *memBlob) Delete(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; ok {
		m.deletes[key]++
	}
	delete(m.objs, key)
	return nil
}

func (m *memBlob) List(ctx context.Context, prefix, after string, limit int) ([]blob.Object, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.objs {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []blob.Object
	for _, k := range keys {
		out = append(out, m.objs[k].obj)
	}
	return out, "", nil
}

func (m *memBlob) has(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.objs[key]
	return ok
}

func (m *memBlob) putCount(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.puts[key]
}

// getCount returns how many times key was read (Head excluded).
func (m *memBlob) getCount(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gets[key]
}

// setSlowGet makes every read call slow first (nil: reads are fast).
func (m *memBlob) setSlowGet(slow func(ctx context.Context, key string)) {
	m.mu.Lock()
	m.slowGet = slow
	m.mu.Unlock()
}

func (m *memBlob) setFailGet(err error) {
	m.mu.Lock()
	m.failGet = err
	m.mu.Unlock()
}

// fixture is a thumbnailer over an in-memory object store, an SQLite record
// store and an in-memory idempotency store.
type fixture struct {
	t       *testing.T
	objects *memBlob
	records *sqliterecords.Store
	th      *thumbnailer.Thumbnailer
	logs    *testingutil.Buffer
	seq     int
	metrics *countMetrics
}

type countMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countMetrics) Count(_ context.Context, name string, n int) {
	c.mu.Lock()
	c.n[name] += n
	c.mu.Unlock()
}

func (c *countMetrics) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

func newFixture(t *testing.T) *fixture { t.Helper(); return newFixtureWith(t, nil) }

// newFixtureWith is newFixture with the thumbnailer's options modified by mod.
func newFixtureWith(t *testing.T, mod func(*thumbnailer.Options)) *fixture {
	t.Helper()
	recs, err := sqliterecords.Open(filepath.Join(t.TempDir(), "media.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recs.Close() })
	f := &fixture{t: t, objects: newMemBlob(), records: recs, logs: &testingutil.Buffer{}, metrics: &countMetrics{n: map[string]int{}}}
	logger := slog.New(slog.NewJSONHandler(f.logs, nil))
	guard := idempotency.New(memstore.New(nil), &idempotency.Options{Logger: logger})
	opts := &thumbnailer.Options{Bucket: "media-uploads", Imaging: imagingSizes(), Logger: logger, Metrics: f.metrics}
	if mod != nil {
		mod(opts)
	}
	f.th = thumbnailer.New(f.objects, recs, guard, opts)
	return f
}

// upload stores body at key and returns its created event, with a sequencer
// later than every earlier event of the fixture.
func (f *fixture) upload(key string, body []byte) media.Event {
	f.t.Helper()
	o, err := f.objects.Put(f.t.Context(), key, body, blob.PutOptions{ContentType: "image/jpeg"})
	if err != nil {
		f.t.Fatal(err)
	}
	return f.event(media.ObjectCreated, key, strings.Trim(o.ETag, `"`))
}

func (f *fixture) event(kind media.Kind, key, etag string) media.Event {
	f.seq++
	seq, _ := media.NormalizeSequencer(fmt.Sprintf("%X", 0x5500+f.seq))
	return media.Event{Kind: kind, Bucket: "media-uploads", Key: key, ETag: etag, Sequencer: seq,
		RequestID: fmt.Sprintf("REQ%04d", f.seq), Time: time.Now()}
}

func (f *fixture) process(e media.Event) thumbnailer.Outcome {
	f.t.Helper()
	o, err := f.th.Process(f.t.Context(), e)
	if err != nil {
		f.t.Fatalf("Process(%s %s): %v", e.Kind, e.Key, err)
	}
	return o
}

func (f *fixture) record(key string) media.Record {
	f.t.Helper()
	r, err := f.records.Get(f.t.Context(), media.ID("media-uploads", key))
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func testJPEG(t testing.TB, w, h int, shade uint8) []byte { return mediatest.MustJPEG(t, w, h, shade) }

var errThrottled = errors.New("SlowDown: please reduce your request rate (503)")
