package dashboard

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rampartdev/rampart/coldstart"
	"github.com/rampartdev/rampart/inspect"
	"github.com/rampartdev/rampart/inspect/writegate"
	"github.com/rampartdev/rampart/media"
)

// DefaultPrefix is where the dashboard is mounted when Options.Prefix is
// empty.
const DefaultPrefix = "/ui"

// PageSize is the number of media cards and table rows per page.
const PageSize = 60

// Options configure [New]. The zero value (or nil) is a read-only
// dashboard under DefaultPrefix.
type Options struct {
	// Prefix is the path the handler is mounted under, without a trailing
	// slash; empty means DefaultPrefix.
	Prefix string
	// AllowWrites shows the redrive button (and accepts its POST) when the
	// source implements [inspect.Writer].
	AllowWrites bool
	// AllowedHosts are names, besides the listener's own (127.0.0.1,
	// localhost, [::1] on its port), that requests may carry in their Host
	// header; every other Host is refused with 403 (package
	// inspect/writegate), so that a DNS-rebinding page cannot read it.
	AllowedHosts []string
	// Now is the clock of "3m ago"; nil means time.Now.
	Now func() time.Time
	// Logger receives render errors; nil means slog.Default().
	Logger *slog.Logger
}

//go:embed templates/*.html
var files embed.FS

// Handler serves the dashboard.
type Handler struct {
	src    inspect.Source
	writer inspect.Writer // nil unless writes are allowed
	gate   *writegate.Gate
	o      Options
	tmpl   *template.Template
	mux    *http.ServeMux
	serve  http.Handler // mux behind the Host check

	csMu    sync.Mutex
	csCache *coldStartView
	csKey   string
}

// New returns the dashboard over src. Mount it at opts.Prefix + "/".
func New(src inspect.Source, opts *Options) *Handler {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	o.Prefix = strings.TrimSuffix(o.Prefix, "/")
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &Handler{src: src, o: o, mux: http.NewServeMux()}
	if w, ok := src.(inspect.Writer); ok && o.AllowWrites {
		h.writer = w
	}
	h.gate = writegate.New(h.writer != nil)
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"smallest": smallest,
		"ago":      h.ago,
		"json": func(v any) string {
			if v == nil {
				return ""
			}
			b, _ := json.Marshal(v)
			return string(b)
		},
		"pct": func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
		// The analyzer's SVG has no script and references nothing.
		"svg": func(s string) template.HTML { return template.HTML(s) },
	}).ParseFS(files, "templates/*.html"))
	p := o.Prefix
	h.mux.HandleFunc("GET "+p+"/{$}", h.media)
	h.mux.HandleFunc("GET "+p+"/fragment/grid", h.grid)
	h.mux.HandleFunc("GET "+p+"/media/{id}", h.detail)
	h.mux.HandleFunc("GET "+p+"/idempotency", h.idempotency)
	h.mux.HandleFunc("GET "+p+"/queue", h.queue)
	h.mux.HandleFunc("POST "+p+"/queue/redrive", h.redrive)
	h.mux.HandleFunc("GET "+p+"/coldstart", h.coldStart)
	h.mux.HandleFunc("GET "+p+"/objects/{key...}", h.object)
	h.serve = writegate.NewHosts(o.AllowedHosts...).Wrap(h.mux)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.serve.ServeHTTP(w, r) }

// page is what every template gets.
type page struct {
	Title, Nav, P     string
	Backend, Location string
}

func (h *Handler) page(title, nav string) page {
	b, l := h.src.Backend()
	return page{Title: title, Nav: nav, P: h.o.Prefix, Backend: b, Location: l}
}

// render executes a template into a buffer first, so that a failure is a
// clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var b bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		h.fail(w, r, err)
		return
	}
	writegate.PageHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, inspect.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, inspect.ErrInvalidCursor):
		code = http.StatusBadRequest
	case errors.Is(err, inspect.ErrReadOnly):
		code = http.StatusForbidden
	default:
		h.o.Logger.ErrorContext(r.Context(), "dashboard", slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	http.Error(w, err.Error(), code)
}

func smallest(rec media.Record) *media.Thumbnail {
	var t *media.Thumbnail
	for i := range rec.Thumbnails {
		if t == nil || rec.Thumbnails[i].Size < t.Size {
			t = &rec.Thumbnails[i]
		}
	}
	return t
}

func (h *Handler) ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := h.o.Now().Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.Format("2006-01-02")
}

type mediaView struct {
	page
	Statuses  []media.Status
	Counts    map[media.Status]int
	Records   []media.Record
	Next      string
	Query     string
	NextQuery string
}

var statuses = []media.Status{media.StatusProcessed, media.StatusRejected, media.StatusProcessing, media.StatusDeleted, media.StatusSkipped}

func (h *Handler) mediaData(r *http.Request) (*mediaView, error) {
	q := r.URL.Query()
	mq := inspect.MediaQuery{Status: media.Status(q.Get("status")), Prefix: q.Get("prefix"), After: q.Get("after"), Limit: PageSize}
	p, err := h.src.Media(r.Context(), mq)
	if err != nil {
		return nil, err
	}
	v := &mediaView{page: h.page("Media", "media"), Statuses: statuses, Records: p.Items, Next: p.Next}
	keep := url.Values{}
	for _, k := range []string{"status", "prefix", "after"} {
		if q.Get(k) != "" {
			keep.Set(k, q.Get(k))
		}
	}
	v.Query = keep.Encode()
	keep.Set("after", p.Next)
	v.NextQuery = keep.Encode()
	return v, nil
}

func (h *Handler) media(w http.ResponseWriter, r *http.Request) {
	v, err := h.mediaData(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Counts, err = h.src.MediaCounts(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "media", v)
}

// grid serves the cards alone, for the page's refresh script.
func (h *Handler) grid(w http.ResponseWriter, r *http.Request) {
	v, err := h.mediaData(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "grid", v)
}

type detailView struct {
	page
	Record media.Record
	Source *inspect.Object
	Logs   []inspect.LogEntry
}

func (h *Handler) detail(w http.ResponseWriter, r *http.Request) {
	rec, err := h.src.MediaRecord(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := detailView{page: h.page(rec.Key, "media"), Record: rec}
	if obj, err := h.src.Object(r.Context(), rec.Key); err == nil {
		v.Source = &obj
	}
	if rec.CorrelationID != "" {
		if p, err := h.src.Logs(r.Context(), inspect.LogQuery{CorrelationID: rec.CorrelationID, Limit: 200}); err == nil {
			v.Logs = p.Items
		}
	}
	h.render(w, r, "detail", v)
}

type idempotencyView struct {
	page
	Records   []inspect.IdempotencyRecord
	Next      string
	NextQuery string
}

func (h *Handler) idempotency(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	iq := inspect.IdempotencyQuery{Status: q.Get("status"), Stuck: q.Get("stuck") != "", After: q.Get("after"), Limit: PageSize}
	p, err := h.src.Idempotency(r.Context(), iq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q.Set("after", p.Next)
	h.render(w, r, "idempotency", idempotencyView{page: h.page("Idempotency", "idempotency"), Records: p.Items, Next: p.Next, NextQuery: q.Encode()})
}

type queueView struct {
	page
	Stats       inspect.QueueStats
	DeadLetters []inspect.DeadLetter
	Next        string
	// Unlisted says why the dead letters are not listed; "" when they are.
	Unlisted    string
	AllowWrites bool
}

func (h *Handler) queue(w http.ResponseWriter, r *http.Request) {
	st, err := h.src.Queue(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := queueView{page: h.page("Queue", "queue"), Stats: st, AllowWrites: h.writer != nil}
	dl, ok := h.src.(inspect.DeadLetterLister)
	if !ok {
		v.Unlisted = inspect.WhyNot(h.src, inspect.DeadLetterListing)
		h.render(w, r, "queue", v)
		return
	}
	p, err := dl.DeadLetters(r.Context(), inspect.DeadLetterQuery{After: r.URL.Query().Get("after"), Limit: PageSize})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.DeadLetters, v.Next = p.Items, p.Next
	h.render(w, r, "queue", v)
}

// redrive moves every dead letter back to the queue. It accepts only
// same-origin form posts (see package writegate).
func (h *Handler) redrive(w http.ResponseWriter, r *http.Request) {
	if h.writer == nil {
		h.fail(w, r, inspect.ErrReadOnly)
		return
	}
	if err := h.gate.Check(r); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	n, err := h.writer.Redrive(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.o.Logger.InfoContext(r.Context(), "dead letters redriven from the dashboard", slog.Int("count", n))
	http.Redirect(w, r, h.o.Prefix+"/queue", http.StatusSeeOther)
}

type coldStartFunc struct {
	Function, Version string
	MemoryMB          int
	Invocations       int64
	ColdStarts        int64
	ColdRate          float64
	Charts            []coldstart.Chart
}

type coldStartView struct {
	page
	Error     string
	Streams   []string
	Functions []coldStartFunc
}

// coldStartTTL is how long a report over logs that are not local files
// (CloudWatch log groups, whose contents change without notice) is kept.
const coldStartTTL = time.Minute

// coldStartKey identifies the logs a report was made from: each file's
// name, size and modification time, so that a log appended to or replaced
// is analysed again; a name that is not a local file changes the key every
// coldStartTTL.
func (h *Handler) coldStartKey(names []string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		if fi, err := os.Stat(n); err == nil && fi.Mode().IsRegular() {
			fmt.Fprintf(&b, "\x00%d\x00%d", fi.Size(), fi.ModTime().UnixNano())
		} else {
			fmt.Fprintf(&b, "\x00@%d", h.o.Now().Truncate(coldStartTTL).Unix())
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// coldStart analyses the backend's cold-start logs; the report is cached
// until a log changes (see coldStartKey).
func (h *Handler) coldStart(w http.ResponseWriter, r *http.Request) {
	v := coldStartView{page: h.page("Cold starts", "coldstart")}
	src, names, err := h.src.ColdStartLogs(r.Context())
	if err != nil {
		if !errors.Is(err, inspect.ErrNotFound) {
			h.fail(w, r, err)
			return
		}
		v.Error = err.Error() + ". Put Lambda log files there (rampart coldstart generate makes a sample)."
		h.render(w, r, "coldstart", v)
		return
	}
	key := h.coldStartKey(names)
	h.csMu.Lock()
	defer h.csMu.Unlock()
	if h.csCache == nil || h.csKey != key {
		rep, err := coldstart.Analyze(r.Context(), src, nil)
		if err != nil {
			v.Error = err.Error()
			h.render(w, r, "coldstart", v)
			return
		}
		v.Streams = rep.Input.Streams
		for i, f := range rep.Functions {
			v.Functions = append(v.Functions, coldStartFunc{Function: f.Function, Version: f.Version, MemoryMB: f.MemoryMB,
				Invocations: f.Invocations, ColdStarts: f.ColdStarts.Total(), ColdRate: f.ColdRate,
				Charts: coldstart.Charts(f, rep.Settings.P99Target, "cs-", fmt.Sprintf("-%d", i))})
		}
		h.csCache, h.csKey = &v, key
	}
	h.render(w, r, "coldstart", h.csCache)
}

// object serves an object of at most inspect.MaxObjectBody bytes (the
// read model reads objects whole; thumbnails are far smaller). A bigger
// one is a 413 that points to the API, which streams.
func (h *Handler) object(w http.ResponseWriter, r *http.Request) {
	body, obj, err := h.src.ObjectBody(r.Context(), r.PathValue("key"))
	if errors.Is(err, inspect.ErrTooLarge) {
		writegate.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("dashboard: %w; GET /objects/%s from the API", err, r.PathValue("key")))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Never let an uploaded object run as a page of the dashboard's origin.
	writegate.ObjectHeaders(w.Header(), obj.Key, obj.ContentType)
	http.ServeContent(w, r, "", obj.LastModified, bytes.NewReader(body))
}
