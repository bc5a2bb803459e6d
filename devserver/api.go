package devserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/inspect/writegate"
	"github.com/rampartdev/rampart/media"
)

// Handler returns the HTTP API (see the package documentation).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /objects/{key...}", s.putObject)
	mux.HandleFunc("GET /objects/{key...}", s.getObject)
	mux.HandleFunc("DELETE /objects/{key...}", s.deleteObject)
	mux.HandleFunc("GET /objects", s.listObjects)
	mux.HandleFunc("GET /media", s.listMedia)
	mux.HandleFunc("GET /media/{id}", s.getMedia)
	mux.HandleFunc("GET /queue", s.queueStats)
	mux.HandleFunc("GET /queue/dead", s.deadLetters)
	// A cross-site form could post here; uploads and deletes need methods
	// a form cannot send without a CORS preflight, which is not answered.
	mux.Handle("POST /queue/redrive", writegate.New(s.opts.AllowWrites).Wrap(http.HandlerFunc(s.redrive)))
	mux.Handle("GET /health", s.health)
	// Host against DNS rebinding; Origin as well, so that a browser
	// request from another origin is refused by this server itself, not
	// only by the browser's preflight.
	return s.accessLog(writegate.NewHosts(s.opts.AllowedHosts...).WrapOrigin(mux))
}

// accessLog gives each request an id (X-Request-Id when the client sent
// one), returns it as x-amz-request-id and logs the request.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = NewRequestID()
		}
		w.Header().Set("X-Amz-Request-Id", id)
		r.Header.Set("X-Request-Id", id)
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rw, r)
		s.log.InfoContext(r.Context(), "http request", slog.String("correlation_id", id), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", rw.status), slog.Duration("duration", time.Since(start)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

type apiError struct {
	Error     string `json:"error"`
	RequestID string `json:"requestId"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, r *http.Request, code int, err error) {
	writeJSON(w, code, apiError{Error: err.Error(), RequestID: r.Header.Get("X-Request-Id")})
}

// UploadResponse is the body of a successful PUT /objects/{key}.
type UploadResponse struct {
	Key       string `json:"key"`
	ETag      string `json:"etag"`
	VersionID string `json:"versionId,omitempty"`
	Size      int64  `json:"size"`
	RequestID string `json:"requestId"`
	// ID is the media record id, present when the upload was queued for
	// the thumbnailer.
	ID     string `json:"id,omitempty"`
	Queued bool   `json:"queued"`
}

func (s *Server) putObject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	err := blob.ValidateKey(key)
	if err == nil && strings.HasPrefix(key, s.opts.Thumbnailer.SourcePrefix) {
		// S3 would store it, but the thumbnailer could never process it.
		err = s.th.CheckKey(key)
	}
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err)
		return
	}
	// Bigger uploads than the image limit are stored (S3 would) and the
	// thumbnailer rejects them; bigger than MaxUploadBytes are refused,
	// from Content-Length before reading a byte, or when a chunked body
	// reaches it.
	limit := s.opts.MaxUploadBytes
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		writeError(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("devserver: body of %d bytes exceeds the upload limit of %d bytes (rampart dev --max-upload)", r.ContentLength, limit))
		return
	}
	release, ok := s.uploadSlot()
	if !ok {
		w.Header().Set("Retry-After", "1")
		writeError(w, r, http.StatusServiceUnavailable, fmt.Errorf("devserver: %d uploads already in progress (the limit); retry shortly", s.opts.MaxConcurrentUploads))
		return
	}
	defer release()
	body := &progressReader{r: http.MaxBytesReader(w, r.Body, limit), rc: http.NewResponseController(w), idle: s.opts.BodyReadTimeout}
	id := r.Header.Get("X-Request-Id")
	obj, queued, err := s.Upload(r.Context(), key, body, r.Header.Get("Content-Type"), id)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("devserver: body exceeds the upload limit of %d bytes (rampart dev --max-upload)", limit))
		return
	case body.err != nil:
		// The client's side failed (gone, or too slow): nothing was stored.
		writeError(w, r, http.StatusBadRequest, fmt.Errorf("devserver: reading the body: %w", body.err))
		return
	case err != nil:
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	resp := UploadResponse{Key: key, ETag: obj.ETag, VersionID: obj.VersionID, Size: obj.Size, RequestID: id, Queued: queued}
	if queued {
		resp.ID = media.ID(s.opts.Bucket, key)
	}
	w.Header().Set("ETag", obj.ETag)
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	f, obj, err := s.objects.Open(r.Context(), key)
	switch {
	case errors.Is(err, blob.ErrInvalidKey):
		writeError(w, r, http.StatusBadRequest, err)
		return
	case errors.Is(err, blob.ErrNotFound):
		writeError(w, r, http.StatusNotFound, err)
		return
	case err != nil:
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	// Uploads are the user's (or anyone's) content: never active content
	// on the API's origin.
	writegate.ObjectHeaders(w.Header(), key, obj.ContentType)
	if obj.CacheControl != "" {
		w.Header().Set("Cache-Control", obj.CacheControl)
	}
	for k, v := range obj.Metadata {
		w.Header().Set("X-Amz-Meta-"+k, v)
	}
	w.Header().Set("ETag", obj.ETag)
	defer f.Close()
	// Streamed from the file: memory does not grow with the object.
	http.ServeContent(progressWriter{w, http.NewResponseController(w), s.opts.BodyReadTimeout}, r, "", obj.LastModified, f)
}

func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request) {
	queued, err := s.Remove(r.Context(), r.PathValue("key"), r.Header.Get("X-Request-Id"))
	if errors.Is(err, blob.ErrInvalidKey) {
		writeError(w, r, http.StatusBadRequest, err)
		return
	}
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": r.PathValue("key"), "queued": queued, "requestId": r.Header.Get("X-Request-Id")})
}

// errBadParam marks a query or body the API cannot use (a 400).
var errBadParam = errors.New("devserver: bad request")

// limitParam returns the limit query parameter: absent means 0 (the
// default page), anything but a number from 1 to 1000 is an error.
func limitParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, fmt.Errorf("%w: limit %q: want a number from 1 to 1000", errBadParam, v)
	}
	return n, nil
}

// statuses are the values of GET /media?status=.
var statuses = []media.Status{media.StatusProcessing, media.StatusProcessed, media.StatusRejected, media.StatusDeleted, media.StatusSkipped}

func (s *Server) listObjects(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err)
		return
	}
	objs, next, err := s.objects.List(r.Context(), q.Get("prefix"), q.Get("after"), limit)
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	if objs == nil {
		objs = []blob.Object{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"objects": objs, "next": next})
}

func (s *Server) listMedia(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(r)
	status := media.Status(q.Get("status"))
	after := q.Get("after")
	switch {
	case err != nil:
	case status != "" && !slices.Contains(statuses, status):
		err = fmt.Errorf("%w: unknown status %q: want one of %v", errBadParam, status, statuses)
	case after != "" && !isCursorID(after):
		err = fmt.Errorf("%w: invalid cursor %q: pass the next value of the previous page unchanged", errBadParam, after)
	}
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err)
		return
	}
	recs, next, err := s.records.List(r.Context(), media.ListOptions{Status: status, After: after, Limit: limit})
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	if recs == nil {
		recs = []media.Record{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": recs, "next": next})
}

// isCursorID reports whether s can be a media record id (lower-case hex),
// the cursor of GET /media.
func isCursorID(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Server) getMedia(w http.ResponseWriter, r *http.Request) {
	rec, err := s.records.Get(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, media.ErrNotFound):
		writeError(w, r, http.StatusNotFound, err)
	case err != nil:
		writeError(w, r, http.StatusInternalServerError, err)
	default:
		writeJSON(w, http.StatusOK, rec)
	}
}

func (s *Server) queueStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.queue.Stats(r.Context())
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queue": st, "faults": s.FaultStats(), "handled": s.handled.Load()})
}

func (s *Server) deadLetters(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	after := r.URL.Query().Get("after")
	if n, perr := strconv.ParseInt(after, 10, 64); err == nil && after != "" && (perr != nil || n < 0) {
		err = fmt.Errorf("%w: invalid cursor %q: pass the next value of the previous page unchanged", errBadParam, after)
	}
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err)
		return
	}
	dl, next, err := s.queue.DeadLetters(r.Context(), after, limit)
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	type letter struct {
		ID, Reason, LastError string
		ReceiveCount          int
		SentAt, DeadAt        time.Time
		Body                  json.RawMessage
	}
	out := make([]letter, 0, len(dl))
	for _, d := range dl {
		body := json.RawMessage(d.Body)
		if !json.Valid(body) {
			body, _ = json.Marshal(string(d.Body))
		}
		out = append(out, letter{d.ID, d.Reason, d.LastError, d.ReceiveCount, d.SentAt, d.DeadAt, body})
	}
	writeJSON(w, http.StatusOK, map[string]any{"deadLetters": out, "next": next})
}

// RedriveRequest is the optional JSON body of POST /queue/redrive: the
// dead letters with the given IDs, or the Count oldest, or (an empty body,
// or neither field) all of them. The id query parameter (repeated) selects
// by id too.
type RedriveRequest struct {
	IDs   []string `json:"ids,omitempty"`
	Count int      `json:"count,omitempty"`
}

func (s *Server) redrive(w http.ResponseWriter, r *http.Request) {
	var req RedriveRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err == nil && len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err = dec.Decode(&req); err == nil && dec.More() {
			err = errors.New("more than one JSON value")
		}
	}
	req.IDs = append(req.IDs, r.URL.Query()["id"]...)
	switch {
	case err != nil:
		err = fmt.Errorf("%w: body: %v; want {\"ids\": [...]} or {\"count\": N}", errBadParam, err)
	case req.Count < 0:
		err = fmt.Errorf("%w: negative count %d", errBadParam, req.Count)
	case req.Count > 0 && len(req.IDs) > 0:
		err = fmt.Errorf("%w: give ids or count, not both", errBadParam)
	}
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err)
		return
	}
	ids := req.IDs
	if req.Count > 0 {
		// The Count oldest: the first page of dead letters in the order
		// they died.
		for after := ""; len(ids) < req.Count; {
			dl, next, err := s.queue.DeadLetters(r.Context(), after, min(req.Count-len(ids), 1000))
			if err != nil {
				writeError(w, r, http.StatusInternalServerError, err)
				return
			}
			for _, d := range dl {
				ids = append(ids, d.ID)
			}
			if after = next; after == "" {
				break
			}
		}
		if len(ids) == 0 {
			writeJSON(w, http.StatusOK, map[string]int{"redriven": 0})
			return
		}
	}
	n, err := s.queue.Redrive(r.Context(), ids...)
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	s.log.InfoContext(r.Context(), "dead letters redriven", slog.Int("count", n), slog.String("correlation_id", r.Header.Get("X-Request-Id")))
	writeJSON(w, http.StatusOK, map[string]int{"redriven": n})
}
