package devserver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/media"
)

// The journal makes the bucket and the queue agree across crashes. S3
// writes an object and queues its notification as one service; here they
// are two stores, and a process killed between the object's commit and the
// enqueue would leave an object that no event will ever describe. So every
// write under the source prefix records an intent first, durably, before
// the object changes:
//
//  1. intent written and synced (journal/<id>.json: the key, the request id)
//  2. the object committed (or deleted)
//  3. its notification enqueued
//  4. intent removed
//
// and Open, before any worker or request runs, replays the intents left by
// a crash: for each key it enqueues the event that describes the key's
// current state (ObjectCreated for the object there now, ObjectRemoved when
// it is gone), unless the media record already shows that state as final. A replayed intent whose write never
// happened therefore costs at most one extra, idempotent event; a lost
// intent removal at most a duplicate event. Nothing else (a crash of a
// worker mid-event) needs the journal: the queue redelivers those.

// intent is one journal entry.
type intent struct {
	Op        string `json:"op"` // "put" or "delete"
	Key       string `json:"key"`
	RequestID string `json:"requestId"`
	path      string
}

// journal is the folder of intents.
type journal struct{ dir string }

func openJournal(dir string) (*journal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("devserver: create journal: %w", err)
	}
	return &journal{dir: dir}, nil
}

// begin records an intent durably (file and folder synced) and returns it.
func (j *journal) begin(op, key, requestID string) (*intent, error) {
	in := &intent{Op: op, Key: key, RequestID: requestID}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	name := rand.Text()
	in.path = filepath.Join(j.dir, name+".json")
	tmp := filepath.Join(j.dir, "."+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("devserver: journal: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, in.path)
	}
	if err == nil {
		err = syncDir(j.dir)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("devserver: journal: %w", err)
	}
	return in, nil
}

// done removes an intent once its event is enqueued. A removal lost in a
// crash only replays the intent: an extra, idempotent event.
func (j *journal) done(in *intent) {
	if in != nil {
		os.Remove(in.path)
	}
}

// pending returns the intents left in the journal; half-written ones (a
// crash before their rename) are removed, since their write never started.
func (j *journal) pending() ([]*intent, error) {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, fmt.Errorf("devserver: journal: %w", err)
	}
	var out []*intent
	for _, e := range entries {
		p := filepath.Join(j.dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			os.Remove(p)
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("devserver: journal: %w", err)
		}
		in := &intent{path: p}
		if err := json.Unmarshal(b, in); err != nil || in.Key == "" {
			return nil, fmt.Errorf("devserver: journal entry %s is unreadable (%v): look at it, then remove it", p, err)
		}
		out = append(out, in)
	}
	return out, nil
}

// recover replays the journal (see the comment at the top of this file). It
// runs in Open, before workers and requests.
func (s *Server) recover(ctx context.Context) error {
	pending, err := s.journal.pending()
	if err != nil {
		return err
	}
	for _, in := range pending {
		name, err := s.reconcile(ctx, in.Key, in.RequestID)
		if err != nil {
			return fmt.Errorf("devserver: replay the journal for %q: %w", in.Key, err)
		}
		s.log.WarnContext(ctx, "journal replayed after a crash", slog.String("correlation_id", in.RequestID), slog.String("key", in.Key),
			slog.String("op", in.Op), slog.String("enqueued", name))
		s.journal.done(in)
	}
	return nil
}

// reconcile enqueues the notification that describes key's current state
// unless its media record already shows that state, and returns the event
// name it enqueued ("" for none).
func (s *Server) reconcile(ctx context.Context, key, requestID string) (string, error) {
	if !strings.HasPrefix(key, s.opts.Thumbnailer.SourcePrefix) {
		return "", nil
	}
	unlock := s.lockKey(key)
	obj, err := s.objects.Head(ctx, key)
	exists := err == nil
	if err != nil && !errors.Is(err, blob.ErrNotFound) {
		unlock()
		return "", err
	}
	seq := s.nextSequencer()
	unlock()
	rec, err := s.records.Get(ctx, media.ID(s.opts.Bucket, key))
	hasRec := err == nil
	if err != nil && !errors.Is(err, media.ErrNotFound) {
		return "", err
	}
	switch {
	case exists && hasRec && rec.ETag == strings.Trim(obj.ETag, `"`) && (rec.Status == media.StatusProcessed || rec.Status == media.StatusRejected):
		return "", nil // the record already describes this object
	case exists:
		_, err := s.notify(ctx, "ObjectCreated:Put", key, obj, seq, requestID)
		return "ObjectCreated:Put", err
	case hasRec && rec.Status == media.StatusDeleted:
		return "", nil
	}
	// Gone, and its record (if any yet: an upload's event may still be
	// queued) does not say so. For a key never stored at all this records
	// a deletion, which is true too.
	_, err = s.notify(ctx, "ObjectRemoved:Delete", key, blob.Object{Key: key}, seq, requestID)
	return "ObjectRemoved:Delete", err
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
	if errors.Is(err, fs.ErrInvalid) {
		return nil // directories cannot be synced here
	}
	return err
}
