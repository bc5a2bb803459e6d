package devserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
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
	return s.accessLog(writegate.NewHosts(s.opts.AllowedHosts...).Wrap(mux))
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
	if err := blob.ValidateKey(key); err != nil {
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
	http.ServeContent(w, r, "", obj.LastModified, f)
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

func limitParam(r *http.Request) int {
	n, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	return n
}

func (s *Server) listObjects(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	objs, next, err := s.objects.List(r.Context(), q.Get("prefix"), q.Get("after"), limitParam(r))
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
	recs, next, err := s.records.List(r.Context(), media.ListOptions{Status: media.Status(q.Get("status")), After: q.Get("after"), Limit: limitParam(r)})
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	if recs == nil {
		recs = []media.Record{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": recs, "next": next})
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
	dl, next, err := s.queue.DeadLetters(r.Context(), r.URL.Query().Get("after"), limitParam(r))
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

func (s *Server) redrive(w http.ResponseWriter, r *http.Request) {
	n, err := s.queue.Redrive(r.Context(), r.URL.Query()["id"]...)
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, err)
		return
	}
	s.log.InfoContext(r.Context(), "dead letters redriven", slog.Int("count", n), slog.String("correlation_id", r.Header.Get("X-Request-Id")))
	writeJSON(w, http.StatusOK, map[string]int{"redriven": n})
}
