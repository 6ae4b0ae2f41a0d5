package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"reconnect/internal/smartcar"
	"reconnect/internal/textcheck"
)

// Report is a Smartcar API error that the host backend got and forwarded:
// the vehicle it concerns and the error body exactly as Smartcar sent it (v2
// flat, v3 errors[], OAuth or legacy v1).
type Report struct {
	VehicleID  string          `json:"vehicle_id"`
	StatusCode int             `json:"status_code,omitempty"`
	Error      json.RawMessage `json:"error"`
	OccurredAt *time.Time      `json:"occurred_at,omitempty"`
}

// FieldError is bad input in one field of a report.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return fmt.Sprintf("ingest: %s: %s", e.Field, e.Message) }

// ErrMalformedReport means the body is not a JSON object at all.
var ErrMalformedReport = errors.New("ingest: report is not a JSON object")

// maxVehicleID bounds ids we store; Smartcar's are UUIDs.
const maxVehicleID = 128

// maxClockSkew is how far in the future a reported time may lie before it is
// refused: an event "from the future" would block every later one.
const maxClockSkew = 5 * time.Minute

// ParseReport reads and checks a host report, returning it with its decoded
// Smartcar error. now bounds occurred_at.
func ParseReport(body []byte, now time.Time) (Report, *smartcar.Error, error) {
	var r Report
	trimmed := bytes.TrimSpace(body)
	if !bytes.HasPrefix(trimmed, []byte("{")) {
		return r, nil, ErrMalformedReport
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return r, nil, fmt.Errorf("%w: %v", ErrMalformedReport, err)
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD: refuse
	// it, naming the field. Control characters in the ids are refused by
	// validID, and in the Smartcar body by textInError.
	for _, k := range []string{"vehicle_id", "status_code", "occurred_at", "error"} {
		if !utf8.Valid(raw[k]) {
			return r, nil, &FieldError{k, "must be valid UTF-8"}
		}
	}
	if err := json.Unmarshal(raw["vehicle_id"], &r.VehicleID); raw["vehicle_id"] == nil || err != nil || !validID(r.VehicleID) {
		return r, nil, &FieldError{"vehicle_id", "the Smartcar vehicle id, a non-empty string of printable characters (at most 128)"}
	}
	if s := raw["status_code"]; s != nil && string(s) != "null" {
		if err := json.Unmarshal(s, &r.StatusCode); err != nil || r.StatusCode < 100 || r.StatusCode > 599 {
			return r, nil, &FieldError{"status_code", "the HTTP status Smartcar answered, a whole number from 100 to 599"}
		}
	}
	if s := raw["occurred_at"]; s != nil && string(s) != "null" {
		var t time.Time
		if err := json.Unmarshal(s, &t); err != nil || t.After(now.Add(maxClockSkew)) {
			return r, nil, &FieldError{"occurred_at", "when the call failed, an RFC 3339 time not in the future"}
		}
		r.OccurredAt = &t
	}
	errBody := raw["error"]
	// Some backends forward the body as the text they received.
	var text string
	if json.Unmarshal(errBody, &text) == nil {
		errBody = json.RawMessage(text)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(errBody), []byte("{")) {
		return r, nil, &FieldError{"error", "the error body Smartcar returned, as a JSON object"}
	}
	if err := textInError(errBody); err != nil {
		return r, nil, err
	}
	r.Error = errBody
	e := smartcar.DecodeError(r.StatusCode, nil, errBody)
	if e.Type == smartcar.TypeUnknown && r.StatusCode == 0 {
		return r, nil, &FieldError{"error", "not a Smartcar error body (expected type/code, errors[], or an OAuth error); send status_code with it if it is"}
	}
	return r, e, nil
}

// textInError refuses a Smartcar error body with invalid UTF-8 or control
// characters (other than line breaks and tabs) in any of its strings: its
// description and messages end up in text columns, which PostgreSQL keeps
// free of NUL. Its length is bounded by the body's own limit.
func textInError(body []byte) *FieldError {
	if !utf8.Valid(body) {
		return &FieldError{"error", "must be valid UTF-8"}
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil // not JSON: refused as not a Smartcar error below
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			_, bad := textcheck.Control(x, true)
			return bad
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range x {
				if _, bad := textcheck.Control(k, true); bad || walk(e) {
					return true
				}
			}
		}
		return false
	}
	if walk(v) {
		return &FieldError{"error", "must not contain control characters"}
	}
	return nil
}

func validID(s string) bool {
	if s == "" || len(s) > maxVehicleID || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if !unicode.IsPrint(c) || unicode.IsSpace(c) {
			return false
		}
	}
	return strings.TrimSpace(s) == s
}
