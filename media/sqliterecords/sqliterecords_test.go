package sqliterecords_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/recordstest"
	"github.com/rampartdev/rampart/media/sqliterecords"
)

func newStore(t *testing.T) *sqliterecords.Store {
	t.Helper()
	s, err := sqliterecords.Open(filepath.Join(t.TempDir(), "media.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore_Conformance(t *testing.T) {
	recordstest.Run(t, func(t *testing.T) media.Records { return newStore(t) })
}

func TestStore_SurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "media.db")
	s, err := sqliterecords.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := media.Claim{ID: media.ID("b", "k"), Bucket: "b", Key: "k", Sequencer: "01", Owner: "o", Now: now, Until: now.Add(time.Minute)}
	if err := s.Claim(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqliterecords.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec, err := s.Get(t.Context(), c.ID)
	if err != nil || rec.Owner != "o" || rec.Status != media.StatusProcessing {
		t.Fatalf("after reopen: %+v, %v", rec, err)
	}
	counts, err := s.Count(t.Context())
	if err != nil || counts[media.StatusProcessing] != 1 {
		t.Fatalf("Count = %v, %v", counts, err)
	}
}
