// Package datadir is the local data folder, where rampart dev keeps the
// media service's state and rampart mcp, the dashboard and rampart tokens
// read it: its layout, and the opening of its stores.
//
// The folder holds, relative to its root:
//
//	objects/            the bucket (blob/fsblob)
//	media.db            the media records (media/sqliterecords)
//	idempotency.db      the idempotency records (idempotency/sqlitestore)
//	queue.db            the event queue and its dead letters (queue)
//	journal/            the intents of writes in progress (devserver)
//	dev.lock            held by the rampart dev serving the folder (devserver)
//	logs/rampart.jsonl  the JSON logs of rampart dev, with one rotated generation
//	gateway/tokens.db   the API gateway's tokens (gateway/sqlitetokens)
//	coldstart/          Lambda log files the cold-start analysis may read
//
// Several processes may open one folder at once: the SQLite stores are in
// WAL mode (see internal/sqlitedb) and the bucket's writes are atomic. Only
// one of them may be rampart dev, which sweeps the bucket and replays its
// journal when it starts (devserver.Open takes LockFile).
package datadir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rampartdev/rampart/blob/fsblob"
	"github.com/rampartdev/rampart/idempotency/sqlitestore"
	"github.com/rampartdev/rampart/media/sqliterecords"
	"github.com/rampartdev/rampart/queue"
)

// The layout of a data folder, relative to its root.
const (
	ObjectsDir    = "objects"
	MediaDB       = "media.db"
	IdempotencyDB = "idempotency.db"
	QueueDB       = "queue.db"
	JournalDir    = "journal"
	// LockFile is held by the one rampart dev serving the folder.
	LockFile = "dev.lock"
	// LogFile is size-capped with one rotated generation (LogFile + ".1").
	LogFile  = "logs/rampart.jsonl"
	TokensDB = "gateway/tokens.db"
	// ColdStartDir holds Lambda platform logs (plain or gzip) that the
	// cold-start analysis reads by default.
	ColdStartDir = "coldstart"
)

// Bucket is the name the folder's bucket has in events and media records,
// unless rampart dev is told another (devserver.Options.Bucket).
const Bucket = "local-media"

// Options configure [Open]. A nil *Options or the zero value gives every
// store its defaults.
type Options struct {
	// Queue configures the event queue; nil means the queue's defaults.
	Queue *queue.Options
}

// Stores are the four stores of a data folder, open. Close closes them all.
type Stores struct {
	Objects     *fsblob.Store
	Records     *sqliterecords.Store
	Idempotency *sqlitestore.Store
	Queue       *queue.Queue
}

// Open opens the stores of the data folder dir, creating the folder and
// any missing store (empty). On error nothing stays open.
func Open(ctx context.Context, dir string, opts *Options) (*Stores, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("datadir: create %s: %w", dir, err)
	}
	s := &Stores{}
	var err error
	if s.Objects, err = fsblob.New(filepath.Join(dir, ObjectsDir), nil); err != nil {
		return nil, err
	}
	if s.Records, err = sqliterecords.Open(filepath.Join(dir, MediaDB)); err != nil {
		s.Close()
		return nil, err
	}
	if s.Idempotency, err = sqlitestore.Open(ctx, filepath.Join(dir, IdempotencyDB), nil); err != nil {
		s.Close()
		return nil, err
	}
	if s.Queue, err = queue.Open(filepath.Join(dir, QueueDB), o.Queue); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the stores that are open.
func (s *Stores) Close() error {
	var errs []error
	if s.Queue != nil {
		errs = append(errs, s.Queue.Close())
	}
	if s.Idempotency != nil {
		errs = append(errs, s.Idempotency.Close())
	}
	if s.Records != nil {
		errs = append(errs, s.Records.Close())
	}
	return errors.Join(errs...)
}
