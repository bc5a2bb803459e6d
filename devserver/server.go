package devserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/batch"
	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/fsblob"
	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/idempotency/sqlitestore"
	"github.com/rampartdev/rampart/internal/datadir"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/health"
	"github.com/rampartdev/rampart/media/sqliterecords"
	"github.com/rampartdev/rampart/media/thumbnailer"
	"github.com/rampartdev/rampart/queue"
)

// Defaults of [Options].
const (
	DefaultBucket = datadir.Bucket
	// DefaultVisibilityTimeout is how soon a message whose consumer died
	// is delivered again. While an invocation runs, its messages are kept
	// invisible by a heartbeat (every third of it), however long the work.
	DefaultVisibilityTimeout = 30 * time.Second
	DefaultMaxReceiveCount   = 5
	// DefaultBatchSize is the SQS event source's default.
	DefaultBatchSize = 10
	// DefaultInvocationTimeout is the function timeout deploy/aws gives the
	// thumbnailer. A batch of 10 real photos (2560x1600 JPEGs, three
	// sizes) takes about 5 s on a loaded 2-core machine, so this leaves
	// the last message of a batch ample time to start and finish.
	DefaultInvocationTimeout = 60 * time.Second
)

// ErrInvalidOptions is returned (wrapped) by [Open] for options that cannot
// work together.
var ErrInvalidOptions = errors.New("devserver: invalid options")

// Options configure a [Server]. The zero value (or nil) selects every
// default.
type Options struct {
	// Bucket is the name the local bucket has in events. Empty means
	// DefaultBucket.
	Bucket string
	// Thumbnailer configures the handler (sizes, quality, limits, prefix).
	// Its Bucket, Logger and Clock are set by the server.
	Thumbnailer thumbnailer.Options
	// Workers is the number of queue pollers; zero means the number of CPUs.
	Workers int
	// BatchSize is the most messages one invocation receives (as the SQS
	// event source's batch size); zero means DefaultBatchSize.
	BatchSize int
	// VisibilityTimeout of the queue: a message received and not deleted is
	// delivered again this long after it was received. Zero means
	// DefaultVisibilityTimeout.
	VisibilityTimeout time.Duration
	// InvocationTimeout is each invocation's deadline, as a Lambda
	// function's timeout. While the invocation runs (its commits past the
	// deadline included), a heartbeat keeps its messages invisible
	// ([queue.Queue.Heartbeat], the local ChangeMessageVisibility), so it
	// may exceed VisibilityTimeout without redeliveries. It must be above
	// the thumbnailer's MinWriteReserve, or no event could start. Zero
	// means DefaultInvocationTimeout.
	InvocationTimeout time.Duration
	// MaxReceiveCount before a message goes to the dead-letter queue; zero
	// means DefaultMaxReceiveCount.
	MaxReceiveCount int
	// AllowWrites admits the API's state-changing requests other than
	// uploads and deletes (POST /queue/redrive) from same-origin and
	// non-browser clients; cross-site browser requests are always refused
	// (package inspect/writegate). False refuses them all with 403.
	AllowWrites bool
	// AllowedHosts are names, besides 127.0.0.1, localhost, [::1] and the
	// listener's own IP address, that requests may carry in their Host
	// header ("name" on the listener's port, or "name:port"); every other
	// Host is refused with 403 and a JSON error (package inspect/writegate),
	// so that a DNS-rebinding page cannot call the API.
	AllowedHosts []string
	// MaxUploadBytes is the largest upload body; a bigger one is refused
	// with 413, from its Content-Length before a byte is read, or when a
	// chunked body reaches the limit. Zero means DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// MaxConcurrentUploads is how many uploads may stream at once; more are
	// refused with 503 and Retry-After. Zero means
	// DefaultMaxConcurrentUploads.
	MaxConcurrentUploads int
	// BodyReadTimeout is the longest a request body may go without
	// delivering data before the connection is closed (see
	// [Server.HTTPServer]). Zero means DefaultBodyReadTimeout.
	BodyReadTimeout time.Duration
	// Faults to inject.
	Faults Faults
	// Version is reported by /health.
	Version string
	// Logger receives the structured logs; nil means slog.Default().
	Logger *slog.Logger
	// WrapObjects and WrapRecords, when set, wrap the stores the
	// thumbnailer uses (tests count side effects with them).
	WrapObjects func(blob.Store) blob.Store
	WrapRecords func(media.Records) media.Records
}

// Server is the local runtime over one data folder.
type Server struct {
	opts    Options
	stores  *datadir.Stores
	log     *slog.Logger
	objects *fsblob.Store
	records *sqliterecords.Store
	idem    *sqlitestore.Store
	queue   *queue.Queue
	journal *journal
	unlock  func() // releases the data folder's lock
	th      *thumbnailer.Thumbnailer
	health  *health.Handler
	dice    *dice
	faults  faultCounters

	lastSeq  atomic.Int64
	keyLocks [64]sync.Mutex
	inflight sync.WaitGroup
	handled  atomic.Int64  // messages deleted after success
	uploads  chan struct{} // a slot per upload streaming now

	// receiveRetry is the pause after a failed receive.
	receiveRetry time.Duration
}

// Validate reports why the options, with their defaults applied, cannot
// work (nil when they can): a fault rate out of range, or an invocation
// timeout not above the thumbnailer's minimum write reserve (the error
// wraps [ErrInvalidOptions]). [Open] calls it.
func (o Options) Validate() error {
	// Zero means the default; a negative count or duration is a mistake
	// (a sign slipped in a flag), not a request for the default.
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"workers", int64(o.Workers)}, {"batch size", int64(o.BatchSize)},
		{"visibility timeout", int64(o.VisibilityTimeout)}, {"max receive count", int64(o.MaxReceiveCount)},
		{"max upload bytes", o.MaxUploadBytes}, {"max concurrent uploads", int64(o.MaxConcurrentUploads)},
		{"body read timeout", int64(o.BodyReadTimeout)},
	} {
		if f.v < 0 {
			return fmt.Errorf("%w: %s must not be negative (zero means the default)", ErrInvalidOptions, f.name)
		}
	}
	o = o.withDefaults()
	if err := o.Faults.Validate(); err != nil {
		return err
	}
	minReserve := o.Thumbnailer.MinWriteReserve
	if minReserve <= 0 {
		minReserve = thumbnailer.DefaultMinWriteReserve
	}
	switch {
	case o.VisibilityTimeout > queue.MaxVisibilityTimeout:
		return fmt.Errorf("%w: visibility timeout %s is above the maximum %s", ErrInvalidOptions, o.VisibilityTimeout, queue.MaxVisibilityTimeout)
	case o.InvocationTimeout <= minReserve:
		return fmt.Errorf("%w: invocation timeout %s must be above the thumbnailer's minimum write reserve %s, or no event could start",
			ErrInvalidOptions, o.InvocationTimeout, minReserve)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Bucket == "" {
		o.Bucket = DefaultBucket
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.VisibilityTimeout <= 0 {
		o.VisibilityTimeout = DefaultVisibilityTimeout
	}
	if o.InvocationTimeout == 0 {
		o.InvocationTimeout = DefaultInvocationTimeout
	}
	if o.MaxReceiveCount <= 0 {
		o.MaxReceiveCount = DefaultMaxReceiveCount
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if o.MaxConcurrentUploads <= 0 {
		o.MaxConcurrentUploads = DefaultMaxConcurrentUploads
	}
	if o.BodyReadTimeout <= 0 {
		o.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Thumbnailer.SourcePrefix == "" {
		o.Thumbnailer.SourcePrefix = thumbnailer.DefaultSourcePrefix
	}
	return o
}

// Open opens (creating if needed) the data folder dir.
func Open(ctx context.Context, dir string, opts *Options) (*Server, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("devserver: create data folder: %w", err)
	}
	s := &Server{opts: o, log: o.Logger, dice: newDice(o.Faults.Seed), receiveRetry: 100 * time.Millisecond,
		uploads: make(chan struct{}, o.MaxConcurrentUploads)}
	unlock, err := lockDataFolder(dir)
	if err != nil {
		return nil, err
	}
	s.unlock = unlock
	closeAll := func() { s.Close() }
	st, err := datadir.Open(ctx, dir, &datadir.Options{Queue: &queue.Options{
		VisibilityTimeout: o.VisibilityTimeout, MaxReceiveCount: o.MaxReceiveCount, Logger: o.Logger,
	}})
	if err != nil {
		closeAll()
		return nil, err
	}
	s.stores, s.objects, s.records, s.idem, s.queue = st, st.Objects, st.Records, st.Idempotency, st.Queue
	s.lastSeq.Store(time.Now().UnixNano())
	// What a crash left: half-written files in the bucket, then the
	// intents whose events may not have been enqueued.
	if n, err := s.objects.Sweep(ctx); err != nil {
		closeAll()
		return nil, err
	} else if n > 0 {
		s.log.WarnContext(ctx, "removed files left by interrupted writes", slog.Int("files", n))
	}
	if s.journal, err = openJournal(filepath.Join(dir, datadir.JournalDir)); err != nil {
		closeAll()
		return nil, err
	}
	if err := s.recover(ctx); err != nil {
		closeAll()
		return nil, err
	}

	var objects blob.Store = s.objects
	if o.Faults.TransientRate > 0 {
		objects = &throttlingStore{Store: objects, rate: o.Faults.TransientRate, dice: s.dice, count: &s.faults.throttles}
	}
	if o.WrapObjects != nil {
		objects = o.WrapObjects(objects)
	}
	var records media.Records = s.records
	if o.WrapRecords != nil {
		records = o.WrapRecords(records)
	}
	var idem idempotency.Store = s.idem
	if o.Faults.CrashRate > 0 {
		idem = &crashingStore{Store: idem, rate: o.Faults.CrashRate, dice: s.dice, crashes: &s.faults.crashes, dead: map[string]bool{}}
	}
	guard := idempotency.New(idem, &idempotency.Options{Namespace: "thumbnailer", Logger: o.Logger})
	to := o.Thumbnailer
	to.Bucket, to.Logger = o.Bucket, o.Logger
	s.th = thumbnailer.New(objects, records, guard, &to)
	s.health = &health.Handler{Service: "rampart-media", Version: o.Version, Checks: map[string]func(context.Context) error{
		"records": func(ctx context.Context) error {
			_, err := s.records.Get(ctx, "health-check")
			if errors.Is(err, media.ErrNotFound) {
				return nil
			}
			return err
		},
		"queue": func(ctx context.Context) error { _, err := s.queue.Stats(ctx); return err },
	}}
	return s, nil
}

// Close waits for running invocations, closes the stores and releases the
// data folder. Messages in flight stay in the queue and are delivered again
// after a restart.
func (s *Server) Close() error {
	s.inflight.Wait()
	var err error
	if s.stores != nil {
		err = s.stores.Close()
		s.stores = nil
	}
	if s.unlock != nil {
		s.unlock()
		s.unlock = nil
	}
	return err
}

// Options returns the options in effect, defaults applied.
func (s *Server) Options() Options { return s.opts }

// Thumbnailer returns the handler the workers invoke.
func (s *Server) Thumbnailer() *thumbnailer.Thumbnailer { return s.th }

// Objects returns the bucket.
func (s *Server) Objects() blob.Store { return s.objects }

// Records returns the media records.
func (s *Server) Records() *sqliterecords.Store { return s.records }

// Queue returns the event queue.
func (s *Server) Queue() *queue.Queue { return s.queue }

// FaultStats returns the faults injected so far.
func (s *Server) FaultStats() FaultStats { return s.faults.stats() }

// NewRequestID returns a random request id in S3's style (16 hex digits,
// upper case).
func NewRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// Upload stores body (streamed, see [fsblob.Store.Stage]) at key and, when
// key is under the source prefix, enqueues the S3 notification
// (ObjectCreated:Put) carrying requestID. It returns the stored object and
// whether an event was enqueued. A crash at any point leaves either no new
// object, or the new object with its event enqueued now or when the data
// folder is opened again (see the journal in the package documentation).
func (s *Server) Upload(ctx context.Context, key string, body io.Reader, contentType, requestID string) (blob.Object, bool, error) {
	st, err := s.objects.Stage(ctx, key, body)
	if err != nil {
		return blob.Object{}, false, err
	}
	defer st.Abort()
	crashPoint("staged")
	in, err := s.intend("put", key, requestID)
	if err != nil {
		return blob.Object{}, false, err
	}
	crashPoint("intent")
	unlock := s.lockKey(key)
	obj, err := st.Commit(blob.PutOptions{ContentType: contentType})
	if err != nil {
		unlock()
		return blob.Object{}, false, err
	}
	seq := s.nextSequencer()
	unlock()
	crashPoint("committed")
	s.log.InfoContext(ctx, "object uploaded", slog.String("correlation_id", requestID), slog.String("key", key),
		slog.Int64("bytes", obj.Size), slog.String("etag", obj.ETag), slog.String("sequencer", seq))
	queued, err := s.notify(context.WithoutCancel(ctx), "ObjectCreated:Put", key, obj, seq, requestID)
	if err != nil {
		return obj, false, err // the intent stays: the next Open enqueues the event
	}
	crashPoint("enqueued")
	s.journal.done(in)
	return obj, queued, nil
}

// Remove deletes key and, under the source prefix, enqueues the
// ObjectRemoved:Delete notification, with the same crash safety as Upload.
func (s *Server) Remove(ctx context.Context, key, requestID string) (bool, error) {
	if err := blob.ValidateKey(key); err != nil {
		return false, err
	}
	in, err := s.intend("delete", key, requestID)
	if err != nil {
		return false, err
	}
	unlock := s.lockKey(key)
	err = s.objects.Delete(ctx, key)
	seq := s.nextSequencer()
	unlock()
	if err != nil {
		return false, err
	}
	crashPoint("deleted")
	s.log.InfoContext(ctx, "object deleted", slog.String("correlation_id", requestID), slog.String("key", key), slog.String("sequencer", seq))
	queued, err := s.notify(context.WithoutCancel(ctx), "ObjectRemoved:Delete", key, blob.Object{Key: key}, seq, requestID)
	if err != nil {
		return false, err
	}
	s.journal.done(in)
	return queued, nil
}

// intend records the intent of a write to key when key is under the
// source prefix (nil otherwise: no event depends on it).
func (s *Server) intend(op, key, requestID string) (*intent, error) {
	if !strings.HasPrefix(key, s.opts.Thumbnailer.SourcePrefix) {
		return nil, nil
	}
	return s.journal.begin(op, key, requestID)
}

// crashHook, set by tests, runs at each step of a write; the crash tests
// kill the process there.
var crashHook func(step string)

func crashPoint(step string) {
	if crashHook != nil {
		crashHook(step)
	}
}

// lockKey serialises writes to one key with the sequencer they get, so that
// sequencers order the writes as S3's do.
func (s *Server) lockKey(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &s.keyLocks[h.Sum32()%uint32(len(s.keyLocks))]
	m.Lock()
	return m.Unlock
}

// nextSequencer returns a hexadecimal sequencer greater than every earlier
// one, also across restarts (it follows the clock).
func (s *Server) nextSequencer() string {
	for {
		last := s.lastSeq.Load()
		next := max(last+1, time.Now().UnixNano())
		if s.lastSeq.CompareAndSwap(last, next) {
			return fmt.Sprintf("%016X", next)
		}
	}
}

func (s *Server) notify(ctx context.Context, name, key string, obj blob.Object, seq, requestID string) (bool, error) {
	if !strings.HasPrefix(key, s.opts.Thumbnailer.SourcePrefix) {
		return false, nil // the notification's prefix filter
	}
	rec := events.S3EventRecord{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: "local", EventTime: time.Now().UTC(), EventName: name,
		PrincipalID:       events.S3UserIdentity{PrincipalID: "local"},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: "127.0.0.1"},
		ResponseElements:  map[string]string{"x-amz-request-id": requestID, "x-amz-id-2": "local"},
		S3: events.S3Entity{SchemaVersion: "1.0", ConfigurationID: "thumbnails",
			Bucket: events.S3Bucket{Name: s.opts.Bucket, Arn: "arn:aws:s3:::" + s.opts.Bucket},
			Object: events.S3Object{Key: s3EscapeKey(key), Size: obj.Size, ETag: strings.Trim(obj.ETag, `"`), VersionID: obj.VersionID, Sequencer: seq}},
	}
	body, err := json.Marshal(events.S3Event{Records: []events.S3EventRecord{rec}})
	if err != nil {
		return false, err
	}
	attrs := map[string]string{"correlation_id": requestID}
	copies := 1
	if s.dice.roll(s.opts.Faults.DuplicateRate) {
		copies = 2
		s.faults.dups.add(1)
	}
	for range copies {
		if _, err := s.queue.Send(ctx, body, attrs); err != nil {
			return false, fmt.Errorf("devserver: enqueue event for %s: %w", key, err)
		}
	}
	return true, nil
}

// s3EscapeKey encodes a key as S3 does in notifications (form encoding:
// space as +).
func s3EscapeKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-_.~/!*'()", c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Run polls the queue with the configured number of workers until ctx is
// done, then waits for the invocations in progress.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := range s.opts.Workers {
		wg.Go(func() { s.poll(ctx, i) })
	}
	wg.Wait()
	return nil
}

func (s *Server) poll(ctx context.Context, worker int) {
	log := s.log.With(slog.Int("worker", worker))
	for ctx.Err() == nil {
		msgs, err := s.queue.Receive(ctx, s.opts.BatchSize, time.Second)
		if err != nil {
			if ctx.Err() == nil {
				log.ErrorContext(ctx, "receive failed", slog.Any("error", err))
				select {
				case <-ctx.Done():
				case <-time.After(s.receiveRetry):
				}
			}
			continue
		}
		if len(msgs) > 0 {
			s.invoke(context.WithoutCancel(ctx), log, msgs)
		}
	}
}

// invoke hands one batch to the thumbnailer as an SQS event, as the Lambda
// event source mapping does, and settles each message by the response.
func (s *Server) invoke(ctx context.Context, log *slog.Logger, msgs []queue.Message) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		ev.Records[i] = events.SQSMessage{
			MessageId: m.ID, ReceiptHandle: m.ReceiptHandle, Body: string(m.Body), EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:local:000000000000:media-events", AWSRegion: "local",
			Attributes: map[string]string{
				"ApproximateReceiveCount": strconv.Itoa(m.ReceiveCount),
				"SentTimestamp":           strconv.FormatInt(m.SentAt.UnixMilli(), 10),
			},
		}
		log.InfoContext(ctx, "message received", slog.String("correlation_id", m.Attributes["correlation_id"]),
			slog.String("message_id", m.ID), slog.Int("receive_count", m.ReceiveCount))
	}
	// The messages stay invisible until they are settled, however long the
	// invocation and its commits take; the visibility timeout only decides
	// how soon a message comes back when this process dies.
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = m.ReceiptHandle
	}
	stopBeat := s.queue.Heartbeat(ctx, handles, s.opts.VisibilityTimeout/3, s.opts.VisibilityTimeout)
	ictx, cancel := context.WithTimeout(ctx, s.opts.InvocationTimeout)
	defer cancel()
	var dup sync.WaitGroup
	if s.opts.Faults.ConcurrentDuplicates {
		for _, r := range ev.Records {
			if s.dice.roll(s.opts.Faults.DuplicateRate) {
				s.faults.concurrent.add(1)
				// A second consumer receives the same message at the same
				// time; its outcome settles nothing.
				dup.Go(func() { s.th.HandleSQS(ictx, events.SQSEvent{Records: []events.SQSMessage{r}}) })
			}
		}
	}
	// HandleSQS's batch processing, keeping each message's own error for
	// its dead letter.
	var mu sync.Mutex
	errs := map[string]error{}
	resp, err := batch.SQS(ictx, ev, func(ctx context.Context, m events.SQSMessage) error {
		err := s.th.HandleMessage(ctx, m)
		if err != nil {
			mu.Lock()
			errs[m.MessageId] = err
			mu.Unlock()
		}
		return err
	}, &batch.Options[events.SQSMessage]{Logger: s.log})
	dup.Wait()
	stopBeat()
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	for i, m := range msgs {
		if err != nil || failed[m.ID] {
			// Left for redelivery when its visibility timeout ends, as SQS
			// does; the reason is kept for the dead-letter queue.
			reason := "reported in batchItemFailures"
			switch {
			case errs[m.ID] != nil:
				reason = errs[m.ID].Error()
			case err != nil:
				reason = err.Error()
			}
			if ferr := s.queue.Fail(ctx, m.ReceiptHandle, reason, s.opts.VisibilityTimeout); ferr != nil && !errors.Is(ferr, queue.ErrStaleReceipt) {
				log.ErrorContext(ctx, "could not return message", slog.String("message_id", m.ID), slog.Any("error", ferr))
			}
			continue
		}
		if derr := s.queue.Delete(ctx, ev.Records[i].ReceiptHandle); derr != nil {
			log.WarnContext(ctx, "could not delete message", slog.String("message_id", m.ID), slog.Any("error", derr))
			continue
		}
		s.handled.Add(1)
	}
}
