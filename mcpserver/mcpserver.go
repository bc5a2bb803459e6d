package mcpserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rampartdev/rampart/coldstart"
	"github.com/rampartdev/rampart/coldstart/logsource"
	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/media"
)

// Page sizes of the tools: smaller than the read model's, since every item
// ends up in a model's context.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Options configure [New]. The zero value (or nil) is a read-only server.
type Options struct {
	// AllowWrites adds the tools that change state (evict an idempotency
	// record, redrive dead letters). They need a source that implements
	// [inspect.Writer].
	AllowWrites bool
	// ColdStartDirs are the folders whose files analyze_cold_starts may
	// read when a call names paths: each path, symbolic links resolved,
	// must lie inside one of them (after theirs are resolved too), so a
	// client, possibly over HTTP, cannot make the server read any file it
	// can. Empty refuses every path: only the backend's own cold-start logs
	// ([inspect.Source.ColdStartLogs]) are analysed.
	ColdStartDirs []string
	// Version is the server version reported to clients.
	Version string
	// Now is the clock of relative time filters; nil means time.Now.
	Now func() time.Time
	// Logger receives a record per tool call; nil means discard.
	Logger *slog.Logger
}

// New returns an MCP server whose tools answer from src. Tool errors
// (bad input, missing records, backend failures) come back as tool results
// with IsError set and a clear message; they never stop the server.
func New(src inspect.Source, opts *Options) *mcp.Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	t := &tools{src: src, o: o}
	t.writer, _ = src.(inspect.Writer)
	if !o.AllowWrites {
		t.writer = nil
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "rampart", Title: "Rampart inspection", Version: o.Version}, &mcp.ServerOptions{
		Instructions: t.instructions(),
		Logger:       o.Logger,
	})
	t.register(s)
	if t.writer != nil {
		t.registerWrites(s, t.writer)
	}
	return s
}

type tools struct {
	src    inspect.Source
	writer inspect.Writer // nil unless writes are allowed
	o      Options
}

// capabilities are the optional capabilities of the source with the tools
// each one brings.
var capabilities = []struct {
	c     inspect.Capability
	tools []string
}{
	{inspect.DeadLetterListing, []string{"list_dead_letters"}},
	{inspect.TokenListing, []string{"list_gateway_tokens"}},
	{inspect.Writing, []string{"evict_idempotency_record", "redrive_dead_letters"}},
}

// capability reports whether the server offers c's tools and, when it does
// not, why.
func (t *tools) capability(c inspect.Capability) (bool, string) {
	if c == inspect.Writing {
		switch {
		case t.writer != nil:
			return true, ""
		case !t.o.AllowWrites:
			return false, "writes are not allowed: the server was started read-only (rampart mcp --allow-writes offers them)"
		}
	}
	if inspect.Has(t.src, c) {
		return true, ""
	}
	return false, inspect.WhyNot(t.src, c)
}

// instructions are the server's instructions: what it reads, and what
// this backend cannot answer and why, so that a model says so instead of
// looking for a tool that is not there.
func (t *tools) instructions() string {
	backend, where := t.src.Backend()
	var b strings.Builder
	b.WriteString("View of a Rampart media service's live state (" + backend + ": " + where + "): " +
		"media records of uploads and why they were rejected, idempotency records (stuck ones too), objects, " +
		"the queue")
	if ok, _ := t.capability(inspect.DeadLetterListing); ok {
		b.WriteString(" and dead-letter queue")
	}
	b.WriteString(", structured logs by request id, cold-start analysis")
	if ok, _ := t.capability(inspect.TokenListing); ok {
		b.WriteString(" and gateway tokens")
	}
	b.WriteString(". Times are RFC 3339; listings are paginated: pass the returned next cursor to get more.")
	for _, c := range capabilities {
		if ok, why := t.capability(c.c); !ok && c.c != inspect.Writing {
			fmt.Fprintf(&b, " Not available on this backend: %s (%s), because %s.", c.c, strings.Join(c.tools, ", "), why)
		}
	}
	if t.writer == nil {
		b.WriteString(" Read-only.")
	}
	b.WriteString(" describe_backend lists what this backend offers and why anything is missing.")
	return b.String()
}

func readOnly(title string) *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(false)}
}

// handler wraps a tool's function: it logs the call and turns a panic into
// a tool error.
func handler[In, Out any](t *tools, name string, fn func(ctx context.Context, in In) (Out, error)) mcp.ToolHandlerFor[In, Out] {
	return func(ctx context.Context, _ *mcp.CallToolRequest, in In) (res *mcp.CallToolResult, out Out, err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%s: internal error: %v", name, p)
			}
			lvl := slog.LevelInfo
			if err != nil {
				lvl = slog.LevelWarn
			}
			t.o.Logger.Log(ctx, lvl, "tool call", slog.String("tool", name), slog.Duration("duration", time.Since(start)), slog.Any("error", err))
		}()
		out, err = fn(ctx, in)
		if err != nil {
			err = toolError(err)
		}
		return nil, out, err
	}
}

// toolError phrases an error for a model: what went wrong and what to try.
func toolError(err error) error {
	switch {
	case errors.Is(err, inspect.ErrInvalidCursor):
		return fmt.Errorf("%w; pass the next value returned by the previous call unchanged, or omit cursor to start over", err)
	}
	return err
}

func limit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// TimeRange is the time filter most tools share.
type TimeRange struct {
	Since        string `json:"since,omitempty" jsonschema:"only at or after this time, RFC 3339 (e.g. 2025-06-01T12:00:00Z)"`
	Until        string `json:"until,omitempty" jsonschema:"only before this time, RFC 3339"`
	SinceMinutes int    `json:"since_minutes,omitempty" jsonschema:"only in the last N minutes (e.g. 60 for the last hour); overrides since"`
}

func (r TimeRange) parse(now time.Time) (since, until time.Time, err error) {
	if r.Since != "" {
		if since, err = time.Parse(time.RFC3339Nano, r.Since); err != nil {
			return since, until, fmt.Errorf("since: want an RFC 3339 time such as 2025-06-01T12:00:00Z: %w", err)
		}
	}
	if r.Until != "" {
		if until, err = time.Parse(time.RFC3339Nano, r.Until); err != nil {
			return since, until, fmt.Errorf("until: want an RFC 3339 time such as 2025-06-01T13:00:00Z: %w", err)
		}
	}
	if r.SinceMinutes < 0 {
		return since, until, errors.New("since_minutes must not be negative")
	}
	if r.SinceMinutes > 0 {
		since = now.Add(-time.Duration(r.SinceMinutes) * time.Minute)
	}
	return since, until, nil
}

// ListMediaInput is the input of list_media.
type ListMediaInput struct {
	Status string `json:"status,omitempty" jsonschema:"only records with this status: processed, rejected, processing, deleted or skipped"`
	Prefix string `json:"prefix,omitempty" jsonschema:"only objects whose key starts with this, e.g. uploads/2025/"`
	TimeRange
	Cursor string `json:"cursor,omitempty" jsonschema:"the next value of the previous page"`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, default 20, at most 100"`
}

// ListMediaOutput is the output of list_media.
type ListMediaOutput struct {
	Records []media.Record `json:"records"`
	Next    string         `json:"next,omitempty" jsonschema:"cursor of the next page; absent on the last page"`
}

var statuses = []media.Status{media.StatusProcessed, media.StatusRejected, media.StatusProcessing, media.StatusDeleted, media.StatusSkipped}

func (t *tools) listMedia(ctx context.Context, in ListMediaInput) (ListMediaOutput, error) {
	q := inspect.MediaQuery{Status: media.Status(strings.ToLower(in.Status)), Prefix: in.Prefix, After: in.Cursor, Limit: limit(in.Limit)}
	if q.Status != "" && !containsStatus(q.Status) {
		return ListMediaOutput{}, fmt.Errorf("unknown status %q; use one of processed, rejected, processing, deleted, skipped", in.Status)
	}
	var err error
	if q.Since, q.Until, err = in.parse(t.o.Now()); err != nil {
		return ListMediaOutput{}, err
	}
	p, err := t.src.Media(ctx, q)
	if err != nil {
		return ListMediaOutput{}, err
	}
	if p.Items == nil {
		p.Items = []media.Record{}
	}
	return ListMediaOutput{Records: p.Items, Next: p.Next}, nil
}

func containsStatus(s media.Status) bool {
	for _, v := range statuses {
		if v == s {
			return true
		}
	}
	return false
}

// GetMediaInput is the input of get_media.
type GetMediaInput struct {
	ID  string `json:"id,omitempty" jsonschema:"the media record id (from list_media)"`
	Key string `json:"key,omitempty" jsonschema:"or the source object key, e.g. uploads/cat.jpg"`
}

// GetMediaOutput is the output of get_media.
type GetMediaOutput struct {
	Record media.Record `json:"record"`
	// Source is the source object's metadata; absent when it is gone.
	Source *inspect.Object `json:"source,omitempty"`
	// Logs are the first log lines of the record's correlation id.
	Logs []inspect.LogEntry `json:"logs"`
	// MoreLogs is set when the request logged more; call query_logs.
	MoreLogs bool `json:"moreLogs,omitempty"`
}

func (t *tools) getMedia(ctx context.Context, in GetMediaInput) (GetMediaOutput, error) {
	id := in.ID
	if id == "" {
		if in.Key == "" {
			return GetMediaOutput{}, errors.New("give id or key")
		}
		// The record id is derived from the bucket and key; the bucket is
		// the one the records of this backend carry.
		p, err := t.src.Media(ctx, inspect.MediaQuery{Prefix: in.Key, Limit: inspect.MaxLimit})
		if err != nil {
			return GetMediaOutput{}, err
		}
		for _, r := range p.Items {
			if r.Key == in.Key {
				id = r.ID
			}
		}
		if id == "" {
			return GetMediaOutput{}, fmt.Errorf("no media record for key %q: %w", in.Key, inspect.ErrNotFound)
		}
	}
	rec, err := t.src.MediaRecord(ctx, id)
	if err != nil {
		return GetMediaOutput{}, err
	}
	out := GetMediaOutput{Record: rec, Logs: []inspect.LogEntry{}}
	if obj, err := t.src.Object(ctx, rec.Key); err == nil {
		out.Source = &obj
	} else if !errors.Is(err, inspect.ErrNotFound) {
		return GetMediaOutput{}, err
	}
	if rec.CorrelationID != "" {
		p, err := t.src.Logs(ctx, inspect.LogQuery{CorrelationID: rec.CorrelationID, Limit: 50})
		if err != nil && !errors.Is(err, inspect.ErrNotSupported) {
			return GetMediaOutput{}, err
		}
		out.Logs = append(out.Logs, p.Items...)
		out.MoreLogs = p.Next != ""
	}
	return out, nil
}

// ListIdempotencyInput is the input of list_idempotency_records.
type ListIdempotencyInput struct {
	Status string `json:"status,omitempty" jsonschema:"only INPROGRESS or COMPLETED records"`
	Stuck  bool   `json:"stuck,omitempty" jsonschema:"only records stuck in progress: their lease ended (the worker crashed or overran) and they have not expired"`
	Cursor string `json:"cursor,omitempty" jsonschema:"the next value of the previous page"`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, default 20, at most 100"`
}

// ListIdempotencyOutput is the output of list_idempotency_records.
type ListIdempotencyOutput struct {
	Records []inspect.IdempotencyRecord `json:"records"`
	Next    string                      `json:"next,omitempty"`
}

func (t *tools) listIdempotency(ctx context.Context, in ListIdempotencyInput) (ListIdempotencyOutput, error) {
	st := strings.ToUpper(in.Status)
	if st != "" && st != "INPROGRESS" && st != "COMPLETED" {
		return ListIdempotencyOutput{}, fmt.Errorf("unknown status %q; use INPROGRESS or COMPLETED", in.Status)
	}
	p, err := t.src.Idempotency(ctx, inspect.IdempotencyQuery{Status: st, Stuck: in.Stuck, After: in.Cursor, Limit: limit(in.Limit)})
	if err != nil {
		return ListIdempotencyOutput{}, err
	}
	return ListIdempotencyOutput{Records: nonNil(p.Items), Next: p.Next}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ListObjectsInput is the input of list_objects.
type ListObjectsInput struct {
	Prefix string `json:"prefix,omitempty" jsonschema:"only keys starting with this: uploads/ for sources, derived/<size>/ for thumbnails"`
	Cursor string `json:"cursor,omitempty" jsonschema:"the next value of the previous page"`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, default 20, at most 100"`
}

// ListObjectsOutput is the output of list_objects.
type ListObjectsOutput struct {
	Objects []inspect.Object `json:"objects"`
	Next    string           `json:"next,omitempty"`
}

func (t *tools) listObjects(ctx context.Context, in ListObjectsInput) (ListObjectsOutput, error) {
	p, err := t.src.Objects(ctx, inspect.ObjectQuery{Prefix: in.Prefix, After: in.Cursor, Limit: limit(in.Limit)})
	if err != nil {
		return ListObjectsOutput{}, err
	}
	return ListObjectsOutput{Objects: nonNil(p.Items), Next: p.Next}, nil
}

// HeadObjectInput is the input of head_object.
type HeadObjectInput struct {
	Key string `json:"key" jsonschema:"the object key"`
}

func (t *tools) headObject(ctx context.Context, in HeadObjectInput) (inspect.Object, error) {
	if in.Key == "" {
		return inspect.Object{}, errors.New("key is required")
	}
	return t.src.Object(ctx, in.Key)
}

// QueueOutput is the output of queue_status.
type QueueOutput struct {
	inspect.QueueStats
}

func (t *tools) queueStatus(ctx context.Context, _ struct{}) (QueueOutput, error) {
	st, err := t.src.Queue(ctx)
	return QueueOutput{st}, err
}

// PageInput is the input of paginated tools without filters.
type PageInput struct {
	Cursor string `json:"cursor,omitempty" jsonschema:"the next value of the previous page"`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, default 20, at most 100"`
}

// DeadLettersOutput is the output of list_dead_letters.
type DeadLettersOutput struct {
	DeadLetters []inspect.DeadLetter `json:"deadLetters"`
	Next        string               `json:"next,omitempty"`
}

func listDeadLetters(l inspect.DeadLetterLister) func(context.Context, PageInput) (DeadLettersOutput, error) {
	return func(ctx context.Context, in PageInput) (DeadLettersOutput, error) {
		p, err := l.DeadLetters(ctx, inspect.DeadLetterQuery{After: in.Cursor, Limit: limit(in.Limit)})
		if err != nil {
			return DeadLettersOutput{}, err
		}
		return DeadLettersOutput{DeadLetters: nonNil(p.Items), Next: p.Next}, nil
	}
}

// QueryLogsInput is the input of query_logs.
type QueryLogsInput struct {
	RequestID string `json:"request_id,omitempty" jsonschema:"a request or correlation id (the x-amz-request-id of an upload, a media record's correlationId): every line that request logged"`
	MinLevel  string `json:"min_level,omitempty" jsonschema:"only lines at or above DEBUG, INFO, WARN or ERROR"`
	Contains  string `json:"contains,omitempty" jsonschema:"only lines whose text contains this"`
	TimeRange
	Cursor string `json:"cursor,omitempty" jsonschema:"the next value of the previous page"`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, default 20, at most 100"`
}

// QueryLogsOutput is the output of query_logs.
type QueryLogsOutput struct {
	Lines []inspect.LogEntry `json:"lines"`
	Next  string             `json:"next,omitempty"`
}

func (t *tools) queryLogs(ctx context.Context, in QueryLogsInput) (QueryLogsOutput, error) {
	if !inspect.ValidLevel(in.MinLevel) {
		return QueryLogsOutput{}, fmt.Errorf("unknown level %q; use DEBUG, INFO, WARN or ERROR", in.MinLevel)
	}
	q := inspect.LogQuery{CorrelationID: in.RequestID, MinLevel: in.MinLevel, Contains: in.Contains, After: in.Cursor, Limit: limit(in.Limit)}
	var err error
	if q.Since, q.Until, err = in.parse(t.o.Now()); err != nil {
		return QueryLogsOutput{}, err
	}
	p, err := t.src.Logs(ctx, q)
	if err != nil {
		return QueryLogsOutput{}, err
	}
	return QueryLogsOutput{Lines: nonNil(p.Items), Next: p.Next}, nil
}

// ColdStartInput is the input of analyze_cold_starts.
type ColdStartInput struct {
	Paths []string `json:"paths,omitempty" jsonschema:"Lambda log files to analyse (text or JSON format, plain or gzip), inside the folders the server allows (rampart mcp --coldstart-dir; the data folder's coldstart/ locally); empty means the backend's default cold-start logs"`
}

// ColdStartFunction summarises the analysis of one function.
type ColdStartFunction struct {
	Function    string  `json:"function"`
	Version     string  `json:"version"`
	MemoryMB    int     `json:"memoryMB"`
	Invocations int64   `json:"invocations"`
	ColdStarts  int64   `json:"coldStarts"`
	ColdRate    float64 `json:"coldRate"`
}

// ColdStartOutput is the output of analyze_cold_starts.
type ColdStartOutput struct {
	Streams   []string            `json:"streams"`
	Functions []ColdStartFunction `json:"functions"`
	// Summary is the analyzer's text report: figures, the hot spot and the
	// provisioned concurrency recommendation.
	Summary string `json:"summary"`
}

func (t *tools) analyzeColdStarts(ctx context.Context, in ColdStartInput) (ColdStartOutput, error) {
	var src coldstart.Source
	if len(in.Paths) > 0 {
		paths := make([]string, len(in.Paths))
		for i, p := range in.Paths {
			var err error
			if paths[i], err = t.coldStartPath(p); err != nil {
				return ColdStartOutput{}, err
			}
		}
		src = &logsource.Files{Paths: paths}
	} else {
		var err error
		if src, _, err = t.src.ColdStartLogs(ctx); err != nil {
			return ColdStartOutput{}, fmt.Errorf("%w; pass paths to Lambda log files", err)
		}
	}
	rep, err := coldstart.Analyze(ctx, src, nil)
	if err != nil {
		return ColdStartOutput{}, err
	}
	out := ColdStartOutput{Streams: nonNil(rep.Input.Streams), Functions: []ColdStartFunction{}}
	for _, f := range rep.Functions {
		out.Functions = append(out.Functions, ColdStartFunction{Function: f.Function, Version: f.Version, MemoryMB: f.MemoryMB,
			Invocations: f.Invocations, ColdStarts: f.ColdStarts.Total(), ColdRate: f.ColdRate})
	}
	var b bytes.Buffer
	if err := coldstart.WriteText(&b, rep); err != nil {
		return ColdStartOutput{}, err
	}
	out.Summary = b.String()
	return out, nil
}

// ErrPathNotAllowed is returned (wrapped) by analyze_cold_starts for a path
// outside [Options].ColdStartDirs.
var ErrPathNotAllowed = errors.New("mcpserver: path outside the allowed cold-start folders")

// coldStartPath resolves p (symbolic links included) and returns it when it
// is a regular file inside one of the allowed folders. Every refusal is the
// same error, whether p exists or not, so that a client cannot use the tool
// to learn which paths exist outside the allowed folders.
func (t *tools) coldStartPath(p string) (string, error) {
	if len(t.o.ColdStartDirs) == 0 {
		return "", fmt.Errorf("%w: this server allows none (start it with --coldstart-dir); leave paths out to analyse the backend's cold-start logs", ErrPathNotAllowed)
	}
	refused := fmt.Errorf("%w: %q is not a log file inside %s", ErrPathNotAllowed, p, strings.Join(t.o.ColdStartDirs, ", "))
	real, err := resolve(p)
	if err != nil {
		return "", refused
	}
	for _, dir := range t.o.ColdStartDirs {
		rd, err := resolve(dir)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(rd, real); err == nil && filepath.IsLocal(rel) {
			if fi, err := os.Stat(real); err != nil || !fi.Mode().IsRegular() {
				return "", refused
			}
			return real, nil
		}
	}
	return "", refused
}

// resolve returns the absolute path of p with every symbolic link resolved.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// TokensOutput is the output of list_gateway_tokens.
type TokensOutput struct {
	Tokens []inspect.Token `json:"tokens"`
}

func listTokens(l inspect.TokenLister) func(context.Context, struct{}) (TokensOutput, error) {
	return func(ctx context.Context, _ struct{}) (TokensOutput, error) {
		toks, err := l.Tokens(ctx)
		return TokensOutput{Tokens: nonNil(toks)}, err
	}
}

// Capability is one optional capability in describe_backend's answer.
type Capability struct {
	Name      string   `json:"name"`
	Available bool     `json:"available"`
	Tools     []string `json:"tools"`
	// Reason says why the tools are missing; absent when available.
	Reason string `json:"reason,omitempty"`
}

// BackendOutput is the output of describe_backend.
type BackendOutput struct {
	Backend  string `json:"backend"`
	Location string `json:"location"`
	// MediaOrder is the order of list_media across pages.
	MediaOrder   string       `json:"mediaOrder"`
	Capabilities []Capability `json:"capabilities"`
}

func (t *tools) describeBackend(context.Context, struct{}) (BackendOutput, error) {
	out := BackendOutput{MediaOrder: t.src.MediaOrder().String(), Capabilities: []Capability{}}
	out.Backend, out.Location = t.src.Backend()
	for _, c := range capabilities {
		ok, why := t.capability(c.c)
		out.Capabilities = append(out.Capabilities, Capability{Name: string(c.c), Available: ok, Tools: c.tools, Reason: why})
	}
	return out, nil
}

// EvictInput is the input of evict_idempotency_record.
type EvictInput struct {
	Key string `json:"key" jsonschema:"the idempotency record key (from list_idempotency_records)"`
}

// EvictOutput says what evict_idempotency_record deleted.
type EvictOutput struct {
	Deleted inspect.IdempotencyRecord `json:"deleted"`
	Message string                    `json:"message"`
}

// RedriveInput is the input of redrive_dead_letters.
type RedriveInput struct {
	IDs []string `json:"ids,omitempty" jsonschema:"dead letter ids to move back to the queue; empty means all of them"`
}

// RedriveOutput says what redrive_dead_letters moved.
type RedriveOutput struct {
	Redriven int    `json:"redriven"`
	Message  string `json:"message"`
}

func (t *tools) register(s *mcp.Server) {
	addTool(s, &mcp.Tool{Name: "list_media", Annotations: readOnly("List media records"),
		Description: "List the media records of uploaded objects, " + t.src.MediaOrder().String() + ", with their status, thumbnails and, for rejected " +
			"ones, the reason. Filter by status (processed, rejected, processing, deleted, skipped), key prefix and time. " +
			"To answer \"which uploads in the last hour were rejected, and why?\" call it with status=rejected and since_minutes=60."},
		handler(t, "list_media", t.listMedia))
	addTool(s, &mcp.Tool{Name: "get_media", Annotations: readOnly("Get a media record"),
		Description: "Get one media record by id or object key: every thumbnail size, the source object's metadata and the log lines of its request."},
		handler(t, "get_media", t.getMedia))
	addTool(s, &mcp.Tool{Name: "list_idempotency_records", Annotations: readOnly("List idempotency records"),
		Description: "List idempotency records (which events were handled, which are in progress). stuck=true lists the records stuck in " +
			"progress past their lease: the worker crashed or overran, and the next delivery takes them over."},
		handler(t, "list_idempotency_records", t.listIdempotency))
	addTool(s, &mcp.Tool{Name: "list_objects", Annotations: readOnly("List objects"),
		Description: "List the bucket's objects in key order: uploads/ holds sources, derived/<size>/ the thumbnails."},
		handler(t, "list_objects", t.listObjects))
	addTool(s, &mcp.Tool{Name: "head_object", Annotations: readOnly("Head an object"),
		Description: "Get an object's metadata (size, ETag, content type, last modified) without its body."},
		handler(t, "head_object", t.headObject))
	queue := "Count the event queue's messages: visible, in flight, dead letters, and when the oldest was sent."
	if dl, ok := t.src.(inspect.DeadLetterLister); ok {
		addTool(s, &mcp.Tool{Name: "list_dead_letters", Annotations: readOnly("List dead letters"),
			Description: "List the dead-letter queue, oldest first: why each message died (its last error), how often it was received, " +
				"the object keys it was about and its request id (pass it to query_logs)."},
			handler(t, "list_dead_letters", listDeadLetters(dl)))
	} else {
		queue += " This backend cannot list the dead letters themselves: " + inspect.WhyNot(t.src, inspect.DeadLetterListing) + "."
	}
	addTool(s, &mcp.Tool{Name: "queue_status", Annotations: readOnly("Queue status"), Description: queue},
		handler(t, "queue_status", t.queueStatus))
	addTool(s, &mcp.Tool{Name: "query_logs", Annotations: readOnly("Query logs"),
		Description: "Query the service's structured logs, oldest first. To \"show me everything request X logged\" pass request_id=X. " +
			"Also filters by level, text and time range."},
		handler(t, "query_logs", t.queryLogs))
	addTool(s, &mcp.Tool{Name: "analyze_cold_starts", Annotations: readOnly("Analyze cold starts"),
		Description: "Run the cold-start analysis on Lambda logs: cold-start rates, init times, when they cluster, and the provisioned concurrency it would take to meet a p99 target, with its cost."},
		handler(t, "analyze_cold_starts", t.analyzeColdStarts))
	if tl, ok := t.src.(inspect.TokenLister); ok {
		addTool(s, &mcp.Tool{Name: "list_gateway_tokens", Annotations: readOnly("List gateway tokens"),
			Description: "List the API gateway's tokens: ids, tenants, scopes, rate limits, expiry and revocation. Never the secrets."},
			handler(t, "list_gateway_tokens", listTokens(tl)))
	}
	addTool(s, &mcp.Tool{Name: "describe_backend", Annotations: readOnly("Describe the backend"),
		Description: "Say which backend this server reads (local data folder or AWS, and where), the order of list_media, " +
			"and which optional tools (dead letters, gateway tokens, writes) it offers; for each one it does not, why not and what to use instead."},
		handler(t, "describe_backend", t.describeBackend))
}

func (t *tools) registerWrites(s *mcp.Server, w inspect.Writer) {
	destructive := func(title string) *mcp.ToolAnnotations {
		return &mcp.ToolAnnotations{Title: title, DestructiveHint: new(true), OpenWorldHint: new(false)}
	}
	addTool(s, &mcp.Tool{Name: "evict_idempotency_record", Annotations: destructive("Evict an idempotency record"),
		Description: "Delete one idempotency record whatever its state, so that the next delivery of its event runs the handler again. Returns the record it deleted."},
		handler(t, "evict_idempotency_record", func(ctx context.Context, in EvictInput) (EvictOutput, error) {
			if in.Key == "" {
				return EvictOutput{}, errors.New("key is required")
			}
			rec, err := w.EvictIdempotency(ctx, in.Key)
			if err != nil {
				return EvictOutput{}, err
			}
			t.o.Logger.WarnContext(ctx, "idempotency record evicted", slog.String("key", in.Key), slog.String("status", rec.Status))
			return EvictOutput{Deleted: rec, Message: fmt.Sprintf("deleted idempotency record %q (status %s)", rec.Key, rec.Status)}, nil
		}))
	addTool(s, &mcp.Tool{Name: "redrive_dead_letters", Annotations: destructive("Redrive dead letters"),
		Description: "Move dead letters back to the queue (the given ids, or all) with a fresh receive count; the thumbnailer receives them again."},
		handler(t, "redrive_dead_letters", func(ctx context.Context, in RedriveInput) (RedriveOutput, error) {
			n, err := w.Redrive(ctx, in.IDs...)
			if err != nil {
				return RedriveOutput{}, err
			}
			t.o.Logger.WarnContext(ctx, "dead letters redriven", slog.Int("count", n))
			what := "all dead letters"
			if len(in.IDs) > 0 {
				what = fmt.Sprintf("%d requested ids (unknown ids skipped)", len(in.IDs))
			}
			return RedriveOutput{Redriven: n, Message: fmt.Sprintf("moved %d dead letters back to the queue, of %s", n, what)}, nil
		}))
}
