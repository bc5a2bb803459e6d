package gateway

import (
	"errors"
	"strconv"
	"unicode/utf8"
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
	CodeRequestTimeout      = "request_timeout"            // 408: the client's body did not arrive in time (native)
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

// ErrorBody returns the JSON body of every error response for e on the
// request requestID:
//
//	{"error":{"code":"rate_limited","message":"...","request_id":"..."}}
//
// It is written by hand (the same bytes encoding/json writes): in
// WebAssembly the reflection would cost more than the decision.
func ErrorBody(e *Error, requestID string) []byte {
	b := make([]byte, 0, 48+len(e.Code)+len(e.Message)+len(requestID))
	b = append(b, `{"error":{"code":`...)
	b = AppendJSONString(b, e.Code)
	b = append(b, `,"message":`...)
	b = AppendJSONString(b, e.Message)
	b = append(b, `,"request_id":`...)
	b = AppendJSONString(b, requestID)
	return append(b, "}}\n"...)
}

// AppendJSONString appends s as a JSON string, escaped as encoding/json
// does by default (HTML characters, U+2028 and U+2029 too; invalid UTF-8
// becomes U+FFFD). It is what ErrorBody writes with, for callers that
// write JSON by hand for the same reason (cmd/gatewayworker).
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s, true) }

// AppendLogString appends s as a JSON string, escaped as log/slog's JSON
// handler does: as [AppendJSONString] but without the HTML escapes, and
// with control characters other than \n, \r and \t as \u00XX (slog
// writes no \b or \f). It is for handlers that must write slog's bytes.
func AppendLogString(b []byte, s string) []byte { return appendString(b, s, false) }

// appendString is AppendJSONString (encodingJSON) or AppendLogString.
func appendString(b []byte, s string, encodingJSON bool) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!encodingJSON || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b' && encodingJSON:
				b = append(b, '\\', 'b')
			case c == '\f' && encodingJSON:
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
