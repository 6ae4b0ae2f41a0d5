package console

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
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
		return ch
	}
	return consoleviews.Chip{Label: string(st), Tone: "neutral"}
}

// reasonLabels are the reasons as staff choose them.
var reasonLabels = map[model.CampaignReason]string{
	model.ReasonNewPlatform:  "The carmaker moves to a new connected-car platform",
	model.ReasonNewSignIn:    "The carmaker changes how owners sign in",
	model.ReasonRegionChange: "The carmaker moves accounts to another region's service",
	model.ReasonOther:        "Something else (say what in your own sentence)",
}

var flowLabels = map[model.RepairFlow]string{
	model.FlowReauthenticate: "Sign in again, with the car already chosen (re-authentication)",
	model.FlowConnect:        "Connect from the start (new accounts or new vehicle ids)",
}

// cohortView shows counts against the schedule that would follow them:
// what the campaign would send, and what staff should know first. The
// warning that the sending rates cannot keep the schedule is added by the
// pages that know the rates (rateWarnings).
func cohortView(co campaign.Cohort, cutover time.Time, offsets []time.Duration, now time.Time, snapshot bool) consoleviews.CohortView {
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
		v.Warnings = append(v.Warnings, "No vehicle matches these rules: a launch would be refused.")
	}
	if co.NoOwner > 0 {
		v.Warnings = append(v.Warnings, plural(co.NoOwner, "vehicle has", "vehicles have")+" no owner yet: nobody can be told until the host app names the owner, who then gets the notices still ahead.")
	}
	if co.NoEmail > 0 {
		v.Warnings = append(v.Warnings, plural(co.NoEmail, "vehicle belongs", "vehicles belong")+" to owners without an email address: they learn of the campaign only on their page and in the host app.")
	}
	passed := 0
	for _, off := range offsets {
		if !cutover.Add(off).After(now) {
			passed++
		}
	}
	switch {
	case passed == len(offsets) && passed > 0:
		v.Warnings = append(v.Warnings, "Every notice of the schedule is already due: launched now, each owner gets one notice at once and no more.")
	case passed > 0:
		v.Warnings = append(v.Warnings, fmt.Sprintf("%d of the %d notices are already due: launched now, each owner gets one notice for them at once, then the rest on schedule.", passed, len(offsets)))
	}
	if !cutover.After(now) && !cutover.IsZero() {
		v.Warnings = append(v.Warnings, "The cut-over is in the past: notices say the change has happened.")
	}
	return v
}

// plural writes "1 vehicle has" or "3 vehicles have", with thousands
// separated.
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
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

// formatOffset writes a notice offset as the form reads it: "-14d",
// "+2h", "0".
func formatOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	switch {
	case d == 0:
		return "0"
	case d%(24*time.Hour) == 0:
		return sign + strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return sign + strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return sign + strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return sign + d.String()
}

// offsetLabel says when a notice goes out relative to the cut-over.
func offsetLabel(d time.Duration) string {
	switch {
	case d == 0:
		return "At the cut-over"
	case d < 0:
		return span(-d) + " before the cut-over"
	}
	return span(d) + " after the cut-over"
}

// span writes a positive duration in the largest whole unit that fits.
func span(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d >= 48*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int64((d+time.Minute-1)/time.Minute), "minute")
	}
	return unit(int64((d+time.Second-1)/time.Second), "second")
}

// progressLine is the campaign page's summary: owners told, and when the
// next notice goes out.
func progressLine(c model.Campaign, p campaign.Progress, now time.Time) string {
	s := thousands(p.OwnersNotified) + " of " + thousands(p.Owners) + " owners notified"
	switch {
	case !c.State.Live():
		return s + "; no more notices go out"
	case c.State == model.CampaignPaused:
		return s + "; paused, so no notice goes out until it resumes"
	case p.NextNoticeAt == nil:
		return s + ", no notice pending"
	case !p.NextNoticeAt.After(now):
		return s + ", next notice due now"
	}
	return s + ", next notice in " + span(p.NextNoticeAt.Sub(now))
}

// listProgress is one campaign's progress in the list.
func (con *Handler) listProgress(ctx context.Context, c model.Campaign) (string, error) {
	if c.State == model.CampaignDraft {
		co, err := con.Campaigns.Preview(ctx, c.ID)
		if err != nil {
			return "", err
		}
		return plural(co.Vehicles, "vehicle matches", "vehicles match") + " now", nil
	}
	p, err := con.Campaigns.Progress(ctx, c.ID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s of %s owners notified, %s of %s vehicles completed",
		thousands(p.OwnersNotified), thousands(p.Owners), thousands(p.Counts.Completed), thousands(p.Counts.Vehicles)), nil
}
