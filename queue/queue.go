package queue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampartdev/rampart/internal/sqlitedb"
)

// Defaults and limits, as in SQS where SQS has one.
const (
	// DefaultVisibilityTimeout is the visibility timeout when
	// Options.VisibilityTimeout is zero (SQS's default).
	DefaultVisibilityTimeout = 30 * time.Second
	// MaxVisibilityTimeout is the longest visibility timeout (SQS's limit).
	MaxVisibilityTimeout = 12 * time.Hour
	// DefaultMaxReceiveCount is the receive count after which a message is
	// dead-lettered when Options.MaxReceiveCount is zero.
	DefaultMaxReceiveCount = 5
	// DefaultMaxMessageBytes is the largest message (body plus attribute
	// names and values) when Options.MaxMessageBytes is zero (SQS's limit).
	DefaultMaxMessageBytes = 256 << 10
	// MaxPollInterval is the longest a waiting Receive sleeps between looks
	// at the file.
	MaxPollInterval = 250 * time.Millisecond
	// DefaultDeadLetterLimit is the page size of DeadLetters when limit is
	// zero or less; larger limits are capped at MaxDeadLetterLimit.
	DefaultDeadLetterLimit = 100
	// MaxDeadLetterLimit is the largest page DeadLetters returns.
	MaxDeadLetterLimit = 1000
)

// Reasons recorded on dead letters.
const (
	// ReasonMaxReceives means the message was received MaxReceiveCount times
	// without being deleted.
	ReasonMaxReceives = "max receive count exceeded"
)

// Options configure a Queue. A nil *Options or the zero value gives the
// defaults.
type Options struct {
	// VisibilityTimeout is how long a received message stays invisible;
	// zero means DefaultVisibilityTimeout.
	VisibilityTimeout time.Duration
	// MaxReceiveCount is how many times a message may be received before it
	// is moved to the dead letters; zero means DefaultMaxReceiveCount.
	MaxReceiveCount int
	// MaxMessageBytes is the largest message Send accepts; zero means
	// DefaultMaxMessageBytes, and a negative value is an error.
	MaxMessageBytes int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives a warning for each dead-lettered message; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Message is a received message.
type Message struct {
	// ID is the message's ID, assigned by Send and kept across redeliveries
	// and redrives.
	ID string
	// ReceiptHandle identifies this receipt; pass it to Delete, Fail or
	// ChangeVisibility.
	ReceiptHandle string
	// Body is the message body.
	Body []byte
	// Attributes are the attributes given to Send; nil when none were.
	Attributes map[string]string
	// ReceiveCount is how many times the message has been received,
	// including this time.
	ReceiveCount int
	// SentAt is when Send stored the message.
	SentAt time.Time
	// LastError is the reason given to Fail by the previous consumer, if any.
	LastError string
}

// DeadLetter is a message moved out of the queue.
type DeadLetter struct {
	ID           string
	Body         []byte
	Attributes   map[string]string
	ReceiveCount int
	SentAt       time.Time
	// Reason says why the message was dead-lettered, such as
	// ReasonMaxReceives.
	Reason string
	// LastError is the last reason given to Fail, if any.
	LastError string
	// DeadAt is when the message was moved.
	DeadAt time.Time
}

// Stats counts the messages in a queue.
type Stats struct {
	// Visible messages can be received now.
	Visible int
	// InFlight messages have been received and are invisible until their
	// visibility timeout ends.
	InFlight int
	// DeadLetters are messages moved to the dead letters.
	DeadLetters int
	// OldestSentAt is when the oldest message in the queue (visible or in
	// flight) was sent; zero when the queue is empty.
	OldestSentAt time.Time
}

// Errors returned by a Queue.
var (
	// ErrStaleReceipt means the receipt handle is no longer the message's
	// current one: the message was received again after its visibility
	// timeout ended, or was dead-lettered. The message was not changed.
	ErrStaleReceipt = errors.New("queue: stale receipt handle")
	// ErrInvalidReceipt means the receipt handle was not issued by a Queue.
	ErrInvalidReceipt = errors.New("queue: invalid receipt handle")
	// ErrMessageTooLarge means the message is larger than MaxMessageBytes.
	ErrMessageTooLarge = errors.New("queue: message too large")
	// ErrEmptyMessage means Send was given an empty body.
	ErrEmptyMessage = errors.New("queue: empty message body")
	// ErrInvalidVisibility means a visibility timeout outside 0 to
	// MaxVisibilityTimeout.
	ErrInvalidVisibility = errors.New("queue: invalid visibility timeout")
	// ErrClosed means the Queue was closed.
	ErrClosed = errors.New("queue: closed")
	// ErrInvalidCursor means a DeadLetters cursor that DeadLetters did not
	// return.
	ErrInvalidCursor = errors.New("queue: invalid dead-letter cursor")
)

// Queue is an open queue file. It is safe for concurrent use.
type Queue struct {
	db         *sql.DB
	path       string
	visibility time.Duration
	maxRecv    int
	maxBytes   int
	now        func() time.Time
	log        *slog.Logger

	mu     sync.Mutex
	wake   chan struct{} // closed and replaced when messages may have become visible
	closed chan struct{}
	once   sync.Once
}

const schema = `
CREATE TABLE IF NOT EXISTS messages (
	seq               INTEGER PRIMARY KEY AUTOINCREMENT,
	id                TEXT NOT NULL UNIQUE,
	body              BLOB NOT NULL,
	attrs             TEXT,
	sent_at           INTEGER NOT NULL,
	visible_at        INTEGER NOT NULL,
	receive_count     INTEGER NOT NULL DEFAULT 0,
	receipt           TEXT,
	last_error        TEXT
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (visible_at, seq);
CREATE TABLE IF NOT EXISTS dead_letters (
	seq               INTEGER PRIMARY KEY AUTOINCREMENT,
	id                TEXT NOT NULL UNIQUE,
	body              BLOB NOT NULL,
	attrs             TEXT,
	sent_at           INTEGER NOT NULL,
	receive_count     INTEGER NOT NULL,
	reason            TEXT NOT NULL,
	last_error        TEXT,
	dead_at           INTEGER NOT NULL
);
`

// Open opens the queue in the SQLite file at path, creating it if needed.
// opts may be nil; out-of-range values are an error.
func Open(path string, opts *Options) (*Queue, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	q := &Queue{
		path:       path,
		visibility: o.VisibilityTimeout,
		maxRecv:    o.MaxReceiveCount,
		maxBytes:   o.MaxMessageBytes,
		now:        o.Now,
		log:        o.Logger,
		wake:       make(chan struct{}),
		closed:     make(chan struct{}),
	}
	switch {
	case q.visibility == 0:
		q.visibility = DefaultVisibilityTimeout
	case q.visibility < 0 || q.visibility > MaxVisibilityTimeout:
		return nil, fmt.Errorf("open queue %s: %w: %v", path, ErrInvalidVisibility, q.visibility)
	}
	if q.maxRecv == 0 {
		q.maxRecv = DefaultMaxReceiveCount
	} else if q.maxRecv < 0 {
		return nil, fmt.Errorf("open queue %s: negative MaxReceiveCount %d", path, q.maxRecv)
	}
	if q.maxBytes == 0 {
		q.maxBytes = DefaultMaxMessageBytes
	} else if q.maxBytes < 0 {
		return nil, fmt.Errorf("open queue %s: negative MaxMessageBytes %d", path, q.maxBytes)
	}
	if q.now == nil {
		q.now = time.Now
	}
	if q.log == nil {
		q.log = slog.Default()
	}
	// synchronous=FULL: a message Send has acknowledged, or a Delete, is on
	// disk before the call returns, so a power loss cannot lose an event
	// an upload was told is queued, nor bring back one whose work is done.
	// One connection: SQLite has one writer at a time anyway, and this keeps
	// the in-process writers queued in Go instead of spinning on
	// SQLITE_BUSY. The busy timeout, 10 s, is for other processes on the
	// file (rampart mcp's redrive beside rampart dev): longer than the
	// other stores' 5 s because a queue call has no deadline to miss, and a
	// busy error would fail an upload that only had to wait.
	db, err := sqlitedb.Open(context.Background(), path, &sqlitedb.Options{
		Synchronous: sqlitedb.Full, BusyTimeout: 10 * time.Second, MaxOpenConns: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("open queue %s: %w", path, err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open queue %s: create schema: %w", path, err)
	}
	q.db = db
	return q, nil
}

// Close closes the file. Waiting receivers return ErrClosed.
func (q *Queue) Close() error {
	var err error
	q.once.Do(func() {
		close(q.closed)
		err = q.db.Close()
	})
	return err
}

// Send stores a message with the given body and attributes and returns its
// ID. The message is visible at once.
func (q *Queue) Send(ctx context.Context, body []byte, attrs map[string]string) (string, error) {
	if len(body) == 0 {
		return "", fmt.Errorf("send: %w", ErrEmptyMessage)
	}
	size := len(body)
	for k, v := range attrs {
		size += len(k) + len(v)
	}
	if size > q.maxBytes {
		return "", fmt.Errorf("send: %w: %d bytes, limit %d", ErrMessageTooLarge, size, q.maxBytes)
	}
	enc, err := encodeAttrs(attrs)
	if err != nil {
		return "", fmt.Errorf("send: %w", err)
	}
	id := rand.Text()
	now := q.now().UnixNano()
	if _, err := q.db.ExecContext(ctx,
		`INSERT INTO messages (id, body, attrs, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)`,
		id, body, enc, now, now); err != nil {
		return "", q.fail("send", err)
	}
	q.signal()
	return id, nil
}

// Receive claims up to max visible messages (at least one) and returns
// them, oldest first as far as possible. When none is visible it waits up
// to wait for one; with wait zero it returns at once. It returns an empty
// slice, not an error, when nothing arrived in time. Messages past
// MaxReceiveCount are dead-lettered here instead of returned.
func (q *Queue) Receive(ctx context.Context, max int, wait time.Duration) ([]Message, error) {
	if max < 1 {
		max = 1
	}
	var deadline <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	backoff := 5 * time.Millisecond
	for {
		// Take the wake channel before looking, so a Send between the look
		// and the wait is not missed.
		q.mu.Lock()
		wake := q.wake
		q.mu.Unlock()
		msgs, next, err := q.claim(ctx, max)
		if err != nil || len(msgs) > 0 || deadline == nil {
			return msgs, err
		}
		sleep := backoff
		if next > 0 && next < sleep {
			sleep = next
		}
		backoff = min(backoff*2, MaxPollInterval)
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("receive: %w", ctx.Err())
		case <-q.closed:
			t.Stop()
			return nil, fmt.Errorf("receive: %w", ErrClosed)
		case <-deadline:
			t.Stop()
			return []Message{}, nil
		case <-wake:
			backoff = 5 * time.Millisecond
		case <-t.C:
		}
		t.Stop()
	}
}

// claim is one transaction of Receive. next is how long until the next
// invisible message becomes visible (by the queue's clock), or 0 if none.
func (q *Queue) claim(ctx context.Context, max int) (msgs []Message, next time.Duration, err error) {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, q.fail("receive", err)
	}
	defer tx.Rollback()
	// Read the clock once the write lock is held, so that visibility is
	// measured from the moment of the claim.
	now := q.now()
	nowNS := now.UnixNano()
	visibleAt := now.Add(q.visibility).UnixNano()
	msgs = []Message{}
	var dead []DeadLetter
	for len(msgs) < max {
		cands, err := q.candidates(ctx, tx, nowNS, max-len(msgs))
		if err != nil {
			return nil, 0, q.fail("receive", err)
		}
		if len(cands) == 0 {
			break
		}
		for _, m := range cands {
			if m.ReceiveCount >= q.maxRecv {
				if err := moveToDead(ctx, tx, m.ID, ReasonMaxReceives, nowNS); err != nil {
					return nil, 0, q.fail("receive", err)
				}
				dead = append(dead, DeadLetter{ID: m.ID, ReceiveCount: m.ReceiveCount, LastError: m.LastError})
				continue
			}
			m.ReceiveCount++
			m.ReceiptHandle = m.ID + "." + rand.Text()
			if _, err := tx.ExecContext(ctx,
				`UPDATE messages SET receive_count = ?, visible_at = ?, receipt = ? WHERE id = ?`,
				m.ReceiveCount, visibleAt, m.ReceiptHandle, m.ID); err != nil {
				return nil, 0, q.fail("receive", err)
			}
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		var min sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MIN(visible_at) FROM messages WHERE visible_at > ?`, nowNS).Scan(&min); err != nil {
			return nil, 0, q.fail("receive", err)
		}
		if min.Valid {
			next = time.Duration(min.Int64 - nowNS)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, q.fail("receive", err)
	}
	for _, d := range dead {
		q.log.LogAttrs(ctx, slog.LevelWarn, "queue: message dead-lettered",
			slog.String("queue", q.path), slog.String("id", d.ID), slog.Int("receive_count", d.ReceiveCount),
			slog.String("reason", ReasonMaxReceives), slog.String("last_error", d.LastError))
	}
	return msgs, next, nil
}

func (q *Queue) candidates(ctx context.Context, tx *sql.Tx, now int64, n int) ([]Message, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT id, body, attrs, sent_at, receive_count, last_error FROM messages
		 WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?`, now, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var attrs, lastErr sql.NullString
		var sent int64
		if err := rows.Scan(&m.ID, &m.Body, &attrs, &sent, &m.ReceiveCount, &lastErr); err != nil {
			return nil, err
		}
		if m.Attributes, err = decodeAttrs(attrs); err != nil {
			return nil, err
		}
		m.SentAt = time.Unix(0, sent)
		m.LastError = lastErr.String
		out = append(out, m)
	}
	return out, rows.Err()
}

func moveToDead(ctx context.Context, tx *sql.Tx, id, reason string, now int64) error {
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO dead_letters (id, body, attrs, sent_at, receive_count, reason, last_error, dead_at)
		 SELECT id, body, attrs, sent_at, receive_count, ?, last_error, ? FROM messages WHERE id = ?`,
		reason, now, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id = ?`, id)
	return err
}

// Delete removes the message received with receiptHandle. It returns an
// error matching ErrStaleReceipt, and leaves the message alone, when the
// message has been received again since or was dead-lettered. Deleting a
// message that is already gone is not an error.
func (q *Queue) Delete(ctx context.Context, receiptHandle string) error {
	id, err := receiptID(receiptHandle)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return q.withReceipt(ctx, "delete", id, receiptHandle, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id = ?`, id)
		return err
	})
}

// ChangeVisibility makes the message received with receiptHandle invisible
// for d from now; zero makes it visible at once. d must be between 0 and
// MaxVisibilityTimeout. The receipt handle stays valid.
func (q *Queue) ChangeVisibility(ctx context.Context, receiptHandle string, d time.Duration) error {
	return q.setVisibility(ctx, "change visibility", receiptHandle, d, nil)
}

// Fail records reason as the message's last error and makes it visible
// again after retryAfter (zero: at once). Use it when processing failed
// and another attempt may succeed; the reason is kept on the dead letter if
// the message runs out of receives.
func (q *Queue) Fail(ctx context.Context, receiptHandle, reason string, retryAfter time.Duration) error {
	return q.setVisibility(ctx, "fail", receiptHandle, retryAfter, &reason)
}

func (q *Queue) setVisibility(ctx context.Context, op, receiptHandle string, d time.Duration, reason *string) error {
	if d < 0 || d > MaxVisibilityTimeout {
		return fmt.Errorf("%s: %w: %v", op, ErrInvalidVisibility, d)
	}
	id, err := receiptID(receiptHandle)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = q.withReceipt(ctx, op, id, receiptHandle, func(tx *sql.Tx) error {
		at := q.now().Add(d).UnixNano()
		var err error
		if reason != nil {
			_, err = tx.ExecContext(ctx, `UPDATE messages SET visible_at = ?, last_error = ? WHERE id = ?`, at, *reason, id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE messages SET visible_at = ? WHERE id = ?`, at, id)
		}
		return err
	})
	if err == nil && d == 0 {
		q.signal()
	}
	return err
}

// withReceipt runs fn in a transaction if receipt is the current receipt of
// message id. A message that is gone is fine for delete and ErrStaleReceipt
// otherwise.
func (q *Queue) withReceipt(ctx context.Context, op, id, receipt string, fn func(*sql.Tx) error) error {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return q.fail(op, err)
	}
	defer tx.Rollback()
	var current sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT receipt FROM messages WHERE id = ?`, id).Scan(&current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var dead int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM dead_letters WHERE id = ?`, id).Scan(&dead); err != nil {
			return q.fail(op, err)
		}
		if dead > 0 {
			return fmt.Errorf("%s message %s: %w: the message was dead-lettered", op, id, ErrStaleReceipt)
		}
		if op == "delete" {
			return nil
		}
		return fmt.Errorf("%s message %s: %w: the message was deleted", op, id, ErrStaleReceipt)
	case err != nil:
		return q.fail(op, err)
	case current.String != receipt:
		return fmt.Errorf("%s message %s: %w: the message was received again", op, id, ErrStaleReceipt)
	}
	if err := fn(tx); err != nil {
		return q.fail(op, err)
	}
	if err := tx.Commit(); err != nil {
		return q.fail(op, err)
	}
	return nil
}

// DeadLetters returns up to limit dead letters in the order they died,
// starting after the cursor after ("" for the first page). next is the
// cursor of the following page, or "" when there are no more. A limit of
// zero or less means DefaultDeadLetterLimit.
func (q *Queue) DeadLetters(ctx context.Context, after string, limit int) ([]DeadLetter, string, error) {
	if limit <= 0 {
		limit = DefaultDeadLetterLimit
	}
	limit = min(limit, MaxDeadLetterLimit)
	var from int64
	if after != "" {
		var err error
		if from, err = strconv.ParseInt(after, 10, 64); err != nil || from < 0 {
			return nil, "", fmt.Errorf("%w %q", ErrInvalidCursor, after)
		}
	}
	rows, err := q.db.QueryContext(ctx,
		`SELECT seq, id, body, attrs, sent_at, receive_count, reason, last_error, dead_at
		 FROM dead_letters WHERE seq > ? ORDER BY seq LIMIT ?`, from, limit+1)
	if err != nil {
		return nil, "", q.fail("dead letters", err)
	}
	defer rows.Close()
	out := []DeadLetter{}
	var next string
	for rows.Next() {
		var d DeadLetter
		var seq, sent, deadAt int64
		var attrs, lastErr sql.NullString
		if err := rows.Scan(&seq, &d.ID, &d.Body, &attrs, &sent, &d.ReceiveCount, &d.Reason, &lastErr, &deadAt); err != nil {
			return nil, "", q.fail("dead letters", err)
		}
		if len(out) == limit {
			next = strconv.FormatInt(from, 10)
			break
		}
		if d.Attributes, err = decodeAttrs(attrs); err != nil {
			return nil, "", q.fail("dead letters", err)
		}
		d.SentAt, d.DeadAt, d.LastError = time.Unix(0, sent), time.Unix(0, deadAt), lastErr.String
		out = append(out, d)
		from = seq
	}
	if err := rows.Err(); err != nil {
		return nil, "", q.fail("dead letters", err)
	}
	return out, next, nil
}

// Redrive moves the dead letters with the given IDs (all of them when none
// is given) back to the queue, visible at once with a receive count of
// zero and their original ID and SentAt, and returns how many it moved.
// Unknown IDs are skipped.
func (q *Queue) Redrive(ctx context.Context, ids ...string) (int, error) {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, q.fail("redrive", err)
	}
	defer tx.Rollback()
	now := q.now().UnixNano()
	const move = `INSERT INTO messages (id, body, attrs, sent_at, visible_at)
		SELECT id, body, attrs, sent_at, ? FROM dead_letters`
	n := 0
	if len(ids) == 0 {
		res, err := tx.ExecContext(ctx, move+` ORDER BY seq`, now)
		if err != nil {
			return 0, q.fail("redrive", err)
		}
		c, _ := res.RowsAffected()
		n = int(c)
		if _, err := tx.ExecContext(ctx, `DELETE FROM dead_letters`); err != nil {
			return 0, q.fail("redrive", err)
		}
	} else {
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, move+` WHERE id = ?`, now, id)
			if err != nil {
				return 0, q.fail("redrive", err)
			}
			c, _ := res.RowsAffected()
			if c == 0 {
				continue
			}
			n++
			if _, err := tx.ExecContext(ctx, `DELETE FROM dead_letters WHERE id = ?`, id); err != nil {
				return 0, q.fail("redrive", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, q.fail("redrive", err)
	}
	if n > 0 {
		q.signal()
	}
	return n, nil
}

// Stats counts the messages now.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	var oldest sql.NullInt64
	now := q.now().UnixNano()
	err := q.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM messages WHERE visible_at <= ?),
		(SELECT COUNT(*) FROM messages WHERE visible_at > ?),
		(SELECT COUNT(*) FROM dead_letters),
		(SELECT MIN(sent_at) FROM messages)`, now, now).Scan(&s.Visible, &s.InFlight, &s.DeadLetters, &oldest)
	if err != nil {
		return Stats{}, q.fail("stats", err)
	}
	if oldest.Valid {
		s.OldestSentAt = time.Unix(0, oldest.Int64)
	}
	return s, nil
}

// signal wakes waiting receivers.
func (q *Queue) signal() {
	q.mu.Lock()
	close(q.wake)
	q.wake = make(chan struct{})
	q.mu.Unlock()
}

// fail wraps a storage error, reporting ErrClosed after Close.
func (q *Queue) fail(op string, err error) error {
	select {
	case <-q.closed:
		return fmt.Errorf("%s: %w", op, ErrClosed)
	default:
	}
	return fmt.Errorf("%s: %w", op, err)
}

func receiptID(h string) (string, error) {
	id, nonce, ok := strings.Cut(h, ".")
	if !ok || id == "" || nonce == "" {
		return "", fmt.Errorf("%w %q", ErrInvalidReceipt, h)
	}
	return id, nil
}

func encodeAttrs(attrs map[string]string) (any, error) {
	if len(attrs) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decodeAttrs(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s.String), &m); err != nil {
		return nil, fmt.Errorf("decode attributes: %w", err)
	}
	return m, nil
}

// Heartbeat keeps the messages received with handles invisible while a
// consumer works on them, as an SQS consumer does with
// ChangeMessageVisibility: every interval it makes each of them invisible
// for extend from then, until the returned stop is called (stop waits for
// a beat in progress). A handle that went stale (the message was deleted,
// dead-lettered or received again) is dropped from the beat. Without it, a
// message whose work outlasts the visibility timeout is delivered again
// while the first attempt still runs. interval must be positive and below
// extend; extend at most MaxVisibilityTimeout.
func (q *Queue) Heartbeat(ctx context.Context, handles []string, interval, extend time.Duration) (stop func()) {
	if len(handles) == 0 || interval <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	live := slices.Clone(handles)
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			kept := live[:0]
			for _, h := range live {
				err := q.ChangeVisibility(ctx, h, extend)
				switch {
				case err == nil:
					kept = append(kept, h)
				case errors.Is(err, ErrStaleReceipt), errors.Is(err, ErrInvalidReceipt):
					// settled or taken over: nothing to keep invisible
				case ctx.Err() != nil:
					return
				default:
					kept = append(kept, h) // try again at the next beat
					q.log.WarnContext(ctx, "visibility heartbeat failed", slog.String("receipt", h), slog.Any("error", err))
				}
			}
			live = kept
		}
	}()
	return func() { cancel(); <-done }
}
