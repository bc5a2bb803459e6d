package dynamostore_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rampartdev/rampart/idempotency"
	"github.com/rampartdev/rampart/internal/testenv"
)

// powertools runs testdata/powertools/interop.mjs: the real Powertools for
// AWS Lambda (TypeScript) idempotency package, pinned by its lockfile and
// installed by tools/testenv (npm ci), against the fixture's table. One
// Node process serves every command, one JSON line each way.
type powertools struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

func newPowertools(t *testing.T, table string) *powertools {
	t.Helper()
	node := testenv.Command(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "powertools"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-lambda-powertools", "idempotency")); err != nil {
		testenv.Missing(t, "Powertools for AWS Lambda is not installed in "+dir+" (npm ci; tools/testenv does it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cmd := exec.CommandContext(ctx, node, "interop.mjs", table)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close() // interop.mjs ends at the end of its input
		if err := cmd.Wait(); err != nil {
			t.Errorf("interop.mjs: %v\n%s", err, stderr.String())
		}
		cancel()
	})
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &powertools{t: t, in: in, out: sc}
}

// run runs one command of interop.mjs on event and decodes its answer.
func (p *powertools) run(command string, event any, arg string) map[string]any {
	p.t.Helper()
	line, _ := json.Marshal(map[string]any{"cmd": command, "event": event, "arg": arg})
	if _, err := p.in.Write(append(line, '\n')); err != nil {
		p.t.Fatalf("interop.mjs %s: %v", command, err)
	}
	if !p.out.Scan() {
		p.t.Fatalf("interop.mjs %s: no answer (%v)", command, p.out.Err())
	}
	var m map[string]any
	if err := json.Unmarshal(p.out.Bytes(), &m); err != nil {
		p.t.Fatalf("interop.mjs %s answered %q: %v", command, p.out.Bytes(), err)
	}
	if m["error"] == "UnknownCommand" || (command != "invoke" && m["error"] != nil) {
		p.t.Fatalf("interop.mjs %s: %v", command, m)
	}
	return m
}

func (p *powertools) key(event any) string {
	p.t.Helper()
	k, _ := p.run("key", event, "")["key"].(string)
	if k == "" {
		p.t.Fatal("interop.mjs gave no key")
	}
	return k
}

func interopEvent(t *testing.T, order int) map[string]any {
	return map[string]any{"order": order, "test": t.Name(), "nonce": rand.Text()}
}

// TestPowertools_Interop shares one table between Rampart's store and the
// real Powertools for AWS Lambda (TypeScript), in both directions: each
// reads, takes over and refuses what the other writes as its own protocol
// says.
func TestPowertools_Interop(t *testing.T) {
	f := newFixture(t, "", nil)
	pt := newPowertools(t, f.table)
	ctx := t.Context()

	t.Run("RampartReadsPowertoolsResult", func(t *testing.T) {
		ev := interopEvent(t, 1)
		if r := pt.run("invoke", ev, ""); r["ran"] != true || r["error"] != nil {
			t.Fatalf("Powertools invoke: %v", r)
		}
		key := pt.key(ev)
		rec, err := f.store.Get(ctx, key)
		const want = `{"handledBy":"powertools","items":[1,2],"ok":true,"order":1}` // data is a map
		if err != nil || rec.Status != idempotency.StatusCompleted || string(rec.Result) != want {
			t.Fatalf("Get(%q) = %+v (result %s), %v; want COMPLETED %s", key, rec, rec.Result, err, want)
		}
		var ce *idempotency.ConflictError
		if err := f.store.Acquire(ctx, record(key, "rampart", time.Now()), time.Now()); !errors.As(err, &ce) || string(ce.Existing.Result) != want {
			t.Errorf("Acquire on Powertools' live record = %v; want a conflict carrying %s", err, want)
		}
		if err := f.store.Delete(ctx, key); err != nil { // what inspection's evict does after Get
			t.Fatal(err)
		}
		if r := pt.run("invoke", ev, ""); r["ran"] != true {
			t.Errorf("after the eviction Powertools did not run again: %v", r)
		}
	})

	t.Run("RampartTakesOverPowertoolsLease", func(t *testing.T) {
		ev := interopEvent(t, 2)
		key := pt.key(ev)
		pt.run("inprogress", ev, "1") // a Powertools holder with 1 ms left, then gone
		now := time.Now().Add(2 * time.Second)
		rec := record(key, "rampart", now)
		if err := f.store.Acquire(ctx, rec, now); err != nil {
			t.Fatalf("Acquire after Powertools' lease ended: %v", err)
		}
		// Rampart's live lease keeps Powertools out...
		if r := pt.run("invoke", ev, ""); r["ran"] != false || r["error"] != "IdempotencyAlreadyInProgressError" {
			t.Errorf("Powertools during Rampart's lease: %v; want IdempotencyAlreadyInProgressError", r)
		}
		// ...and Powertools replays Rampart's result (stored as a string, as
		// Powertools for Python stores it; TypeScript hands it back as such).
		rec.Result, rec.Status, rec.Expiry = []byte(`{"handledBy":"rampart"}`), idempotency.StatusCompleted, now.Add(time.Hour)
		if err := f.store.Complete(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if r := pt.run("invoke", ev, ""); r["ran"] != false || r["result"] != `{"handledBy":"rampart"}` {
			t.Errorf("Powertools after Rampart completed: %v; want Rampart's result replayed", r)
		}
	})

	t.Run("PowertoolsLeaseHeldForTheSkewMargin", func(t *testing.T) {
		// Powertools writes its lease at its deadline, with no margin: a
		// Rampart process whose clock runs ahead of the Powertools
		// holder's by less than the margin must not take it over yet.
		ev := interopEvent(t, 5)
		key := pt.key(ev)
		pt.run("inprogress", ev, "1000")
		ends := time.UnixMilli(attrN(f.rawItem(t, map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}}), "in_progress_expiration"))
		ahead := ends.Add(idempotency.DefaultSkewMargin / 2)
		var ce *idempotency.ConflictError
		err := f.store.Acquire(ctx, record(key, "rampart", ahead), ahead)
		if !errors.As(err, &ce) || ce.Existing.Status != idempotency.StatusInProgress || !ce.Existing.InProgressExpiry.Equal(ends.Add(idempotency.DefaultSkewMargin)) {
			t.Fatalf("Acquire half a margin after Powertools' lease = %v; want a conflict with the lease ending a margin after %v", err, ends)
		}
		if rec, err := f.store.Get(ctx, key); err != nil || !rec.Live(ahead) {
			t.Errorf("Get = %+v, %v; want the record live half a margin after its lease", rec, err)
		}
		past := ends.Add(idempotency.DefaultSkewMargin)
		if err := f.store.Acquire(ctx, record(key, "rampart", past), past); err != nil {
			t.Errorf("Acquire a margin after Powertools' lease = %v; want a takeover", err)
		}
	})

	t.Run("PowertoolsTakesOverRampartLease", func(t *testing.T) {
		ev := interopEvent(t, 3)
		key := pt.key(ev)
		now := time.Now()
		rec := record(key, "rampart-crashed", now)
		rec.InProgressExpiry = now.Add(-time.Second) // its lease has ended
		if err := f.store.Acquire(ctx, rec, now.Add(-2*time.Second)); err != nil {
			t.Fatal(err)
		}
		if r := pt.run("invoke", ev, ""); r["ran"] != true {
			t.Fatalf("Powertools on Rampart's ended lease: %v; want it to take over and run", r)
		}
		late := rec
		late.Status, late.Result, late.Expiry = idempotency.StatusCompleted, []byte("late"), now.Add(time.Hour)
		if err := f.store.Complete(ctx, late); !errors.Is(err, idempotency.ErrFenced) {
			t.Errorf("the crashed Rampart holder's Complete = %v; want ErrFenced", err)
		}
		if got, err := f.store.Get(ctx, key); err != nil || string(got.Result) != `{"handledBy":"powertools","items":[1,2],"ok":true,"order":3}` {
			t.Errorf("Get = %s, %v; want Powertools' result", got.Result, err)
		}
	})

	t.Run("PowertoolsZombieCompletesRampartRecord", func(t *testing.T) {
		// A Powertools holder outlives its lease, Rampart takes over, then the
		// Powertools holder finishes: its completion is an unconditional
		// update that keeps Rampart's owner.
		ev := interopEvent(t, 4)
		key := pt.key(ev)
		pt.run("inprogress", ev, "1")
		now := time.Now().Add(2 * time.Second)
		rec := record(key, "rampart", now)
		if err := f.store.Acquire(ctx, rec, now); err != nil {
			t.Fatal(err)
		}
		pt.run("success", ev, `{"by":"zombie"}`)
		rec.Status, rec.Result, rec.Expiry = idempotency.StatusCompleted, []byte("ours"), now.Add(time.Hour)
		if err := f.store.Complete(ctx, rec); !errors.Is(err, idempotency.ErrForeignCompletion) {
			t.Errorf("Complete after Powertools' completion = %v; want ErrForeignCompletion", err)
		}
		if got, err := f.store.Get(ctx, key); err != nil || string(got.Result) != `{"by":"zombie"}` {
			t.Errorf("Get = %s, %v; want the Powertools result that the table holds", got.Result, err)
		}
	})

	t.Run("PowertoolsZombieFailureDeletesRampartRecord", func(t *testing.T) {
		// A Powertools holder outlives its lease and margin, Rampart takes
		// over, then the Powertools handler fails: Powertools deletes the
		// record unconditionally. Rampart cannot fence that delete; its
		// holder's Complete is ErrFenced (never a success), and the next
		// delivery acquires at once.
		ev := interopEvent(t, 6)
		key := pt.key(ev)
		pt.run("inprogress", ev, "1")
		now := time.Now().Add(2 * idempotency.DefaultSkewMargin)
		rec := record(key, "rampart", now)
		if err := f.store.Acquire(ctx, rec, now); err != nil {
			t.Fatal(err)
		}
		pt.run("delete", ev, "")
		if _, err := f.store.Get(ctx, key); !errors.Is(err, idempotency.ErrNotFound) {
			t.Fatalf("Get after Powertools' delete = %v; want ErrNotFound", err)
		}
		done := rec
		done.Status, done.Result, done.Expiry = idempotency.StatusCompleted, []byte("ours"), now.Add(time.Hour)
		if err := f.store.Complete(ctx, done); !errors.Is(err, idempotency.ErrFenced) {
			t.Errorf("Complete after Powertools deleted the record = %v; want ErrFenced", err)
		}
		if err := f.store.Acquire(ctx, record(key, "next", now), now); err != nil {
			t.Errorf("the next delivery's Acquire = %v; want it acquired", err)
		}
	})
}

// pythonItem returns one item of testdata/powertools-python-items.json, as
// Powertools for AWS Lambda (Python) writes it, stored under id with the
// given expiration (epoch seconds) and in-progress expiration (epoch ms).
func pythonItem(t *testing.T, name, id string, expiration, ipexp int64) map[string]types.AttributeValue {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "powertools-python-items.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var raw map[string]map[string]string
	if err := json.Unmarshal(doc[name], &raw); err != nil {
		t.Fatal(err)
	}
	item := map[string]types.AttributeValue{}
	for attr, v := range raw {
		switch {
		case attr == "id":
			item[attr] = &types.AttributeValueMemberS{Value: id}
		case v["S"] != "":
			item[attr] = &types.AttributeValueMemberS{Value: v["S"]}
		case v["N"] == "EXPIRATION":
			item[attr] = &types.AttributeValueMemberN{Value: strconv.FormatInt(expiration, 10)}
		case v["N"] == "IPEXP":
			item[attr] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ipexp, 10)}
		default:
			t.Fatalf("fixture attribute %s: %v", attr, v)
		}
	}
	return item
}

// Powertools for Python cannot be installed here (PyPI is out of reach), so
// its record format is covered by fixtures taken from its documented
// persistence layer: data as a JSON string, an MD5 hex validation hash.
func TestPowertools_PythonRecords(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := t.Context()
	now := time.Now()
	put := func(item map[string]types.AttributeValue) {
		t.Helper()
		if _, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	g := idempotency.New(f.store, &idempotency.Options{Namespace: "py", Logger: slog.New(slog.DiscardHandler)})
	ran := 0
	fn := func(context.Context) ([]byte, error) { ran++; return []byte("rampart"), nil }

	// A completed record: read as stored, and replayed by the engine even
	// though its validation hash (MD5 hex) is not Rampart's and differs.
	put(pythonItem(t, "completed", g.StoreKey("done"), now.Unix()+600, now.UnixMilli()))
	rec, err := f.store.Get(ctx, g.StoreKey("done"))
	if err != nil || string(rec.Result) != `{"message": "success", "statusCode": 200}` || rec.PayloadHash != "5f3b2a1c9d8e7f6a5b4c3d2e1f0a9b8c" || rec.Owner != "" {
		t.Fatalf("Get = %+v (%s), %v", rec, rec.Result, err)
	}
	res, err := g.Do(ctx, "done", []byte("our payload"), fn)
	if err != nil || string(res) != `{"message": "success", "statusCode": 200}` || ran != 0 {
		t.Errorf("Do on a Python record = %q, %v after %d runs; want its result replayed (a foreign hash is no mismatch)", res, err, ran)
	}

	// An in-progress record within its lease blocks; past it, is taken over.
	put(pythonItem(t, "inprogress", g.StoreKey("busy"), now.Unix()+600, now.UnixMilli()+60_000))
	if _, err := g.Do(ctx, "busy", nil, fn); !errors.Is(err, idempotency.ErrInProgress) {
		t.Errorf("Do during a Python holder's lease = %v; want ErrInProgress", err)
	}
	// Its lease ends at its deadline, without margin: it is held for the
	// skew margin more, then taken over.
	put(pythonItem(t, "inprogress", g.StoreKey("ending"), now.Unix()+600, now.UnixMilli()))
	at := now.Add(idempotency.DefaultSkewMargin / 2) // a clock that does not move on a loaded machine
	atG := idempotency.New(f.store, &idempotency.Options{Namespace: "py", Now: func() time.Time { return at }, Logger: slog.New(slog.DiscardHandler)})
	if _, err := atG.Do(ctx, "ending", nil, fn); !errors.Is(err, idempotency.ErrInProgress) || ran != 0 {
		t.Errorf("Do half a skew margin after a Python holder's lease = %v; want ErrInProgress", err)
	}
	put(pythonItem(t, "inprogress", g.StoreKey("crashed"), now.Unix()+600, now.UnixMilli()-2*idempotency.DefaultSkewMargin.Milliseconds()))
	if res, err := g.Do(ctx, "crashed", nil, fn); err != nil || string(res) != "rampart" || ran != 1 {
		t.Errorf("Do after a Python holder's lease = %q, %v; want a takeover", res, err)
	}
}
