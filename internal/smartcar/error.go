package smartcar

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"reconnect/internal/textcheck"
)

// Resolution is Smartcar's hint for how an error gets fixed.
type Resolution struct {
	Type string // REAUTHENTICATE, RETRY_LATER, CONTACT_SUPPORT, ACTION_REQUIRED, …
	URL  string
}

// FieldError is one entry of a v2 VALIDATION error's detail.
type FieldError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

// Error is any error Smartcar returned, whatever body shape it came in.
type Error struct {
	HTTPStatus           int
	Type                 string // v2/v3 type, OAuth or v1 error, or UNKNOWN
	Code                 string // "" when null
	Description          string
	DocURL               string
	RequestID            string
	Resolution           Resolution
	SuggestedUserMessage string
	Detail               []FieldError  // v2 VALIDATION only
	Signals              []string      // webhook errors only: the signals concerned
	RetryAfter           time.Duration // from Retry-After
	Errors               []Error       // every entry of a v3 errors[] body
	Body                 []byte
}

// TypeUnknown marks a body that is not a recognisable Smartcar error.
const TypeUnknown = "UNKNOWN"

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("smartcar: ")
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, "%d ", e.HTTPStatus)
	}
	b.WriteString(e.Reason())
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// Reason is the stable TYPE:CODE key of the error, or TYPE when code is null.
func (e *Error) Reason() string {
	if e.Code == "" {
		return e.Type
	}
	return e.Type + ":" + e.Code
}

// maxDescription keeps an HTML error page from flooding logs; Body keeps it all.
const maxDescription = 512

// DecodeError decodes a non-2xx Smartcar response. It never returns nil.
func DecodeError(status int, header http.Header, body []byte) *Error {
	e := &Error{HTTPStatus: status, Body: bytes.Clone(body)}
	if header != nil {
		e.RequestID = header.Get("SC-Request-Id")
		e.RetryAfter = retryAfter(header.Get("Retry-After"))
	}
	var obj jsonObject
	if json.Unmarshal(body, &obj) != nil || !decodeShape(e, obj) {
		e.Type = TypeUnknown
		e.Description = truncate(strings.TrimSpace(string(body)))
		if m := obj.str("message"); m != "" {
			e.Description = truncate(m)
		}
		if e.Description == "" {
			e.Description = http.StatusText(status)
		}
	}
	return e
}

// ErrorFromBody decodes an error body forwarded by a host app, which comes
// without its HTTP status; the status is taken from the body when present.
func ErrorFromBody(body []byte) (*Error, error) {
	e := DecodeError(0, nil, body)
	if e.Type == TypeUnknown {
		return nil, errors.New("smartcar: body is not a Smartcar error")
	}
	return e, nil
}

// decodeShape fills e from a v3, v2, OAuth or v1 body and reports whether
// it recognised one.
func decodeShape(e *Error, obj jsonObject) bool {
	var list []jsonObject
	if json.Unmarshal(obj["errors"], &list) == nil && len(list) > 0 && list[0] != nil {
		for _, item := range list {
			var sub Error
			decodeV3(&sub, item)
			e.Errors = append(e.Errors, sub)
		}
		first := e.Errors[0]
		first.HTTPStatus = cmp.Or(e.HTTPStatus, first.HTTPStatus)
		first.RequestID = cmp.Or(first.RequestID, e.RequestID)
		first.RetryAfter, first.Body, first.Errors = e.RetryAfter, e.Body, e.Errors
		*e = first
		return e.Type != ""
	}
	switch {
	case obj.str("type") != "":
		e.Type = obj.str("type")
		e.Code = obj.str("code")
		e.Description = obj.str("description")
		e.DocURL = obj.str("docURL")
		e.RequestID = cmp.Or(obj.str("requestId"), e.RequestID)
		e.Resolution = decodeResolution(obj["resolution"])
		e.SuggestedUserMessage = obj.str("suggestedUserMessage")
		_ = json.Unmarshal(obj["detail"], &e.Detail) // only VALIDATION has it, as an array
	case obj.str("error") != "":
		// OAuth ({error, error_description}) and legacy v1 ({error, message, code}).
		e.Type = obj.str("error")
		e.Code = obj.str("code")
		e.Description = cmp.Or(obj.str("error_description"), obj.str("message"))
		e.DocURL = obj.str("error_uri")
		e.RequestID = cmp.Or(obj.str("requestId"), e.RequestID)
	default:
		return false
	}
	e.HTTPStatus = cmp.Or(e.HTTPStatus, obj.int("statusCode"), obj.int("status"))
	return true
}

func decodeV3(e *Error, obj jsonObject) {
	e.Type = obj.str("type")
	e.Code = obj.str("code")
	e.Description = cmp.Or(obj.str("detail"), obj.str("title"))
	e.DocURL = obj.obj("links").str("about")
	e.Resolution = decodeResolution(obj["resolution"])
	e.SuggestedUserMessage = obj.str("suggestedUserMessage")
	e.RequestID = cmp.Or(obj.str("requestId"), obj.obj("meta").obj("debug").str("requestId"))
	e.HTTPStatus = cmp.Or(obj.int("status"), obj.int("statusCode"))
}

// decodeResolution accepts an object, the bare string old responses send, or null.
func decodeResolution(raw json.RawMessage) Resolution {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return Resolution{Type: s}
	}
	var obj jsonObject
	_ = json.Unmarshal(raw, &obj)
	return Resolution{Type: obj.str("type"), URL: obj.str("url")}
}

func retryAfter(v string) time.Duration {
	if v = strings.TrimSpace(v); v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	// Smartcar sends seconds; the HTTP-date form can only be measured
	// against the wall clock, as DecodeError has no injected one.
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t).Round(time.Second), 0)
	}
	return 0
}

// truncate makes s valid UTF-8 first (each run of bad bytes becomes one
// three-byte U+FFFD, which can lengthen it) and then cuts it to at most
// maxDescription bytes on a rune boundary.
func truncate(s string) string {
	return textcheck.Clip(strings.ToValidUTF8(s, string(utf8.RuneError)), maxDescription)
}

// jsonObject reads loosely typed JSON: a field of an unexpected type reads
// as empty instead of failing the whole body, which error shapes demand.
type jsonObject map[string]json.RawMessage

func (o jsonObject) str(key string) string {
	raw, ok := o[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func (o jsonObject) int(key string) int {
	n, err := strconv.Atoi(o.str(key))
	if err != nil {
		return 0
	}
	return n
}

func (o jsonObject) obj(key string) jsonObject {
	var sub jsonObject
	_ = json.Unmarshal(o[key], &sub)
	return sub
}
