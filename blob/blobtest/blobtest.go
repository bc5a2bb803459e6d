// Package blobtest is the conformance suite of [blob.Store]: every backend
// runs [Run] in its tests, so all of them keep the same contract.
//
//	func TestStore(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t) })
//	}
//
// Each case runs as a subtest on a fresh, empty store from newStore. Cases
// are named after the rule they check.
package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartdev/rampart/blob"
)

// HostileKeys are valid keys that are awkward for a backend: path-like
// tricks, characters special to filesystems, URLs or shells, case
// differences, non-ASCII text and maximum lengths. Every backend must store
// each one as a distinct object under exactly that key.
var HostileKeys = []string{
	"plain",
	"Plain", // differs only in case from "plain"
	"PLAIN",
	"dir/",
	"dir//double",
	"dir/sub/deep/file.txt",
	"..dots",
	"dots..",
	".hidden",
	"a/.b",
	"%2e%2e/escaped",
	"%",
	"^caret",
	"~tilde~m",
	"name~d0000000000000001",
	"+plus+/x",
	"back\\slash\\..\\x",
	"C:/windows/style",
	"CON",
	"sp ace/tab\there",
	"new\nline",
	"quote\"s'and`ticks",
	"shell$(x);&|<>*?",
	"url?query=1&x#frag",
	"ünïcödé/日本語/😀",
	"\u00e9 vs e\u0301",                 // NFC vs NFD
	strings.Repeat("long-segment-", 78), // 1014 bytes in one segment
	strings.Repeat("é", 512),            // 1024 bytes, all escaped on disk
	strings.Repeat("ab/", 341) + "c",    // 1024 bytes, 342 segments
	"trailing-space ",
	"-leading-dash",
}

// Run runs every conformance case as a subtest of t, each on a fresh store
// from newStore. newStore should register its own cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	RunWithDeviations(t, newStore, Deviations{})
}

// Deviations are known ways in which the server behind a backend departs
// from the contract (and from the service it imitates), such as a fake S3
// server. The checks they name are logged as skipped instead of failing;
// nothing else is relaxed. Real services and Rampart's own backends have
// none.
type Deviations struct {
	// CacheControlNotStored: Cache-Control given to Put is not returned by
	// Get and Head.
	CacheControlNotStored bool
	// MetadataMergedOnReplace: a Put that replaces an object keeps the old
	// object's user metadata keys that the new Put does not set.
	MetadataMergedOnReplace bool
	// VersionIDsInconsistent: Head reports version IDs that Put and Get do
	// not (or the reverse).
	VersionIDsInconsistent bool
}

// RunWithDeviations is Run for a backend whose server has the given
// deviations.
func RunWithDeviations(t *testing.T, newStore func(t *testing.T) blob.Store, dev Deviations) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newStore(t), dev)
		})
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, s blob.Store, dev Deviations)
}

var cases = []testCase{
	{"PutGetHeadRoundTrip", testRoundTrip},
	{"PutReplacesObjectAndAttributes", testReplace},
	{"EmptyBody", testEmptyBody},
	{"MissingIsNotFound", testMissing},
	{"DeleteRemovesAndIsIdempotent", testDelete},
	{"InvalidKeysRefused", testInvalidKeys},
	{"InvalidMetadataRefused", testInvalidMetadata},
	{"HostileKeysRoundTrip", testHostileKeys},
	{"ListLexicographicWithPrefixAndPages", testList},
	{"ListLimits", testListLimits},
	{"GetMaxBytes", testMaxBytes},
	{"LargeObject", testLargeObject},
	{"ConcurrentPutsAndGetsAreAtomic", testConcurrentSameKey},
	{"ConcurrentPutsOfManyKeys", testConcurrentManyKeys},
	{"CancelledContext", testCancelled},
}

func etag(body []byte) string {
	sum := md5.Sum(body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func mustPut(t *testing.T, s blob.Store, key string, body []byte, opts blob.PutOptions) blob.Object {
	t.Helper()
	o, err := s.Put(context.Background(), key, body, opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return o
}

func mustGet(t *testing.T, s blob.Store, key string) ([]byte, blob.Object) {
	t.Helper()
	b, o, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return b, o
}

// sameObject reports differences between two descriptions of one object,
// ignoring LastModified's sub-second part (S3 reports whole seconds in
// headers).
func sameObject(t *testing.T, dev Deviations, got, want blob.Object) string {
	t.Helper()
	var diffs []string
	check := func(field string, g, w any) {
		if fmt.Sprint(g) != fmt.Sprint(w) {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, g, w))
		}
	}
	check("Key", got.Key, want.Key)
	check("Size", got.Size, want.Size)
	check("ETag", got.ETag, want.ETag)
	check("ContentType", got.ContentType, want.ContentType)
	if dev.CacheControlNotStored && got.CacheControl == "" {
		t.Logf("deviation: CacheControl not stored (want %q)", want.CacheControl)
	} else {
		check("CacheControl", got.CacheControl, want.CacheControl)
	}
	if dev.VersionIDsInconsistent {
		t.Logf("deviation: VersionID %q not compared with %q", got.VersionID, want.VersionID)
	} else {
		check("VersionID", got.VersionID, want.VersionID)
	}
	if !maps.Equal(got.Metadata, want.Metadata) {
		diffs = append(diffs, fmt.Sprintf("Metadata = %v, want %v", got.Metadata, want.Metadata))
	}
	return strings.Join(diffs, "; ")
}

func recent(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if d := time.Since(tm); tm.IsZero() || d > time.Hour || d < -time.Hour {
		t.Errorf("%s LastModified = %v, want about now", what, tm)
	}
}

func testRoundTrip(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	body := []byte("hello, blob")
	opts := blob.PutOptions{
		ContentType:  "text/plain; charset=utf-8",
		CacheControl: "public, max-age=31536000, immutable",
		Metadata:     map[string]string{"Source-Name": "cat.jpg", "width": "1024"},
	}
	put := mustPut(t, s, "photos/cat.txt", body, opts)
	want := blob.Object{
		Key: "photos/cat.txt", Size: int64(len(body)), ETag: etag(body), VersionID: put.VersionID,
		ContentType: opts.ContentType, CacheControl: opts.CacheControl,
		Metadata: map[string]string{"source-name": "cat.jpg", "width": "1024"},
	}
	if d := sameObject(t, dev, put, want); d != "" {
		t.Errorf("Put: %s", d)
	}
	got, obj := mustGet(t, s, "photos/cat.txt")
	if !bytes.Equal(got, body) {
		t.Errorf("Get body = %q, want %q", got, body)
	}
	if d := sameObject(t, dev, obj, want); d != "" {
		t.Errorf("Get: %s", d)
	}
	recent(t, "Get", obj.LastModified)
	head, err := s.Head(ctx, "photos/cat.txt")
	if err != nil {
		t.Fatal(err)
	}
	if d := sameObject(t, dev, head, want); d != "" {
		t.Errorf("Head: %s", d)
	}
	recent(t, "Head", head.LastModified)
	if !head.LastModified.Truncate(time.Second).Equal(obj.LastModified.Truncate(time.Second)) {
		t.Errorf("Head LastModified %v != Get LastModified %v", head.LastModified, obj.LastModified)
	}
	// The caller's map is not kept.
	opts.Metadata["width"] = "changed"
	if head, _ := s.Head(ctx, "photos/cat.txt"); head.Metadata["width"] != "1024" {
		t.Errorf("store aliases the caller's metadata map")
	}
}

func testReplace(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	first := mustPut(t, s, "k", []byte("one"), blob.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"a": "1"}})
	second := mustPut(t, s, "k", []byte("second body"), blob.PutOptions{})
	if first.VersionID != "" && first.VersionID == second.VersionID {
		t.Errorf("two Puts returned the same VersionID %q", first.VersionID)
	}
	body, obj := mustGet(t, s, "k")
	if string(body) != "second body" || obj.ETag != etag(body) || obj.Size != 11 {
		t.Fatalf("after replace: %q %+v", body, obj)
	}
	// Attributes are replaced, not merged (S3 content type defaults may
	// fill in a type; metadata must be gone).
	if obj.ContentType == "text/plain" {
		t.Errorf("content type of the first Put survived: %+v", obj)
	}
	if len(obj.Metadata) != 0 {
		if dev.MetadataMergedOnReplace {
			t.Logf("deviation: metadata of the replaced object survived: %v", obj.Metadata)
		} else {
			t.Errorf("metadata of the first Put survived: %v", obj.Metadata)
		}
	}
	if obj.VersionID != second.VersionID && !dev.VersionIDsInconsistent {
		t.Errorf("Get VersionID = %q, want the second Put's %q", obj.VersionID, second.VersionID)
	}
	objs, _, err := s.List(ctx, "", "", 0)
	if err != nil || len(objs) != 1 {
		t.Fatalf("List after replace = %+v, %v; want one object", objs, err)
	}
}

func testEmptyBody(t *testing.T, s blob.Store, dev Deviations) {
	put := mustPut(t, s, "empty", nil, blob.PutOptions{})
	body, obj := mustGet(t, s, "empty")
	if len(body) != 0 || obj.Size != 0 || obj.ETag != etag(nil) || put.ETag != etag(nil) {
		t.Fatalf("empty object: %q %+v", body, obj)
	}
}

func testMissing(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	mustPut(t, s, "dir/present", []byte("x"), blob.PutOptions{})
	for _, key := range []string{"absent", "dir", "dir/", "dir/present/child", "dir/presen"} {
		if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", key, err)
		}
		if _, err := s.Head(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Head(%q) = %v, want ErrNotFound", key, err)
		}
	}
}

func testDelete(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	mustPut(t, s, "a/b", []byte("x"), blob.PutOptions{})
	mustPut(t, s, "a/c", []byte("y"), blob.PutOptions{})
	for range 2 {
		if err := s.Delete(ctx, "a/b"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if err := s.Delete(ctx, "never/existed"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	if _, err := s.Head(ctx, "a/b"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Head after Delete = %v, want ErrNotFound", err)
	}
	objs, next, err := s.List(ctx, "", "", 0)
	if err != nil || len(objs) != 1 || objs[0].Key != "a/c" || next != "" {
		t.Fatalf("List after Delete = %+v, %q, %v", objs, next, err)
	}
	// The key can be written again.
	mustPut(t, s, "a/b", []byte("again"), blob.PutOptions{})
	if body, _ := mustGet(t, s, "a/b"); string(body) != "again" {
		t.Fatalf("Get after re-Put = %q", body)
	}
}

func testInvalidKeys(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "..", "../escape", "a/../../b", "a/./b", "nul\x00", "\xff", strings.Repeat("k", blob.MaxKeyBytes+1)} {
		if _, err := s.Put(ctx, key, []byte("x"), blob.PutOptions{}); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Head(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Head(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if objs, _, err := s.List(ctx, "", "", 0); err != nil || len(objs) != 0 {
		t.Fatalf("invalid keys left objects behind: %+v, %v", objs, err)
	}
}

func testInvalidMetadata(t *testing.T, s blob.Store, dev Deviations) {
	_, err := s.Put(context.Background(), "k", []byte("x"), blob.PutOptions{Metadata: map[string]string{"bad key": "v"}})
	if !errors.Is(err, blob.ErrInvalidMetadata) {
		t.Fatalf("Put with a bad metadata key = %v, want ErrInvalidMetadata", err)
	}
	if _, err := s.Head(context.Background(), "k"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("refused Put stored an object: %v", err)
	}
}

func testHostileKeys(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	for i, key := range HostileKeys {
		if err := blob.ValidateKey(key); err != nil {
			t.Fatalf("HostileKeys[%d] is invalid: %v", i, err)
		}
		mustPut(t, s, key, fmt.Appendf(nil, "body %d", i), blob.PutOptions{})
	}
	for i, key := range HostileKeys {
		body, obj := mustGet(t, s, key)
		if string(body) != fmt.Sprintf("body %d", i) || obj.Key != key {
			t.Errorf("Get(%q) = %q (key %q), want body %d", key, body, obj.Key, i)
		}
	}
	var listed []string
	after := ""
	for {
		objs, next, err := s.List(ctx, "", after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			listed = append(listed, o.Key)
		}
		if next == "" {
			break
		}
		after = next
	}
	want := slices.Clone(HostileKeys)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("List returned\n%q\nwant\n%q", listed, want)
	}
	for _, key := range HostileKeys {
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete(%q): %v", key, err)
		}
	}
	if objs, _, err := s.List(ctx, "", "", 0); err != nil || len(objs) != 0 {
		t.Fatalf("List after deleting all = %d objects, %v", len(objs), err)
	}
}

func testList(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	// Byte order, not tree order: "a-c" < "a/b" < "a0" because '-' < '/' < '0'.
	keys := []string{"a/b", "a-c", "a0", "a/b/c", "a/a", "b", "a", "a/", "a/B", "A"}
	for _, k := range keys {
		mustPut(t, s, k, []byte(k), blob.PutOptions{})
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	list := func(prefix, after string, limit int) ([]string, string) {
		t.Helper()
		objs, next, err := s.List(ctx, prefix, after, limit)
		if err != nil {
			t.Fatalf("List(%q, %q, %d): %v", prefix, after, limit, err)
		}
		var ks []string
		for _, o := range objs {
			ks = append(ks, o.Key)
			if o.Size != int64(len(o.Key)) || o.ETag != etag([]byte(o.Key)) {
				t.Errorf("listed %+v: wrong size or ETag", o)
			}
			recent(t, "List", o.LastModified)
		}
		return ks, next
	}
	if got, next := list("", "", 0); !slices.Equal(got, sorted) || next != "" {
		t.Errorf("List all = %q, %q; want %q", got, next, sorted)
	}
	for prefix, want := range map[string][]string{
		"a/":    {"a/", "a/B", "a/a", "a/b", "a/b/c"},
		"a/b":   {"a/b", "a/b/c"},
		"a/b/":  {"a/b/c"},
		"a":     {"a", "a-c", "a/", "a/B", "a/a", "a/b", "a/b/c", "a0"},
		"zzz":   nil,
		"a/b/c": {"a/b/c"},
		"A":     {"A"},
	} {
		if got, _ := list(prefix, "", 0); !slices.Equal(got, want) {
			t.Errorf("List(prefix %q) = %q, want %q", prefix, got, want)
		}
	}
	// Pages of 3, following next.
	var paged []string
	after := ""
	for pages := 0; ; pages++ {
		got, next := list("", after, 3)
		if len(got) > 3 || pages > len(keys) {
			t.Fatalf("page %d: %q", pages, got)
		}
		paged = append(paged, got...)
		if next == "" {
			break
		}
		if next != got[len(got)-1] {
			t.Errorf("next = %q, want the page's last key %q", next, got[len(got)-1])
		}
		after = next
	}
	if !slices.Equal(paged, sorted) {
		t.Errorf("paged List = %q, want %q", paged, sorted)
	}
	// after need not be a stored key.
	if got, _ := list("a/", "a/a~", 0); !slices.Equal(got, []string{"a/b", "a/b/c"}) {
		t.Errorf("List(a/, after a/a~) = %q", got)
	}
	if got, next := list("a/", "a/b/c", 0); len(got) != 0 || next != "" {
		t.Errorf("List after the last key = %q, %q", got, next)
	}
}

func testListLimits(t *testing.T, s blob.Store, dev Deviations) {
	const n = blob.DefaultListLimit + 5
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := s.Put(ctx, fmt.Sprintf("many/%05d", i), []byte{byte(i)}, blob.PutOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, limit := range []int{0, -1, n} {
		objs, next, err := s.List(ctx, "many/", "", limit)
		if err != nil || len(objs) != blob.DefaultListLimit || next != fmt.Sprintf("many/%05d", blob.DefaultListLimit-1) {
			t.Fatalf("List(limit %d) = %d objects, next %q, %v; want %d", limit, len(objs), next, err, blob.DefaultListLimit)
		}
	}
	objs, next, err := s.List(ctx, "many/", fmt.Sprintf("many/%05d", blob.DefaultListLimit-1), 0)
	if err != nil || len(objs) != 5 || next != "" {
		t.Fatalf("second page = %d objects, next %q, %v; want 5", len(objs), next, err)
	}
}

func testMaxBytes(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	body := bytes.Repeat([]byte("x"), 100)
	mustPut(t, s, "big", body, blob.PutOptions{})
	for _, limit := range []int64{0, 100, 1000} {
		got, obj, err := s.GetWithOptions(ctx, "big", blob.GetOptions{MaxBytes: limit})
		if err != nil || !bytes.Equal(got, body) || obj.Size != 100 {
			t.Errorf("GetWithOptions(MaxBytes %d) = %d bytes, %v", limit, len(got), err)
		}
	}
	_, _, err := s.GetWithOptions(ctx, "big", blob.GetOptions{MaxBytes: 99})
	var tl *blob.TooLargeError
	if !errors.Is(err, blob.ErrTooLarge) || !errors.As(err, &tl) || tl.Size != 100 || tl.Limit != 99 || tl.Key != "big" {
		t.Fatalf("GetWithOptions(MaxBytes 99) = %v, want a TooLargeError for 100 > 99", err)
	}
	if _, _, err := s.GetWithOptions(ctx, "absent", blob.GetOptions{MaxBytes: 1}); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("GetWithOptions(absent) = %v, want ErrNotFound", err)
	}
}

func testLargeObject(t *testing.T, s blob.Store, dev Deviations) {
	body := make([]byte, 3<<20+17)
	for i := range body {
		body[i] = byte(i * 7 / 3)
	}
	put := mustPut(t, s, "large.bin", body, blob.PutOptions{ContentType: "application/octet-stream"})
	got, obj := mustGet(t, s, "large.bin")
	if !bytes.Equal(got, body) || obj.ETag != etag(body) || put.ETag != obj.ETag {
		t.Fatalf("large object: %d bytes, ETag %s, want %d bytes, %s", len(got), obj.ETag, len(body), etag(body))
	}
}

// Readers racing writers of one key see one whole version: the body's MD5
// is the ETag the store reports with it.
func testConcurrentSameKey(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	mustPut(t, s, "hot", []byte("v-initial"), blob.PutOptions{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := range 15 {
				body := bytes.Repeat(fmt.Appendf(nil, "w%d-%d;", w, i), 50+i*w)
				if _, err := s.Put(ctx, "hot", body, blob.PutOptions{Metadata: map[string]string{"writer": fmt.Sprint(w)}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			for range 30 {
				body, obj, err := s.Get(ctx, "hot")
				if err != nil {
					t.Error(err)
					return
				}
				if obj.ETag != etag(body) || obj.Size != int64(len(body)) {
					t.Errorf("torn read: %d bytes, ETag %s, object %+v", len(body), etag(body), obj)
					return
				}
			}
		})
	}
	wg.Wait()
}

func testConcurrentManyKeys(t *testing.T, s blob.Store, dev Deviations) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				key := fmt.Sprintf("w%d/deep/%02d", w, i)
				if _, err := s.Put(ctx, key, []byte(key), blob.PutOptions{}); err != nil {
					t.Error(err)
				}
				if i%5 == 0 {
					if err := s.Delete(ctx, key); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	objs, _, err := s.List(ctx, "", "", 0)
	if err != nil || len(objs) != 4*20 {
		t.Fatalf("List = %d objects, %v; want 80", len(objs), err)
	}
}

func testCancelled(t *testing.T, s blob.Store, dev Deviations) {
	mustPut(t, s, "k", []byte("x"), blob.PutOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, "k2", []byte("x"), blob.PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put = %v, want context.Canceled", err)
	}
	if _, _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get = %v, want context.Canceled", err)
	}
	if _, err := s.Head(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Head = %v, want context.Canceled", err)
	}
	if err := s.Delete(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete = %v, want context.Canceled", err)
	}
	if _, _, err := s.List(ctx, "", "", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("List = %v, want context.Canceled", err)
	}
	if _, err := s.Head(context.Background(), "k2"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("cancelled Put stored an object: %v", err)
	}
}
