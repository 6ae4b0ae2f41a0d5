package vehicletext

import (
	"strings"
	"time"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
)

// LastDays is how close to the cut-over the words count the days left.
const LastDays = 7

// CampaignText is what a migration campaign says to one owner at one
// moment, in their language and time zone: the email's section, the owner
// page's card and the status API's message use the same sentences.
type CampaignText struct {
	// Date is the cut-over's day in the owner's zone ("3 March").
	Date string
	// Heading is "Tesla moves to a new platform on 3 March", or after the
	// cut-over "Your Tesla stopped working with ChargeWell on 3 March".
	Heading string
	// Reason explains the change: the reason's sentence, or staff's own
	// words in the owner's language (English when there are none).
	Reason string
	// ToDo says what to do before the date (or, after it, now).
	ToDo string
	// DaysLeft is "2 days left." within LastDays of the cut-over, else "".
	DaysLeft string
	// Days is the number of calendar days to the cut-over in the owner's
	// zone (0 on the day, negative after).
	Days int
	// After says the cut-over has happened.
	After bool
	// Done is the card's words once the car is re-authenticated.
	Done string
}

// Campaign words campaign c for an owner reading at `now` in zone loc.
func Campaign(l *i18n.Localizer, c model.Campaign, app string, now time.Time, loc *time.Location) CampaignText {
	if loc == nil {
		loc = time.UTC
	}
	cut := c.CutoverAt.In(loc)
	make := MakeName(c.Make)
	t := CampaignText{Date: l.DayMonth(cut), After: !now.Before(c.CutoverAt), Days: daysBetween(now.In(loc), cut)}
	d := map[string]any{"Make": make, "App": app, "Date": t.Date, "Days": t.Days}
	switch {
	case !t.After:
		t.Heading = l.T("campaign.heading."+string(c.Reason), d)
		t.ToDo = l.T("campaign.todo_before", d)
		if t.Days == 1 {
			t.DaysLeft = l.T("campaign.days_left_one", d)
		} else if t.Days > 1 && t.Days <= LastDays {
			t.DaysLeft = l.T("campaign.days_left_many", d)
		}
		t.Done = l.T("campaign.done", d)
	case c.BreaksConnections:
		t.Heading = l.T("campaign.heading_after", d)
		t.ToDo = l.T("campaign.todo_after", d)
		t.Done = l.T("campaign.done_after", d)
	default:
		t.Heading = l.T("campaign.heading_after_kept", d)
		t.ToDo = l.T("campaign.todo_after", d)
		t.Done = l.T("campaign.done_after", d)
	}
	if c.Reason == model.ReasonOther {
		t.Reason = customMessage(c.CustomMessage, l.Lang())
	} else if t.After {
		// Told after the fact, the reason is in the past tense and dated.
		t.Reason = l.T("campaign.reason_after."+string(c.Reason), d)
	} else {
		t.Reason = l.T("campaign.reason."+string(c.Reason), d)
	}
	return t
}

// customMessage picks staff's words for a language: the exact tag, then
// its base language ("de" for "de-AT"), then English.
func customMessage(m map[string]string, lang string) string {
	if s := strings.TrimSpace(m[lang]); s != "" {
		return s
	}
	if base, _, ok := strings.Cut(lang, "-"); ok {
		if s := strings.TrimSpace(m[base]); s != "" {
			return s
		}
	}
	return strings.TrimSpace(m["en"])
}

// daysBetween counts calendar days from a to b, both already in the
// owner's zone: 23:00 the evening before is one day, not zero.
func daysBetween(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// Location is the owner's time zone, or fallback (EMAIL_TIME_ZONE) when
// theirs is unknown or unreadable.
func Location(tz string, fallback *time.Location) *time.Location {
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	if fallback == nil {
		return time.UTC
	}
	return fallback
}
