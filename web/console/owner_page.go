package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/staff"
	"reconnect/internal/store"
	"reconnect/internal/timeline"
	"reconnect/internal/vehicletext"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// clipText shortens long text for a table cell, marking the cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return store.Clip(s, n) + "…"
}

// ttlWords says a duration the way the reason hint reads it, in the
// request's language.
func ttlWords(ctx context.Context, d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		if m := int(d / time.Minute); m != 1 {
			return i18n.T(ctx, "console.owner.minutes", map[string]any{"Count": m})
		}
		return i18n.T(ctx, "console.owner.one_minute")
	}
	return d.String()
}

func (con *Handler) ownerParam(c echo.Context) (model.Owner, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return model.Owner{}, echo.ErrNotFound
	}
	return con.Store.OwnerByID(c.Request().Context(), id)
}

// ownerView builds the owner detail page.
func (con *Handler) ownerView(c echo.Context, o model.Owner) (consoleviews.OwnerView, error) {
	ctx := c.Request().Context()
	v := consoleviews.OwnerView{
		Chrome: con.chrome(c, ownerName(o), "search"),
		Owner: consoleviews.OwnerInfo{ID: o.ID, Name: ownerName(o), Email: o.Email, HostUserID: o.HostUserID,
			Locale: o.Locale, TimeZone: o.TimeZone, Since: o.CreatedAt},
		EmailReady: con.FreshLinks.EmailReady(), HasEmail: o.Email != "",
		TTL: ttlWords(ctx, con.Staff.Config().ImpersonationTTL), TimelineCSVURL: paths.ConsoleOwnerEventsCSV(o.ID),
	}
	vs, err := con.Store.VehiclesByOwner(ctx, o.ID)
	if err != nil {
		return v, err
	}
	if v.Sees, err = con.ownerSees(ctx, o, vs); err != nil {
		return v, err
	}
	titles := map[int64]string{}
	for _, veh := range vs {
		titles[veh.ID] = vehicletext.Title(veh)
		reason := veh.Reason
		if veh.ReasonDetail != "" {
			reason = strings.TrimSpace(reason + " " + clipText(veh.ReasonDetail, 200))
		}
		v.Vehicles = append(v.Vehicles, consoleviews.VehicleRow{
			ID: veh.ID, Title: vehicletext.Title(veh), Nickname: veh.Nickname, VIN: veh.VIN, SmartcarID: veh.SmartcarID,
			Chip: consoleChip(veh.State), Reason: reason, Since: veh.StateChangedAt,
		})
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	const pageSize = 50
	evs, err := con.Store.OwnerTimeline(ctx, o.ID, store.Page{Before: before, Limit: pageSize})
	if err != nil {
		return v, err
	}
	facts, err := timeline.Gather(ctx, con.Store, o.ID, vs, evs)
	if err != nil {
		return v, err
	}
	for _, e := range evs {
		row := consoleviews.TimelineRow{At: e.OccurredAt, What: timeline.SentenceIn(i18n.From(ctx), e, facts), Source: string(e.Source), Detail: e.Detail}
		if e.VehicleID != nil {
			row.Vehicle = titles[*e.VehicleID]
			if row.Vehicle == "" {
				row.Vehicle = "#" + strconv.FormatInt(*e.VehicleID, 10)
			}
		}
		v.Timeline = consoleviews.AddToDay(v.Timeline, row)
	}
	if len(evs) == pageSize {
		v.OlderURL = paths.ConsoleOwner(o.ID) + "?before=" + strconv.FormatInt(evs[len(evs)-1].ID, 10)
	}
	entries, err := con.Audit.List(ctx, store.AuditFilter{OwnerID: &o.ID, Limit: 20})
	if err != nil {
		return v, err
	}
	v.Audit = auditRows(entries)
	if cur, ok := currentStaff(c); ok {
		im, err := con.activeView(c, cur)
		v.Impersonating = err == nil && im.OwnerID == o.ID
	}
	return v, nil
}

// OwnerDetail shows an owner, their vehicles and timeline; each look is
// written to the audit log.
func (con *Handler) OwnerDetail(c echo.Context) error {
	o, err := con.ownerParam(c)
	if err != nil {
		return err
	}
	cur, _ := currentStaff(c)
	if c.QueryParam("before") == "" {
		if err := con.Audit.RecordLook(c.Request().Context(), audit.Entry{Actor: con.actor(c, cur), Owner: &o, Action: model.AuditOwnerViewed}); err != nil {
			return err
		}
	}
	v, err := con.ownerView(c, o)
	if err != nil {
		return err
	}
	return render.HTML(c, http.StatusOK, consoleviews.Owner(v))
}

// ImpersonateStart begins viewing as the owner, for a stated reason.
func (con *Handler) ImpersonateStart(c echo.Context) error {
	o, err := con.ownerParam(c)
	if err != nil {
		return err
	}
	cur, _ := currentStaff(c)
	reason := c.FormValue("reason")
	_, err = con.Staff.StartImpersonation(c.Request().Context(), cur, con.actor(c, cur), o, reason)
	var bad *staff.InputError
	if errors.As(err, &bad) {
		v, verr := con.ownerView(c, o)
		if verr != nil {
			return verr
		}
		v.Reason, v.Errors = reason, consoleviews.FieldErrors{bad.Field: inputMessage(c, bad)}
		return render.HTML(c, http.StatusUnprocessableEntity, consoleviews.Owner(v))
	}
	if err != nil {
		return err
	}
	// Whatever owner session this browser had is dropped, so that nothing
	// done as that owner can mix with the view.
	if err := con.Sessions.SignOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.OwnerPage())
}

// ImpersonateExit ends the view and returns to the owner in the console.
func (con *Handler) ImpersonateExit(c echo.Context) error {
	cur, _ := currentStaff(c)
	im, err := con.Staff.EndImpersonation(c.Request().Context(), cur, con.actor(c, cur))
	if errors.Is(err, staff.ErrNoImpersonation) {
		return c.Redirect(http.StatusSeeOther, paths.Console())
	}
	if err != nil {
		return err
	}
	con.flash(c, noticeViewEnded, im.OwnerID)
	return c.Redirect(http.StatusSeeOther, paths.ConsoleOwner(im.OwnerID))
}
