package smartcar

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// flexTime reads the timestamp forms Smartcar mixes, even within one
// payload: ISO-8601 strings, epoch milliseconds and epoch seconds, as
// numbers or numeric strings. Anything unreadable becomes the zero time:
// rejecting a whole event over one timestamp would only make Smartcar
// retry it and then drop it.
type flexTime struct{ time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	t.Time = parseTimestamp(b)
	return nil
}

func parseTimestamp(raw []byte) time.Time {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw) // a bare number, or null
	}
	return timestampText(s)
}

// timestampText reads a timestamp once its JSON quoting is removed.
func timestampText(s string) time.Time {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return epoch(f)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	return time.Time{}
}

// epoch tells milliseconds from seconds by size: 1e11 seconds is the year
// 5138, while 1e11 milliseconds is early 1973, before any Smartcar event.
func epoch(f float64) time.Time {
	switch {
	case math.IsNaN(f) || math.Abs(f) > 1e15:
		return time.Time{}
	case math.Abs(f) > 1e11:
		return time.UnixMicro(int64(f * 1e3)).UTC()
	default:
		return time.UnixMicro(int64(f * 1e6)).UTC()
	}
}

// flexInt reads a number or a numeric string; anything else is 0.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		s = string(b)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > math.MaxInt32 {
		*n = 0
		return nil
	}
	*n = flexInt(f)
	return nil
}

// flexSeq reads a sequence number sent as a JSON number or a numeric
// string. Anything else (absent, null, fractional, negative, too large)
// leaves it unset: events without a sequence are ordered by time instead.
type flexSeq struct{ n *int64 }

func (q *flexSeq) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		s = string(b)
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n >= 0 {
		q.n = &n
	} else {
		q.n = nil
	}
	return nil
}
