package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// migrationBannerFor is how long a suspected migration stays on the
// banner, unless a campaign for its make is launched first.
const migrationBannerFor = 24 * time.Hour

// migrationAlerts are the suspected migrations for the banner on the
// dashboard and the campaign list; admins get the button to a campaign.
func (con *Handler) migrationAlerts(c echo.Context) ([]consoleviews.MigrationAlert, error) {
	ms, err := con.Store.OpenSuspectedMigrations(c.Request().Context(), con.Store.Now().Add(-migrationBannerFor), 5)
	if err != nil {
		return nil, err
	}
	cur, ok := currentStaff(c)
	admin := ok && cur.IsAdmin() && con.Campaigns != nil
	out := make([]consoleviews.MigrationAlert, 0, len(ms))
	for _, m := range ms {
		a := consoleviews.MigrationAlert{Make: m.Make, Vehicles: int64(m.VehicleCount), FirstError: m.FirstError, FirstBreak: m.FirstBreakAt}
		if admin {
			a.CampaignURL = paths.ConsoleCampaignNewFromAlert(m.ID)
		}
		out = append(out, a)
	}
	return out, nil
}

// prefillFromAlert fills the new-campaign form from the suspected migration
// the query names (?suspected=<id>): its make, a new platform as the
// reason, its first break as the cut-over (in the past, which a campaign
// allows) and re-authentication as the repair. Anything else leaves f.
func (con *Handler) prefillFromAlert(c echo.Context, f *consoleviews.CampaignForm) error {
	id, err := strconv.ParseInt(c.QueryParam("suspected"), 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	m, err := con.Store.SuspectedMigrationByID(c.Request().Context(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	f.Name = m.Make + " " + m.FirstBreakAt.UTC().Format(time.DateOnly)
	f.Make, f.Reason, f.Flow, f.Breaks = m.Make, string(model.ReasonNewPlatform), string(model.FlowReauthenticate), true
	f.Cutover = formatFormTime(m.FirstBreakAt)
	return nil
}

const queuePerPage = 50

// NeedsPerson lists the owners who need a person, newest first, optionally
// for one campaign's cars.
func (con *Handler) NeedsPerson(c echo.Context) error {
	ctx := c.Request().Context()
	campaignID, _ := strconv.ParseInt(c.QueryParam("campaign"), 10, 64)
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	rows, err := con.Store.EscalationQueue(ctx, max(campaignID, 0), store.Page{Before: before, Limit: queuePerPage + 1})
	if err != nil {
		return err
	}
	v := consoleviews.NeedsPersonView{Chrome: con.chrome(c, i18n.T(ctx, "console.alerts.queue_title"), "needs_person"),
		Action: paths.ConsoleNeedsPerson(nil)}
	names := map[int64]string{}
	if con.Campaigns != nil {
		list, err := con.Campaigns.List(ctx, store.Page{Limit: 200})
		if err != nil {
			return err
		}
		for _, camp := range list {
			names[camp.ID] = camp.Name
			if camp.State == model.CampaignDraft {
				continue
			}
			id := strconv.FormatInt(camp.ID, 10)
			v.Campaigns = append(v.Campaigns, consoleviews.Option{Value: id, Label: camp.Name + " (" + camp.Make + ")", Selected: camp.ID == campaignID})
			if camp.ID == campaignID {
				v.Campaign = id
			}
		}
	}
	if len(rows) > queuePerPage {
		rows = rows[:queuePerPage]
		q := url.Values{"before": {strconv.FormatInt(rows[len(rows)-1].EscalationID, 10)}}
		if campaignID > 0 {
			q.Set("campaign", strconv.FormatInt(campaignID, 10))
		}
		v.OlderURL = paths.ConsoleNeedsPerson(q)
	}
	for _, r := range rows {
		row := consoleviews.NeedsPersonRow{Since: r.RaisedAt, Reason: escalationReason(c, r),
			Owner:    ownerName(model.Owner{Name: r.Name, Email: r.Email, HostUserID: r.HostUserID}),
			Vehicle:  vehicletext.Title(model.Vehicle{Make: r.Make, Model: r.Model, Year: r.Year}),
			Campaign: i18n.T(ctx, "console.alerts.queue_no_campaign")}
		if r.OwnerID != nil {
			row.OwnerURL = paths.ConsoleOwner(*r.OwnerID)
		}
		if r.CampaignID != nil {
			if n, ok := names[*r.CampaignID]; ok {
				row.Campaign = n
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return render.HTML(c, http.StatusOK, consoleviews.NeedsPerson(v))
}

func escalationReason(c echo.Context, r store.QueueRow) string {
	ctx := c.Request().Context()
	if r.Reason == model.EscalationFailedAttempts {
		return i18n.T(ctx, "console.alerts.reason_failed_attempts", map[string]any{"Count": r.FailedAttempts})
	}
	return i18n.T(ctx, "console.alerts.reason_reminders_exhausted")
}
