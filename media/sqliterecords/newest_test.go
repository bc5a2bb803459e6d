package sqliterecords_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/sqliterecords"
)

// put stores a record of key with status st, last updated at.
func put(t *testing.T, s *sqliterecords.Store, key string, st media.Status, at time.Time) string {
	t.Helper()
	id := media.ID("b", key)
	seq := fmt.Sprintf("%016X", at.UnixNano())
	c := media.Claim{ID: id, Bucket: "b", Key: key, Sequencer: seq, Owner: "o", Now: at, Until: at.Add(time.Minute)}
	if err := s.Claim(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if st != media.StatusProcessing {
		rec := media.Record{ID: id, Bucket: "b", Key: key, Sequencer: seq, Owner: "o", Status: st, CreatedAt: at, UpdatedAt: at}
		if err := s.Commit(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// all pages through ListNewest with opts and returns the keys in order.
func all(t *testing.T, s *sqliterecords.Store, opts sqliterecords.NewestOptions) []string {
	t.Helper()
	var keys []string
	for range 100 {
		recs, next, err := s.ListNewest(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if next != "" && len(recs) != opts.Limit {
			t.Fatalf("a page of %d before the end (limit %d)", len(recs), opts.Limit)
		}
		for _, r := range recs {
			keys = append(keys, r.Key)
		}
		if next == "" {
			return keys
		}
		opts.After = next
	}
	t.Fatal("no end of pages")
	return nil
}

func TestStore_ListNewest(t *testing.T) {
	s := newStore(t)
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	put(t, s, "uploads/a.jpg", media.StatusProcessed, t0)
	put(t, s, "uploads/b.jpg", media.StatusRejected, t0.Add(time.Minute))
	put(t, s, "uploads/c.jpg", media.StatusProcessed, t0.Add(2*time.Minute))
	put(t, s, "other/d.jpg", media.StatusProcessing, t0.Add(3*time.Minute))
	// Two records updated in the same millisecond: ordered by id, newest
	// first meaning the greater id first, and a page boundary between
	// them loses neither.
	tie1 := put(t, s, "uploads/tie1.jpg", media.StatusProcessed, t0.Add(4*time.Minute+500*time.Microsecond))
	tie2 := put(t, s, "uploads/tie2.jpg", media.StatusProcessed, t0.Add(4*time.Minute+500*time.Microsecond))
	ties := []string{"uploads/tie1.jpg", "uploads/tie2.jpg"}
	if tie1 < tie2 {
		ties[0], ties[1] = ties[1], ties[0]
	}
	put(t, s, "\U0010FFFF", media.StatusProcessed, t0.Add(-time.Hour))
	put(t, s, "\U0010FFFFz", media.StatusProcessed, t0.Add(-2*time.Hour))

	newest := append(slices.Clone(ties), "other/d.jpg", "uploads/c.jpg", "uploads/b.jpg", "uploads/a.jpg", "\U0010FFFF", "\U0010FFFFz")
	for _, tc := range []struct {
		name string
		opts sqliterecords.NewestOptions
		want []string
	}{
		{"all", sqliterecords.NewestOptions{}, newest},
		{"one a page", sqliterecords.NewestOptions{Limit: 1}, newest},
		{"three a page", sqliterecords.NewestOptions{Limit: 3}, newest},
		{"status", sqliterecords.NewestOptions{Status: media.StatusProcessed, Limit: 2},
			append(slices.Clone(ties), "uploads/c.jpg", "uploads/a.jpg", "\U0010FFFF", "\U0010FFFFz")},
		{"prefix", sqliterecords.NewestOptions{Prefix: "uploads/", Limit: 2}, append(slices.Clone(ties), "uploads/c.jpg", "uploads/b.jpg", "uploads/a.jpg")},
		{"prefix at the top of Unicode", sqliterecords.NewestOptions{Prefix: "\U0010FFFF"}, []string{"\U0010FFFF", "\U0010FFFFz"}},
		{"since inclusive", sqliterecords.NewestOptions{Since: t0.Add(time.Minute)}, append(slices.Clone(ties), "other/d.jpg", "uploads/c.jpg", "uploads/b.jpg")},
		{"until exclusive", sqliterecords.NewestOptions{Until: t0.Add(time.Minute)}, []string{"uploads/a.jpg", "\U0010FFFF", "\U0010FFFFz"}},
		{"until within the millisecond", sqliterecords.NewestOptions{Until: t0.Add(time.Minute + time.Millisecond)}, []string{"uploads/b.jpg", "uploads/a.jpg", "\U0010FFFF", "\U0010FFFFz"}},
		{"status, prefix and time", sqliterecords.NewestOptions{Status: media.StatusProcessed, Prefix: "uploads/", Since: t0, Until: t0.Add(4 * time.Minute)},
			[]string{"uploads/c.jpg", "uploads/a.jpg"}},
		{"nothing", sqliterecords.NewestOptions{Prefix: "elsewhere/"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := all(t, s, tc.opts); !slices.Equal(got, tc.want) {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}

	t.Run("a record updated while paging moves ahead", func(t *testing.T) {
		recs, next, err := s.ListNewest(t.Context(), sqliterecords.NewestOptions{Limit: 3})
		if err != nil || len(recs) != 3 || next == "" {
			t.Fatalf("page 1: %d records, %q, %v", len(recs), next, err)
		}
		put(t, s, "uploads/a.jpg", media.StatusDeleted, t0.Add(time.Hour))
		rest := all(t, s, sqliterecords.NewestOptions{After: next, Limit: 3})
		if want := []string{"uploads/c.jpg", "uploads/b.jpg", "\U0010FFFF", "\U0010FFFFz"}; !slices.Equal(rest, want) {
			t.Fatalf("after the update: %q, want %q", rest, want)
		}
	})

	for _, c := range []string{"nonsense", "NaN/x", "/x", "1.5"} {
		if _, _, err := s.ListNewest(t.Context(), sqliterecords.NewestOptions{After: c}); !errors.Is(err, sqliterecords.ErrInvalidCursor) {
			t.Errorf("cursor %q: %v, want ErrInvalidCursor", c, err)
		}
	}
}
