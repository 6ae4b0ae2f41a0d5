package console

import (
	"context"
	"strconv"
	"time"

	"reconnect/internal/i18n"
)

// when is how the console writes a moment: UTC, to the second, so that
// staff in different places read the same time off a ticket.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func machine(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// clock is a moment's time of day, for entries listed under their day.
func clock(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }

// sourceWords names where an entry came from, for the raw data's summary.
func sourceWords(ctx context.Context, s string) string {
	if s == "" {
		return i18n.T(ctx, "console.owner.no_source")
	}
	return i18n.T(ctx, "console.owner.source", map[string]any{"Source": s})
}

// dayHeading is a timeline day as a heading in the page's language
// ("Monday 2 January 2006", "Montag, 2. Januar 2006"); the day is UTC, as
// every console time is.
func dayHeading(ctx context.Context, d TimelineDay) string {
	t, err := time.Parse("2006-01-02", d.Date)
	if err != nil {
		return d.Day
	}
	l := i18n.From(ctx)
	return l.T("console.owner.day", map[string]any{
		"Weekday": l.T("console.weekday_" + strconv.Itoa(int(t.Weekday()))), "Date": l.DayMonth(t), "Year": t.Year(),
	})
}
