package devserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/rampartdev/rampart/devserver"
	"github.com/rampartdev/rampart/internal/testingutil"
	"github.com/rampartdev/rampart/media"
)

// longKey is a source key of n bytes under uploads/.
func longKey(n int) string { return "uploads/" + strings.Repeat("k", n-len("uploads/")) }

// TestAPI_refusesUnprocessableKeys: a key the thumbnailer could never
// process (its thumbnails' keys over S3's 1,024 bytes) is refused with 400
// and the reason; the longest that works is accepted.
func TestAPI_refusesUnprocessableKeys(t *testing.T) {
	s := MustOpen(t, t.TempDir(), io.Discard, nil) // sizes 256, 128, 64: "derived/256/" is 12 bytes
	defer s.Close()
	base := serve(t, s).URL
	for _, tc := range []struct {
		key  string
		code int
	}{
		{longKey(1012), http.StatusCreated},
		{longKey(1013), http.StatusBadRequest},
		{longKey(1024), http.StatusBadRequest},
		{"notes/" + strings.Repeat("n", 1018), http.StatusCreated}, // outside the source prefix: never thumbnailed
	} {
		code, body := call(t, "PUT", base+"/objects/"+tc.key, "x")
		if code != tc.code || code == 400 && !strings.Contains(body, "keep source keys to 1012 bytes") {
			t.Errorf("PUT a %d-byte key: %d %s, want %d", len(tc.key), code, body, tc.code)
		}
	}
}

// TestThumbnailer_rejectsUnprocessableKeysPermanently sends the events S3
// could deliver for keys the thumbnailer can never process (a ".."
// segment, invalid UTF-8, a derived key over 1,024 bytes) straight into the
// queue: each ends in a rejected record with the reason on its first
// delivery, never in retries or the dead-letter queue.
func TestThumbnailer_rejectsUnprocessableKeysPermanently(t *testing.T) {
	// In a synctest bubble a busy machine cannot run an invocation out of
	// time, which would be a redelivery.
	synctest.Test(t, func(t *testing.T) {
		logs := &testingutil.Buffer{}
		s := MustOpen(t, t.TempDir(), logs, nil)
		defer s.Close()
		keys := []string{"uploads/a/../b.jpg", "uploads/bad-\xff.jpg", longKey(1020)}
		for i, k := range keys {
			ev := events.S3Event{Records: []events.S3EventRecord{{
				EventVersion: "2.1", EventSource: "aws:s3", EventName: "ObjectCreated:Put", EventTime: time.Now(),
				S3: events.S3Entity{Bucket: events.S3Bucket{Name: devserver.DefaultBucket},
					Object: events.S3Object{Key: url.QueryEscape(k), Size: 10, ETag: "0123456789abcdef0123456789abcdef", Sequencer: "0A" + strings.Repeat("0", i+1)}},
			}}}
			b, _ := json.Marshal(ev)
			if _, err := s.Queue().Send(t.Context(), b, nil); err != nil {
				t.Fatal(err)
			}
		}
		start(t, s)
		for _, k := range keys {
			var rec media.Record
			waitFor(t, 30*time.Second, "a final record", func() bool {
				r, err := s.Records().Get(t.Context(), media.ID(devserver.DefaultBucket, k))
				rec = r
				return err == nil && r.Status.Final()
			})
			if rec.Status != media.StatusRejected || !strings.Contains(rec.Reason, "unprocessable key") {
				t.Errorf("%.40q: record %s %q, want rejected with the reason", k, rec.Status, rec.Reason)
			}
		}
		if received, again := redeliveries(t, logs.String()); received != len(keys) || again != 0 {
			t.Errorf("%d deliveries, %d redeliveries: want one delivery each", received, again)
		}
		if st, _ := s.Queue().Stats(t.Context()); st.DeadLetters != 0 {
			t.Errorf("%d dead letters", st.DeadLetters)
		}
	})
}
