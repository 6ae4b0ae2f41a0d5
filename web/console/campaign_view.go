package console

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	consoleviews "reconnect/views/console"
)

// What the campaign pages share: the campaign from the path, its state as
// a chip, its cohort as a view, and how the console writes its numbers.

func (con *Handler) campaignParam(c echo.Context) (model.Campaign, error) {
	if con.Campaigns == nil {
		return model.Campaign{}, echo.ErrNotFound
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return model.Campaign{}, echo.ErrNotFound
	}
	return con.Campaigns.Get(c.Request().Context(), id)
}

var campaignChips = map[model.CampaignState]consoleviews.Chip{
	model.CampaignDraft:     {Label: "Draft", Tone: "neutral"},
	model.CampaignRunning:   {Label: "Running", Tone: "info"},
	model.CampaignPaused:    {Label: "Paused", Tone: "warn"},
	model.CampaignFinished:  {Label: "Finished", Tone: "ok"},
	model.CampaignCancelled: {Label: "Cancelled", Tone: "neutral"},
}

func campaignChip(st model.CampaignState) consoleviews.Chip {
	if ch, ok := campaignChips[st]; ok {
		ch.Msg = "console.campaign.state_" + string(st)
		return ch
	}
	return consoleviews.Chip{Label: string(st), Tone: "neutral"}
}

// reasonLabel is a reason as staff choose it, in the request's language
// (console.campaign.reason_<reason>); one without a message shows as stored.
func reasonLabel(ctx context.Context, r model.CampaignReason) string {
	return tOr(ctx, "console.campaign.reason_"+string(r), string(r))
}

// flowLabel is a repair flow as staff choose it.
func flowLabel(ctx context.Context, f model.RepairFlow) string {
	return tOr(ctx, "console.campaign.flow_"+string(f), string(f))
}

// tOr translates id, or gives fallback when the catalogue has no such
// message (a word added to the vocabulary before its translations).
func tOr(ctx context.Context, id, fallback string) string {
	if s := i18n.T(ctx, id); s != id {
		return s
	}
	return fallback
}

// counted says a count with the message for one (id_one) or for any
// other number (id, with {{.Count}}), the count written in the request's
// language.
func counted(ctx context.Context, id string, n int64) string {
	if n == 1 {
		return i18n.T(ctx, id+"_one")
	}
	return i18n.T(ctx, id, map[string]any{"Count": thousandsIn(ctx, n)})
}

// cohortView shows counts against the schedule that would follow them:
// what the campaign would send, and what staff should know first, in the
// request's language. The warning that the sending rates cannot keep the
// schedule is added by the pages that know the rates (rateWarnings).
func cohortView(ctx context.Context, co campaign.Cohort, cutover time.Time, offsets []time.Duration, now time.Time, snapshot bool) consoleviews.CohortView {
	v := consoleviews.CohortView{Vehicles: co.Vehicles, Owners: co.Owners, NoOwner: co.NoOwner, NoEmail: co.NoEmail,
		Emails: co.Owners * int64(len(offsets)), Snapshot: snapshot}
	for _, st := range model.States {
		if n := co.ByState[st]; n > 0 {
			ch := consoleChip(st)
			v.ByState = append(v.ByState, consoleviews.StateCount{State: string(st), Label: ch.Label, Tone: ch.Tone, Count: n})
		}
	}
	if snapshot {
		return v
	}
	if co.Vehicles == 0 {
		v.Warnings = append(v.Warnings, i18n.T(ctx, "console.cohort.warn_empty"))
	}
	if co.NoOwner > 0 {
		v.Warnings = append(v.Warnings, counted(ctx, "console.cohort.warn_no_owner", co.NoOwner))
	}
	if co.NoEmail > 0 {
		v.Warnings = append(v.Warnings, counted(ctx, "console.cohort.warn_no_email", co.NoEmail))
	}
	passed := 0
	for _, off := range offsets {
		if !cutover.Add(off).After(now) {
			passed++
		}
	}
	switch {
	case passed == len(offsets) && passed > 0:
		v.Warnings = append(v.Warnings, i18n.T(ctx, "console.cohort.warn_all_due"))
	case passed > 0:
		v.Warnings = append(v.Warnings, i18n.T(ctx, "console.cohort.warn_some_due", map[string]any{"Due": passed, "All": len(offsets)}))
	}
	if !cutover.After(now) && !cutover.IsZero() {
		v.Warnings = append(v.Warnings, i18n.T(ctx, "console.cohort.warn_past"))
	}
	return v
}

// thousands writes 48000 as "48,000".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// offsetLabel says when a notice goes out relative to the cut-over.
func offsetLabel(ctx context.Context, d time.Duration) string {
	switch {
	case d == 0:
		return i18n.T(ctx, "console.offset.at")
	case d < 0:
		return i18n.T(ctx, "console.offset.before", map[string]any{"Span": span(ctx, -d)})
	}
	return i18n.T(ctx, "console.offset.after", map[string]any{"Span": span(ctx, d)})
}

// span writes a positive duration in the largest whole unit that fits.
func span(ctx context.Context, d time.Duration) string {
	unit := func(n int64, id string) string {
		if n == 1 {
			return i18n.T(ctx, id+"_one")
		}
		return i18n.T(ctx, id, map[string]any{"Count": n})
	}
	switch {
	case d >= 48*time.Hour:
		return unit(int64(d/(24*time.Hour)), "console.span.days")
	case d >= 2*time.Hour:
		return unit(int64(d/time.Hour), "console.span.hours")
	case d >= time.Minute:
		return unit(int64((d+time.Minute-1)/time.Minute), "console.span.minutes")
	}
	return unit(int64((d+time.Second-1)/time.Second), "console.span.seconds")
}

// progressLine is the campaign page's summary: owners told, and when the
// next notice goes out.
func progressLine(ctx context.Context, c model.Campaign, p campaign.Progress, now time.Time) string {
	data := map[string]any{"Notified": thousandsIn(ctx, p.OwnersNotified), "Owners": thousandsIn(ctx, p.Owners)}
	switch {
	case !c.State.Live():
		return i18n.T(ctx, "console.progress.over", data)
	case c.State == model.CampaignPaused:
		return i18n.T(ctx, "console.progress.paused", data)
	case p.NextNoticeAt == nil:
		return i18n.T(ctx, "console.progress.none_pending", data)
	case !p.NextNoticeAt.After(now):
		return i18n.T(ctx, "console.progress.due_now", data)
	}
	data["Span"] = span(ctx, p.NextNoticeAt.Sub(now))
	return i18n.T(ctx, "console.progress.next", data)
}

// listProgress is one campaign's progress in the list, in the request's
// language.
func (con *Handler) listProgress(ctx context.Context, c model.Campaign) (string, error) {
	if c.State == model.CampaignDraft {
		co, err := con.Campaigns.Preview(ctx, c.ID)
		if err != nil {
			return "", err
		}
		return counted(ctx, "console.campaigns.matches", co.Vehicles), nil
	}
	p, err := con.Campaigns.Progress(ctx, c.ID)
	if err != nil {
		return "", err
	}
	return i18n.T(ctx, "console.campaigns.progress", map[string]any{
		"Notified": thousandsIn(ctx, p.OwnersNotified), "Owners": thousandsIn(ctx, p.Owners),
		"Completed": thousandsIn(ctx, p.Counts.Completed), "Vehicles": thousandsIn(ctx, p.Counts.Vehicles),
	}), nil
}

// thousandsIn writes 48000 with the language's thousands separator:
// "48,000", "48.000", "48 000" (a narrow no-break space, so the number
// never wraps).
func thousandsIn(ctx context.Context, n int64) string {
	s := thousands(n)
	switch i18n.From(ctx).Lang() {
	case "de", "es":
		return strings.ReplaceAll(s, ",", ".")
	case "fr":
		return strings.ReplaceAll(s, ",", "\u202f")
	}
	return s
}
