package gateway

import (
	"encoding/json"
	"errors"
	"strconv"
)

// Error codes: the stable "code" of an error response. Clients may switch
// on them; messages may change.
const (
	CodeBadRequest          = "bad_request"
	CodeBadPath             = "bad_path"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeNoRoute             = "no_route"
	CodeHeadersTooLarge     = "headers_too_large"
	CodeBodyTooLarge        = "body_too_large"
	CodeMissingToken        = "missing_token"
	CodeInvalidToken        = "invalid_token" // every refused token: unknown, wrong secret, revoked, expired
	CodeInsufficientScope   = "insufficient_scope"
	CodeRateLimited         = "rate_limited"
	CodeUnavailable         = "unavailable"
	CodeUpstreamError       = "upstream_error"
	CodeUpstreamTimeout     = "upstream_timeout"
	CodeMisdirected         = "misdirected_request"        // 421: a host the gateway does not serve
	CodeNotImplemented      = "not_implemented"            // 501: a transfer coding other than chunked
	CodeExpectationFailed   = "expectation_failed"         // 417: an Expect other than 100-continue
	CodeVersionNotSupported = "http_version_not_supported" // 505
	CodeResponseTruncated   = "response_truncated"         // logged only: the response was cut after its header
	CodeInternal            = "internal_error"             // the Worker glue, when the core or a binding is missing
)

// Error is a refusal: an HTTP status and a stable code. It is also an error.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	return "gateway: " + strconv.Itoa(e.Status) + " " + e.Code + ": " + e.Message
}

// AsError returns err as an *Error, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

func newError(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// errorBody is the JSON shape of every error response:
//
//	{"error":{"code":"rate_limited","message":"...","request_id":"..."}}
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// ErrorBody returns the JSON body for e on the request requestID.
func ErrorBody(e *Error, requestID string) []byte {
	var b errorBody
	b.Error.Code, b.Error.Message, b.Error.RequestID = e.Code, e.Message, requestID
	out, _ := json.Marshal(b)
	return append(out, '\n')
}
