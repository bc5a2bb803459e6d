package devserver_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/imaging"
	"github.com/rampartdev/rampart/media"
)

// effects counts side effects per event. A thumbnail write is identified by
// its key and the sequencer of the source event that wrote it; a record
// commit by record id and sequencer. A "double side effect" is any such
// identity applied more than once: the same event writing the same
// thumbnail, or committing its record, twice.
type effects struct {
	mu      sync.Mutex
	puts    map[string]int
	commits map[string]int
}

type countingObjects struct {
	blob.Store
	e *effects
}

func (c countingObjects) Put(ctx context.Context, key string, body []byte, opts blob.PutOptions) (blob.Object, error) {
	o, err := c.Store.Put(ctx, key, body, opts)
	if err == nil {
		c.e.mu.Lock()
		c.e.puts[key+"@"+opts.Metadata["source-sequencer"]]++
		c.e.mu.Unlock()
	}
	return o, err
}

type countingRecords struct {
	media.Records
	e *effects
}

func (c countingRecords) Commit(ctx context.Context, rec media.Record) error {
	err := c.Records.Commit(ctx, rec)
	if err == nil {
		c.e.mu.Lock()
		c.e.commits[rec.ID+"@"+rec.Sequencer]++
		c.e.mu.Unlock()
	}
	return err
}

// doubles counts the double side effects and names them.
func (e *effects) doubles() (puts, commits int, which []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, n := range e.puts {
		if n > 1 {
			puts += n - 1
			which = append(which, fmt.Sprintf("put %s x%d", id, n))
		}
	}
	for id, n := range e.commits {
		if n > 1 {
			commits += n - 1
			which = append(which, fmt.Sprintf("commit %s x%d", id, n))
		}
	}
	slices.Sort(which)
	return puts, commits, which
}

// TestServer_FaultInjection uploads many images with duplicate, concurrent
// duplicate and crash faults (and throttling) and checks that every upload
// ends processed exactly once in effect: no lost event, no double side
// effect.
//
// By default it uploads small synthetic JPEGs. With RAMPART_E2E_PHOTOS=DIR
// (real photos, from ../shared/bin/photos DIR) it uploads them cyclically
// under distinct keys, RAMPART_E2E_UPLOADS times (default 500), with the
// production sizes, and logs the figures.
func TestServer_FaultInjection(t *testing.T) {
	t.Parallel() // waits on fsyncs more than it computes
	// In a synctest bubble the clock moves only while every goroutine
	// waits: the crashed attempts' leases and visibility timeouts pass at
	// once, and no attempt can overrun its deadline because the machine is
	// busy (which this test would count as a double write).
	synctest.Test(t, func(t *testing.T) { faultInjection(t) })
}

func faultInjection(t *testing.T) {
	var sources [][]byte
	uploads := 40
	sizes := []int{256, 128, 64}
	// An attempt that overruns its deadline after writing thumbnails is
	// redone by the redelivery (its claim ends at the deadline), which this
	// test counts as a double write. So every attempt gets ample time even
	// under -race on 2 busy cores: batches of two, each with 8 s, rather
	// than ten sharing 10 s, where the last ones started with a sliver of
	// time and a write reserve of a fifth of it (a flake at load 8). The
	// heartbeat keeps a running batch invisible, so the visibility timeout
	// can be short: it is how soon a crashed attempt's message comes back
	// (and finds its lease held until that attempt's deadline).
	visibility, invocation := 2*time.Second, 8*time.Second
	batch := 2
	// The seed does not fix which attempt draws which number (the workers
	// interleave), so the rates are high enough that every fault happens:
	// at 0.05 about one run in ten of ~45 completions crashed none and
	// failed the "faults were not injected" check; at 0.12, one in 300.
	// (Each crash costs a visibility timeout of waiting, not CPU.)
	faults := devserver.Faults{DuplicateRate: 0.3, ConcurrentDuplicates: true, CrashRate: 0.12, TransientRate: 0.05, Seed: 42}
	if dir := os.Getenv("RAMPART_E2E_PHOTOS"); dir != "" {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
		slices.Sort(paths)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, b)
		}
		if len(sources) == 0 {
			t.Fatalf("no *.jpg in %s", dir)
		}
		uploads = 500
		if n, err := strconv.Atoi(os.Getenv("RAMPART_E2E_UPLOADS")); err == nil && n > 0 {
			uploads = n
		}
		sizes = imaging.DefaultSizes
		visibility, invocation, batch = time.Minute, 40*time.Second, devserver.DefaultBatchSize
		faults.CrashRate, faults.TransientRate = 0.05, 0 // the figure's run: duplicates 0.3, concurrent, crashes 0.05
	} else {
		for i := range 8 {
			sources = append(sources, testJPEG(t, 320, 240, uint8(i*30)))
		}
	}

	eff := &effects{puts: map[string]int{}, commits: map[string]int{}}
	s := MustOpen(t, t.TempDir(), io.Discard, func(o *devserver.Options) {
		o.Thumbnailer.Imaging.Sizes = sizes
		o.VisibilityTimeout = visibility
		// Production's minimum write reserve, and time to spare.
		o.InvocationTimeout = invocation
		o.Thumbnailer.MinWriteReserve = 0
		o.BatchSize = batch
		o.MaxReceiveCount = 10
		o.Faults = faults
		o.WrapObjects = func(b blob.Store) blob.Store { return countingObjects{b, eff} }
		o.WrapRecords = func(r media.Records) media.Records { return countingRecords{r, eff} }
	})
	defer s.Close()
	start(t, s)

	begin := time.Now()
	keys := make([]string, uploads)
	etags := make([]string, uploads)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range uploads {
		keys[i] = fmt.Sprintf("uploads/e2e/%04d.jpg", i)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			obj, queued, err := s.Upload(t.Context(), keys[i], bytes.NewReader(sources[i%len(sources)]), "image/jpeg", devserver.NewRequestID())
			if err != nil || !queued {
				t.Errorf("upload %d: queued=%v err=%v", i, queued, err)
			}
			etags[i] = strings.Trim(obj.ETag, `"`)
		})
	}
	wg.Wait()

	// Done when the queue is empty: every message deleted or dead.
	waitFor(t, 30*time.Minute, "the queue to drain", func() bool {
		st, err := s.Queue().Stats(t.Context())
		return err == nil && st.Visible == 0 && st.InFlight == 0
	})
	elapsed := time.Since(begin)

	st, err := s.Queue().Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	lost, processed, thumbs := 0, 0, 0
	for i, key := range keys {
		rec, err := s.Records().Get(t.Context(), media.ID(devserver.DefaultBucket, key))
		if err != nil || rec.Status != media.StatusProcessed || rec.ETag != etags[i] || len(rec.Thumbnails) != len(sizes) {
			lost++
			t.Errorf("upload %s not processed: %+v %v", key, rec, err)
			continue
		}
		processed++
		for _, th := range rec.Thumbnails {
			if _, err := s.Objects().Head(t.Context(), th.Key); err != nil {
				t.Errorf("thumbnail %s: %v", th.Key, err)
				continue
			}
			thumbs++
		}
	}
	dupPuts, dupCommits, doubled := eff.doubles()
	fs := s.FaultStats()
	t.Logf("uploads=%d records_processed=%d thumbnails=%d lost=%d double_thumbnail_writes=%d double_record_commits=%d dead_letters=%d",
		uploads, processed, thumbs, lost, dupPuts, dupCommits, st.DeadLetters)
	t.Logf("faults injected: duplicates=%d concurrent_duplicates=%d crashes=%d throttles=%d", fs.Duplicates, fs.ConcurrentDuplicates, fs.Crashes, fs.Throttles)
	t.Logf("elapsed=%s throughput=%.1f uploads/s (workers=2, batches of %d, visibility timeout %s)", elapsed.Round(time.Millisecond), float64(uploads)/elapsed.Seconds(), batch, visibility)
	if lost != 0 || st.DeadLetters != 0 {
		t.Errorf("%d lost events, %d dead letters", lost, st.DeadLetters)
	}
	if dupPuts != 0 || dupCommits != 0 {
		t.Errorf("double side effects: %d thumbnail writes, %d record commits: %v", dupPuts, dupCommits, doubled)
	}
	if fs.Duplicates == 0 || fs.ConcurrentDuplicates == 0 || fs.Crashes == 0 {
		t.Errorf("faults were not injected: %+v", fs)
	}
}
