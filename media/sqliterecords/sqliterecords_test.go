package sqliterecords_test

import (
	"os"
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

// TestOpen_pathCharacters opens stores in folders whose names mean something
// in a file: URI: each must open the file named, not another one.
func TestOpen_pathCharacters(t *testing.T) {
	for _, name := range []string{"a#b", "a?b", "100%", "spa ce"} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			path := filepath.Join(parent, name, "media.db")
			s, err := sqliterecords.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			c := media.Claim{ID: media.ID("b", "k"), Bucket: "b", Key: "k", Sequencer: "01", Owner: "o", Now: now, Until: now.Add(time.Minute)}
			err = s.Claim(t.Context(), c)
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("the database is not at %s: %v", path, err)
			}
			ents, _ := os.ReadDir(parent)
			if len(ents) != 1 || ents[0].Name() != name {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Fatalf("%s holds %v, want only %q", parent, names, name)
			}
		})
	}
}
