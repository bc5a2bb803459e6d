package devserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/devserver"
)

func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// deadLetterServer returns a server with writes allowed that has received
// the messages given once each: the malformed ones are dead letters.
func deadLetterServer(t *testing.T, bodies ...string) (*devserver.Server, string) {
	t.Helper()
	// A failed message comes back (and dies) after the visibility timeout.
	s := MustOpen(t, t.TempDir(), io.Discard, func(o *devserver.Options) {
		o.MaxReceiveCount, o.AllowWrites, o.Workers, o.VisibilityTimeout = 1, true, 1, 300*time.Millisecond
	})
	t.Cleanup(func() { s.Close() })
	for _, b := range bodies {
		if _, err := s.Queue().Send(t.Context(), []byte(b), nil); err != nil {
			t.Fatal(err)
		}
	}
	start(t, s)
	waitFor(t, 30*time.Second, "dead letters", func() bool {
		st, _ := s.Queue().Stats(context.Background())
		return st.DeadLetters > 0 && st.Visible+st.InFlight == 0 // the good ones deleted, the bad dead
	})
	return s, serve(t, s).URL
}

// TestAPI_deadLettersKeepTheirOwnError: each dead letter keeps its own
// message's error, whether its whole batch failed (not the first record's
// error for all) or only part of it (not "reported in batchItemFailures").
func TestAPI_deadLettersKeepTheirOwnError(t *testing.T) {
	t.Parallel() // waits on sleeps and child processes more than it computes
	t.Run("whole batch", func(t *testing.T) { testOwnErrors(t) })
	t.Run("part of the batch", func(t *testing.T) { testOwnErrors(t, `{"Service":"Amazon S3","Event":"s3:TestEvent"}`) })
}

func testOwnErrors(t *testing.T, good ...string) {
	s, _ := deadLetterServer(t, append([]string{"not json", `{"neither":"an S3 notification"}`}, good...)...)
	dl, _, err := s.Queue().DeadLetters(t.Context(), "", 0)
	if err != nil || len(dl) != 2 {
		t.Fatalf("%v %v", dl, err)
	}
	for _, d := range dl {
		want := "body is not a JSON object"
		if strings.HasPrefix(string(d.Body), "{") {
			want = "neither an S3 notification, an SNS notification nor an EventBridge event"
		}
		if !strings.Contains(d.LastError, want) || strings.Contains(d.LastError, "records failed") {
			t.Errorf("dead letter %s: last error %q, want its own (%q)", d.Body, d.LastError, want)
		}
	}
}

// TestAPI_redriveSelects: the body of POST /queue/redrive picks the dead
// letters moved back, by id or by count (the oldest), and none means all.
func TestAPI_redriveSelects(t *testing.T) {
	t.Parallel() // waits on sleeps more than it computes
	s := MustOpen(t, t.TempDir(), io.Discard, func(o *devserver.Options) { o.MaxReceiveCount = 1; o.AllowWrites = true })
	defer s.Close()
	ctx := t.Context()
	for _, b := range []string{"a", "b", "c", "d", "e"} {
		s.Queue().Send(ctx, []byte(b), nil)
	}
	// No workers: receive, fail, and the next receive dead-letters them.
	msgs, _ := s.Queue().Receive(ctx, 10, 0)
	for _, m := range msgs {
		s.Queue().Fail(ctx, m.ReceiptHandle, "failed "+string(m.Body), 0)
	}
	if again, _ := s.Queue().Receive(ctx, 10, 0); len(again) != 0 {
		t.Fatalf("received %d", len(again))
	}
	dl, _, _ := s.Queue().DeadLetters(ctx, "", 0)
	if len(dl) != 5 {
		t.Fatalf("%d dead letters", len(dl))
	}
	base := serve(t, s).URL
	remaining := func() (ids []string) {
		d, _, _ := s.Queue().DeadLetters(ctx, "", 0)
		for _, x := range d {
			ids = append(ids, string(x.Body))
		}
		return ids
	}
	for _, tc := range []struct {
		body string
		n    int
		left string
	}{
		{`{"ids":["` + dl[3].ID + `"]}`, 1, "a b c e"},
		{`{"count":2}`, 2, "c e"},
		{`{"ids":["unknown"]}`, 0, "c e"},
		{"", 2, ""},
	} {
		code, body := call(t, "POST", base+"/queue/redrive", tc.body)
		var res struct{ Redriven int }
		json.Unmarshal([]byte(body), &res)
		if code != 200 || res.Redriven != tc.n || strings.Join(remaining(), " ") != tc.left {
			t.Errorf("redrive %s: %d %s, left %v; want %d redriven, %q left", tc.body, code, body, remaining(), tc.n, tc.left)
		}
	}
}

// TestAPI_badRequests: what the API cannot use is a 400 with a reason,
// never a 500 or a silently empty answer.
func TestAPI_badRequests(t *testing.T) {
	t.Parallel() // waits on sleeps more than it computes
	s := MustOpen(t, t.TempDir(), io.Discard, func(o *devserver.Options) { o.AllowWrites = true })
	t.Cleanup(func() { s.Close() })
	base := serve(t, s).URL
	for _, tc := range []struct{ method, path, body, want string }{
		{"GET", "/media?status=bogus", "", "unknown status"},
		{"GET", "/media?after=not-a-cursor!", "", "invalid cursor"},
		{"GET", "/media?limit=-3", "", "limit"},
		{"GET", "/queue/dead?after=xyz", "", "invalid cursor"},
		{"GET", "/objects?limit=abc", "", "limit"},
		{"GET", "/objects/uploads/%ff.jpg", "", "UTF-8"},
		{"HEAD", "/objects/uploads/%2e%2e/x.jpg", "", ""},
		{"DELETE", "/objects/uploads/%2e%2e/x.jpg", "", `segment`},
		{"PUT", "/objects/uploads/%ff.jpg", "x", "UTF-8"},
		{"POST", "/queue/redrive", "{nope", "body"},
		{"POST", "/queue/redrive", `{"ids":["a"],"count":1}`, "not both"},
		{"POST", "/queue/redrive", `{"count":-1}`, "negative"},
		{"POST", "/queue/redrive", `{"idz":["a"]}`, "unknown field"},
	} {
		code, body := call(t, tc.method, base+tc.path, tc.body)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s %s: %d %s, want 400 with %q", tc.method, tc.path, tc.body, code, body, tc.want)
		}
	}
}
