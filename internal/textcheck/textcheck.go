// Package textcheck is the one check every audience applies to text that
// comes in (API JSON, form fields, query parameters): valid UTF-8, no
// control characters, and a documented length. PostgreSQL refuses a NUL in
// a text column, so without it a stray byte is a 500 on one database and
// stored rubbish on the other; and unbounded text ends up in cookies,
// emails and tables that cannot hold it.
package textcheck

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The limits, in characters (Unicode code points, which is what OpenAPI's
// maxLength counts). web/openapi.json states each one for the API.
const (
	// HostID is an id the host chose: a host user id, a Smartcar vehicle id
	// in a path, an external id.
	HostID = 255
	// Email is an email address (RFC 5321 allows 254 in a path).
	Email = 254
	// PersonName is an owner's or staff member's name.
	PersonName = 200
	// Phone is an E.164 number: "+" and at most 15 digits.
	Phone = 16
	// Locale is a BCP 47 language tag.
	Locale = 35
	// TimeZone is an IANA time zone name.
	TimeZone = 64
	// Make, Model and Nickname describe a vehicle.
	Make     = 64
	Model    = 100
	Nickname = 100
	// VIN is exactly this long.
	VIN = 17
	// SmartcarUserID is Smartcar's user id (a UUID today).
	SmartcarUserID = 128
	// URL is an address the host gives us (a link's return URL).
	URL = 2048
	// MessageID is an email's Message-ID (RFC 5322 caps a line at 998;
	// ours are about 60).
	MessageID = 998
	// Enum is a field whose values are a short fixed list (purpose, state).
	Enum = 32
	// Reason is a staff member's stated reason for viewing as an owner.
	Reason = 500
	// Query is a console search.
	Query = 200

	// FormValue bounds every form field and query parameter of a page that
	// has no narrower limit of its own: none of ours needs more.
	FormValue = 4096
)

// Error names the field and what is wrong with it.
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s %s", e.Field, e.Message) }

// The messages, worded to follow the field's name.
const (
	msgUTF8    = "must be valid UTF-8"
	msgControl = "must not contain control characters"
)

// Line checks single-line text: no control character at all (TAB and line
// breaks included), valid UTF-8, at most max characters.
func Line(field, s string, max int) error { return check(field, s, max, false) }

// Text checks multi-line text: as Line, but TAB, LF and CR are allowed.
func Text(field, s string, max int) error { return check(field, s, max, true) }

func check(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return &Error{field, msgUTF8}
	}
	if r, bad := Control(s, multiline); bad {
		return &Error{field, fmt.Sprintf("%s (found U+%04X)", msgControl, r)}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return &Error{field, fmt.Sprintf("must be at most %d characters (got %d)", max, n)}
	}
	return nil
}

// Control finds the first control character of s: C0 (TAB, LF and CR
// excepted when multiline), DEL or C1. s must be valid UTF-8.
func Control(s string, multiline bool) (rune, bool) {
	for _, r := range s {
		switch {
		case multiline && (r == '\t' || r == '\n' || r == '\r'):
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return r, true
		}
	}
	return 0, false
}

// Clean makes text that another party sent (Smartcar's payloads) storable:
// invalid UTF-8 becomes U+FFFD and control characters (TAB, LF and CR
// excepted) are dropped, so a NUL in a carmaker's description can never
// make a PostgreSQL write fail and an acknowledged event fail with it.
func Clean(s string) string {
	if utf8.ValidString(s) {
		if _, bad := Control(s, true); !bad {
			return s
		}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return -1
		}
		return r
	}, s)
}

// Clip keeps s within n bytes, cut on a character boundary, so valid UTF-8
// stays valid: a cut mid-character would make text PostgreSQL refuses.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
