package awsstate_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/coldstart"
	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/inspect/awsstate"
	"github.com/rampartdev/rampart/inspect/inspecttest"
	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/media"
)

func ids(p inspect.Page[media.Record]) []string {
	var out []string
	for _, r := range p.Items {
		out = append(out, r.ID)
	}
	return out
}

// TestSource_conformance runs the shared suite over DynamoDB (dynalite)
// and the S3-compatible server.
func TestSource_conformance(t *testing.T) {
	t.Logf("backend: DynamoDB at %s", testenv.DynamoDBEndpoint(t))
	f := mustFixture(t, 0)
	inspecttest.Run(t, mustSource(t, f), inspecttest.Facts{
		Now: f.now, Processed: f.processed, Rejected: f.rejected, Processing: f.processing, OldRejected: f.oldReject,
		RejectedReason: f.rejectedReason, RequestID: f.requestID, Stuck: f.stuck, Completed: f.completed,
		// The platform's START and END text lines are not listed.
		LogLines:      []string{"object uploaded", "object uploaded", "message received", "other work", "object rejected", "http response", "origin timeout"},
		RequestLog:    []string{"object uploaded", "message received", "object rejected", "http response"},
		Queue:         inspect.QueueStats{Visible: 3, InFlight: 2, DeadLetters: 4},
		ColdStartLogs: f.cfg.LogGroups,
	})
}

// TestSource_Media_cursors checks the AWS cursor's own format.
func TestSource_Media_cursors(t *testing.T) {
	f := mustFixture(t, 0)
	s := mustSource(t, f)
	for _, c := range []string{"nonsense", "m1.!!", "m1."} {
		if _, err := s.Media(t.Context(), inspect.MediaQuery{After: c}); !errors.Is(err, inspect.ErrInvalidCursor) {
			t.Errorf("cursor %q: err = %v, want ErrInvalidCursor", c, err)
		}
	}
}

// TestSource_Media_pages pages through a filtered Scan with a page size
// and read budget small enough that pages stop both on the limit and on
// the budget, some of them empty, and checks every record comes exactly
// once.
func TestSource_Media_pages(t *testing.T) {
	f := mustFixture(t, 25)
	s := mustSource(t, f)
	for _, tc := range []struct {
		name         string
		batch, reads int
		q            inspect.MediaQuery
		want         []string
	}{
		{"limit", 1000, 10, inspect.MediaQuery{Limit: 4}, append([]string{f.processing, f.rejected, f.processed, f.oldReject}, f.bulk...)},
		{"budget", 1, 3, inspect.MediaQuery{Limit: 4}, append([]string{f.processing, f.rejected, f.processed, f.oldReject}, f.bulk...)},
		{"selective filter", 2, 2, inspect.MediaQuery{Status: media.StatusRejected, Limit: 1}, []string{f.rejected, f.oldReject}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.SetScanBounds(tc.batch, tc.reads)
			var got []string
			pages, short := 0, 0
			q := tc.q
			for {
				p, err := s.Media(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(p.Items) > inspect.PageSize(q.Limit) {
					t.Fatalf("page of %d items, limit %d", len(p.Items), q.Limit)
				}
				if len(p.Items) < inspect.PageSize(q.Limit) && p.Next != "" {
					short++
				}
				got = append(got, ids(p)...)
				if p.Next == "" {
					break
				}
				if pages > 100 {
					t.Fatal("no end of pages")
				}
				q.After = p.Next
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("paged %d records, want %d:\n%v\n%v", len(got), len(want), got, want)
			}
			if tc.name != "limit" && short == 0 {
				t.Errorf("no short page in %d pages with a read budget of %d x %d", pages, tc.reads, tc.batch)
			}
			t.Logf("%d pages, %d short", pages, short)
		})
	}
}

func TestFilterPattern(t *testing.T) {
	for _, tc := range []struct {
		q    inspect.LogQuery
		want string
	}{
		{inspect.LogQuery{}, ""},
		{inspect.LogQuery{Contains: "timeout"}, ""},
		{inspect.LogQuery{MinLevel: "DEBUG"}, ""},
		{inspect.LogQuery{CorrelationID: "R1"}, `{ ($.correlation_id = "R1") || ($.request_id = "R1") || ($.requestId = "R1") || ($.correlationId = "R1") || ($.sqs_message_id = "R1") || ($.sns_message_id = "R1") || ($.s3_request_id = "R1") || ($.api_request_id = "R1") }`},
		{inspect.LogQuery{MinLevel: "warn"}, `{ ($.level = "WARN*") || ($.level = "ERROR*") || ($.level = "FATAL*") }`},
		{inspect.LogQuery{MinLevel: "INFO+2"}, `{ ($.level = "INFO*") || ($.level = "WARN*") || ($.level = "ERROR*") || ($.level = "FATAL*") }`},
		{inspect.LogQuery{CorrelationID: "R1", MinLevel: "ERROR"},
			`{ (($.correlation_id = "R1") || ($.request_id = "R1") || ($.requestId = "R1") || ($.correlationId = "R1") || ($.sqs_message_id = "R1") || ($.sns_message_id = "R1") || ($.s3_request_id = "R1") || ($.api_request_id = "R1")) && (($.level = "ERROR*") || ($.level = "FATAL*")) }`},
	} {
		got, err := awsstate.FilterPattern(tc.q)
		if err != nil || got != tc.want {
			t.Errorf("FilterPattern(%+v) = %s, %v\nwant %s", tc.q, got, err, tc.want)
		}
	}
	if _, err := awsstate.FilterPattern(inspect.LogQuery{CorrelationID: `a"b`}); err == nil {
		t.Error("a quote in the request id: no error")
	}
}

func TestSource_Logs(t *testing.T) {
	f := mustFixture(t, 0)
	s := mustSource(t, f)
	ctx := t.Context()
	msgs := func(p inspect.Page[inspect.LogEntry]) string {
		var out []string
		for _, e := range p.Items {
			out = append(out, e.Message)
		}
		return strings.Join(out, ",")
	}
	t.Run("everything request X logged, across groups, oldest first", func(t *testing.T) {
		p, err := s.Logs(ctx, inspect.LogQuery{CorrelationID: f.requestID})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := msgs(p), "object uploaded,message received,object rejected,http response"; got != want || p.Next != "" {
			t.Fatalf("got %s (next %q), want %s", got, p.Next, want)
		}
		if p.Items[0].Stream != apiGroup+":2026/01/01/[$LATEST]abc" || p.Items[2].Level != "WARN" || p.Items[2].Attrs["reason"] != f.rejectedReason {
			t.Fatalf("entries: %+v", p.Items)
		}
		for _, r := range f.logs.Requests() {
			if !strings.Contains(r.FilterPattern, `$.correlation_id = "`+f.requestID+`"`) || r.Limit == nil || *r.Limit != awsstate.LogBatch {
				t.Fatalf("request without the request id's filter pattern: %+v", r)
			}
		}
	})
	t.Run("bad cursor", func(t *testing.T) {
		for _, c := range []string{"nonsense", "l1.e30", "l1." + "W10"} {
			if _, err := s.Logs(ctx, inspect.LogQuery{After: c}); !errors.Is(err, inspect.ErrInvalidCursor) {
				t.Errorf("cursor %q: %v", c, err)
			}
		}
	})
	t.Run("missing group", func(t *testing.T) {
		cfg := f.cfg
		cfg.LogGroups = []string{"/aws/lambda/missing"}
		s2, err := awsstate.New(cfg, f.clients, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s2.Logs(ctx, inspect.LogQuery{}); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") || !strings.Contains(err.Error(), "/aws/lambda/missing") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSource_ColdStartLogs(t *testing.T) {
	f := mustFixture(t, 0)
	t0 := f.now.Add(-time.Hour)
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Minute).UnixMilli()
		id := strings.Repeat(string(rune('a'+i)), 8)
		report := "REPORT RequestId: " + id + "\tDuration: 90.00 ms\tBilled Duration: 90 ms\tMemory Size: 512 MB\tMax Memory Used: 50 MB\t"
		if i == 0 {
			report += "Init Duration: 800.00 ms\t"
		}
		f.logs.Add(thumbnailerGroup,
			fakeEvent(at, "START RequestId: "+id+" Version: $LATEST"),
			fakeEvent(at+90, "END RequestId: "+id),
			fakeEvent(at+90, report))
	}
	s := mustSource(t, f)
	src, names, err := s.ColdStartLogs(t.Context())
	if err != nil || !slices.Equal(names, f.cfg.LogGroups) {
		t.Fatalf("ColdStartLogs = %v, %v", names, err)
	}
	rep, err := coldstart.Analyze(t.Context(), src, &coldstart.Options{SkipPlan: true})
	if err != nil {
		t.Fatal(err)
	}
	var th *coldstart.FunctionReport
	for _, fr := range rep.Functions {
		if fr.Function == "rampart-thumbnailer" {
			th = fr
		}
	}
	if th == nil || th.Invocations != 5 || th.ColdStarts.Total() != 1 || th.MemoryMB != 512 {
		t.Fatalf("report: %+v", rep.Functions)
	}
	for _, r := range f.logs.Requests() {
		if r.StartTime == nil || *r.StartTime != f.now.Add(-awsstate.DefaultColdStartWindow).UnixMilli() {
			t.Fatalf("request without the window: %+v", r)
		}
	}
}

func TestSource_Queue(t *testing.T) {
	f := mustFixture(t, 0)
	s := mustSource(t, f)
	ctx := t.Context()
	st, err := s.Queue(ctx)
	if err != nil || st.Visible != 3 || st.InFlight != 2 || st.DeadLetters != 4 {
		t.Fatalf("stats = %+v, %v", st, err)
	}
	// SQS cannot list a queue without receiving it: the source is no
	// DeadLetterLister, and says why.
	if _, ok := any(s).(inspect.DeadLetterLister); ok {
		t.Fatal("the AWS source claims to list dead letters")
	}
	if why := inspect.WhyNot(s, inspect.DeadLetterListing); !strings.Contains(why, "without receiving") {
		t.Fatalf("why no dead letters: %q", why)
	}
	if _, err := s.Redrive(ctx, "some-id"); !errors.Is(err, inspect.ErrNotSupported) {
		t.Fatalf("redrive by id: %v", err)
	}
	n, err := s.Redrive(ctx)
	if err != nil || n != 4 {
		t.Fatalf("redrive = %d, %v", n, err)
	}
	if len(f.sqs.moves) != 1 || *f.sqs.moves[0].SourceArn != "arn:aws:sqs:eu-central-1:000000000000:media-events-dlq" ||
		*f.sqs.moves[0].DestinationArn != "arn:aws:sqs:eu-central-1:000000000000:media-events" {
		t.Fatalf("moves: %+v", f.sqs.moves)
	}
	if st, _ = s.Queue(ctx); st.DeadLetters != 0 || st.Visible != 7 {
		t.Fatalf("after redrive: %+v", st)
	}
}

// TestSource_notConfigured checks that every question about a resource
// the Config leaves out is ErrNotSupported with a message naming what to
// configure, and that a resource without its client is refused.
func TestSource_notConfigured(t *testing.T) {
	s, err := awsstate.New(awsstate.Config{}, awsstate.Clients{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_, e1 := s.Media(ctx, inspect.MediaQuery{})
	_, e2 := s.MediaRecord(ctx, "x")
	_, e3 := s.MediaCounts(ctx)
	_, e4 := s.Idempotency(ctx, inspect.IdempotencyQuery{})
	_, e5 := s.EvictIdempotency(ctx, "x")
	_, e6 := s.Objects(ctx, inspect.ObjectQuery{})
	_, e7 := s.Object(ctx, "x")
	_, _, e8 := s.ObjectBody(ctx, "x")
	_, e9 := s.Queue(ctx)
	_, e10 := s.Redrive(ctx)
	_, e11 := s.Logs(ctx, inspect.LogQuery{})
	for i, err := range []error{e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11} {
		if !errors.Is(err, inspect.ErrNotSupported) {
			t.Errorf("call %d: %v, want ErrNotSupported", i+1, err)
		}
	}
	if !strings.Contains(e1.Error(), "--media-table") || !strings.Contains(e11.Error(), "--log-group") {
		t.Errorf("messages do not say what to configure: %v; %v", e1, e11)
	}
	if _, _, err := s.ColdStartLogs(ctx); !errors.Is(err, inspect.ErrNotFound) {
		t.Errorf("cold-start logs: %v", err)
	}
	if _, err := awsstate.New(awsstate.Config{MediaTable: "t", LogGroups: []string{"g"}}, awsstate.Clients{}, nil); err == nil ||
		!strings.Contains(err.Error(), "DynamoDB, CloudWatch Logs") {
		t.Errorf("resources without clients: %v", err)
	}
	if _, ok := any(s).(inspect.TokenLister); ok {
		t.Error("the AWS source claims to list gateway tokens")
	}
	if why := inspect.WhyNot(s, inspect.TokenListing); !strings.Contains(why, "not kept on AWS") {
		t.Errorf("why no tokens: %q", why)
	}
	if name, loc := s.Backend(); name != "aws" || loc != "" {
		t.Errorf("Backend = %q, %q", name, loc)
	}
}
