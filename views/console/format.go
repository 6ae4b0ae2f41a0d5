package console

import (
	"strconv"
	"time"
)

// when is how the console writes a moment: UTC, to the second, so that
// staff in different places read the same time off a ticket.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func machine(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// clock is a moment's time of day, for entries listed under their day.
func clock(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }

// sourceWords names where an entry came from, for the raw data's summary.
func sourceWords(s string) string {
	if s == "" {
		return "no source"
	}
	return "source: " + s
}
