package media_test

import (
	"encoding/json"
	"errors"
	"flag"
	"slices"
	"testing"

	"github.com/rampartdev/rampart/internal/testenv"
	"github.com/rampartdev/rampart/internal/testingutil"
	"github.com/rampartdev/rampart/media"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/events.golden.json from the code under test")

// eventsOutcome is what FromSQSBody made of one body: the events'
// idempotency keys, or the class of its error.
type eventsOutcome struct {
	Keys []string `json:"keys,omitempty"`
	Err  string   `json:"err,omitempty"` // "test event" or "bad event"
}

func bodyOutcome(body string) eventsOutcome {
	evs, err := media.FromSQSBody(body)
	var ee *media.EventError
	switch {
	case errors.Is(err, media.ErrTestEvent):
		return eventsOutcome{Err: "test event"}
	case errors.As(err, &ee):
		return eventsOutcome{Err: "bad event"}
	case err != nil:
		return eventsOutcome{Err: err.Error()}
	}
	var o eventsOutcome
	for _, e := range evs {
		o.Keys = append(o.Keys, e.IdempotencyKey())
	}
	return o
}

// The thumbnailer's idempotency keys of every S3 event in the samples (the
// media service's, the idempotency engine's and aws-lambda-go's, as SQS
// bodies and inside SNS) are those the release before the shared decoder
// (internal/s3event) derived, recorded in testdata/events.golden.json: a
// changed key would process an event again after an upgrade.
func TestFromSQSBody_golden(t *testing.T) {
	const path = "testdata/events.golden.json"
	got := map[string]eventsOutcome{}
	for n, body := range testenv.Samples(t, "testdata/*.json", "../idempotency/testdata/*.json") {
		got[n] = bodyOutcome(body)
		env, err := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m", "Message": body})
		if err != nil {
			t.Fatal(err)
		}
		got["sns "+n] = bodyOutcome(string(env))
	}
	want := testingutil.GoldenMap(t, path, got, *updateGolden, func(g, w eventsOutcome) bool {
		return slices.Equal(g.Keys, w.Keys) && g.Err == w.Err
	})
	keyed := 0
	for _, w := range want {
		if len(w.Keys) > 0 {
			keyed++
		}
	}
	if keyed < 8 {
		t.Errorf("only %d keyed bodies in %s; want the samples' events", keyed, path)
	}
}
