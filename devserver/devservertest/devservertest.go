// Package devservertest runs the local runtime (package devserver) in the
// tests of the packages above it: a server over a data folder, as rampart
// dev runs it, and a wait for the media records it writes.
package devservertest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/imaging"
	"github.com/rampartdev/rampart/inspect/local"
	"github.com/rampartdev/rampart/internal/datadir"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/thumbnailer"
)

// MustOpen opens a devserver over dir whose JSON logs go to the data
// folder's log file (as "rampart dev" writes them), starts its queue
// pollers, and stops it when tb ends.
func MustOpen(tb testing.TB, dir string) *devserver.Server {
	tb.Helper()
	lf, err := local.OpenLogFile(filepath.Join(dir, datadir.LogFile), 0)
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(lf, nil)).With(slog.String("service", "rampart-media"))
	s, err := devserver.Open(context.Background(), dir, &devserver.Options{
		Thumbnailer:       thumbnailer.Options{Imaging: imaging.Options{Sizes: []int{256, 64}}},
		Workers:           2,
		VisibilityTimeout: 20 * time.Second,
		Logger:            log,
	})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	tb.Cleanup(func() {
		cancel()
		<-done
		s.Close()
		lf.Close()
	})
	return s
}

// WaitFinal waits until the media record id has a final status and returns
// it, or fails tb after a minute.
func WaitFinal(tb testing.TB, s *devserver.Server, id string) media.Record {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if rec, err := s.Records().Get(context.Background(), id); err == nil && rec.Status.Final() {
			return rec
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("media record %s not final after a minute", id)
	return media.Record{}
}
