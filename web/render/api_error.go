package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// APIError is an error for API clients: a status, a machine code, a message
// and, for bad input, the field that is wrong.
type APIError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// FieldError reports bad input in one field.
func FieldError(field, msg string) *APIError {
	return &APIError{Status: http.StatusUnprocessableEntity, Code: "invalid_field", Field: field, Message: msg}
}

// The answers the webhook receiver and the host's error reports share:
// both record an event through detection.
var (
	ErrPayloadTooLarge = &APIError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
		Message: "webhook bodies are limited to 64 KB"}
	ErrDetectionOff = &APIError{Status: http.StatusServiceUnavailable, Code: "unavailable",
		Message: "detection is not running on this instance"}
	ErrUnavailable = &APIError{Status: http.StatusServiceUnavailable, Code: "unavailable",
		Message: "the event could not be recorded right now; retry later"}
	ErrUnreadableBody = &APIError{Status: http.StatusBadRequest, Code: "unreadable_body", Message: "the request body could not be read"}
)

// ErrBodyTooLarge is ReadBody's refusal of a body over its limit.
var ErrBodyTooLarge = errors.New("body too large")

// ReadBody reads the raw body once, at most limit bytes. With a
// Content-Length it reads into one buffer of that size instead of growing
// one, which matters at thousands of requests a second.
func ReadBody(req *http.Request, limit int64) ([]byte, error) {
	if req.ContentLength > limit {
		return nil, ErrBodyTooLarge
	}
	size := req.ContentLength
	if size < 0 {
		size = 4 << 10
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	n, err := buf.ReadFrom(io.LimitReader(req.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, ErrBodyTooLarge
	}
	return buf.Bytes(), nil
}
