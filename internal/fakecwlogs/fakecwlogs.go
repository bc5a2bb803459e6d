// Package fakecwlogs is an in-process server that speaks the CloudWatch Logs
// JSON protocol for FilterLogEvents, for tests of code that reads log groups
// through aws-sdk-go-v2: it keeps events per log group, serves them oldest
// first in pages with pagination tokens, applies the time range, the limit
// and the JSON filter patterns described at [Match], and records every
// request.
//
//	srv := fakecwlogs.Start(t)
//	srv.Add("/aws/lambda/thumbnailer", fakecwlogs.Event{Timestamp: ms, Message: line})
//	client := srv.Client()
//
// A missing log group is ResourceNotFoundException and a filter pattern it
// cannot parse InvalidParameterException, as on AWS. Other operations are
// refused with UnknownOperationException.
package fakecwlogs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// Region is the region the clients sign for.
const Region = "eu-central-1"

// DefaultPageSize is the most events one response carries unless the
// request's limit or Server.PageSize is smaller.
const DefaultPageSize = 10000

// Event is a log event.
type Event struct {
	// Timestamp is the event's time in Unix milliseconds.
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
	// Stream is the log stream name; empty means "stream".
	Stream string `json:"logStreamName"`
}

// Request is a FilterLogEvents request as the server received it.
type Request struct {
	LogGroupName  string `json:"logGroupName"`
	StartTime     *int64 `json:"startTime"`
	EndTime       *int64 `json:"endTime"`
	FilterPattern string `json:"filterPattern"`
	NextToken     string `json:"nextToken"`
	Limit         *int32 `json:"limit"`
	// Signed reports whether the request carried a SigV4 Authorization
	// header.
	Signed bool `json:"-"`
}

// Server is a running fake. Set PageSize before the first request.
type Server struct {
	// URL is the server's base URL.
	URL string
	// PageSize, when positive, caps the events of one response below
	// DefaultPageSize, to exercise pagination.
	PageSize int

	mu       sync.Mutex
	groups   map[string][]Event
	requests []Request
}

// Start starts a server that is stopped when tb's test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{groups: map[string][]Event{}}
	hs := httptest.NewServer(s)
	tb.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// Client returns a CloudWatch Logs client for the server with static test
// credentials; it reads nothing from the environment.
func (s *Server) Client(optFns ...func(*cloudwatchlogs.Options)) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	}, optFns...)
}

// AddGroup creates an empty log group (Add creates groups too).
func (s *Server) AddGroup(group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[group]; !ok {
		s.groups[group] = nil
	}
}

// Add adds events to a log group, creating it; the group stays sorted by
// timestamp (events of equal time keep the order they were added in).
func (s *Server) Add(group string, events ...Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	evs := append(s.groups[group], events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Timestamp < evs[j].Timestamp })
	s.groups[group] = evs
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("X-Amz-Target"); got != "Logs_20140328.FilterLogEvents" {
		fail(w, "UnknownOperationException", "fakecwlogs serves only FilterLogEvents, not "+got)
		return
	}
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(w, "SerializationException", err.Error())
		return
	}
	req.Signed = strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256")
	s.mu.Lock()
	s.requests = append(s.requests, req)
	events, ok := s.groups[req.LogGroupName]
	pageSize := s.PageSize
	s.mu.Unlock()
	if !ok {
		fail(w, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	if !req.Signed {
		fail(w, "MissingAuthenticationTokenException", "request is not signed")
		return
	}
	var pat *pattern
	if strings.TrimSpace(req.FilterPattern) != "" {
		var err error
		if pat, err = parsePattern(req.FilterPattern); err != nil {
			fail(w, "InvalidParameterException", "Invalid filter pattern: "+err.Error())
			return
		}
	}
	if pageSize <= 0 || pageSize > DefaultPageSize {
		pageSize = DefaultPageSize
	}
	if req.Limit != nil {
		if *req.Limit < 1 || *req.Limit > DefaultPageSize {
			fail(w, "InvalidParameterException", "limit must be from 1 to 10000")
			return
		}
		pageSize = min(pageSize, int(*req.Limit))
	}
	from := 0
	if req.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(req.NextToken, "fake-token-"))
		if err != nil || n < 0 || n > len(events) {
			fail(w, "InvalidParameterException", "The specified nextToken is invalid.")
			return
		}
		from = n
	}
	type outEvent struct {
		Event
		EventID       string `json:"eventId"`
		IngestionTime int64  `json:"ingestionTime"`
	}
	out := []outEvent{}
	i := from
	for ; i < len(events) && len(out) < pageSize; i++ {
		e := events[i]
		if req.StartTime != nil && e.Timestamp < *req.StartTime || req.EndTime != nil && e.Timestamp > *req.EndTime {
			continue
		}
		if pat != nil && !pat.match(e.Message) {
			continue
		}
		if e.Stream == "" {
			e.Stream = "stream"
		}
		out = append(out, outEvent{Event: e, EventID: strconv.Itoa(i), IngestionTime: e.Timestamp})
	}
	resp := map[string]any{"events": out, "searchedLogStreams": []any{}}
	if i < len(events) {
		resp["nextToken"] = "fake-token-" + strconv.Itoa(i)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(resp)
}

func fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
}
