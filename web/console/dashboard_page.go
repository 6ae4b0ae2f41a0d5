package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
	"reconnect/internal/timeline"
	"reconnect/internal/vehicletext"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

func consoleChip(st model.State) consoleviews.Chip {
	return consoleviews.Chip{Label: timeline.StateLabel(st), Tone: render.ChipTone(st), Msg: "console.state." + string(st)}
}

// brokenStates are the states a detection moves a vehicle into.
var brokenStates = []model.State{model.StateNeedsReauth, model.StateNeedsOEMAction, model.StateNeedsVirtualKey}

// Dashboard shows vehicles by state, recent detections and reconnects, and
// who is viewing as an owner right now.
func (con *Handler) Dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	v := consoleviews.DashboardView{Chrome: con.chrome(c, i18n.T(c.Request().Context(), "console.dashboard.heading"), "dashboard")}
	counts, err := con.Store.CountByState(ctx)
	if err != nil {
		return err
	}
	if v.Migrations, err = con.migrationAlerts(c); err != nil {
		return err
	}
	for _, st := range model.States {
		ch := consoleChip(st)
		v.States = append(v.States, consoleviews.StateCount{State: string(st), Label: ch.Label, Tone: ch.Tone, Count: counts[st]})
		v.Total += counts[st]
	}
	if v.Detections, err = con.changeRows(c, brokenStates); err != nil {
		return err
	}
	if v.Reconnects, err = con.changeRows(c, []model.State{model.StateConnected}); err != nil {
		return err
	}
	if v.FailedEvents, err = con.Store.InboxCount(ctx, store.InboxFailed); err != nil {
		return err
	}
	if cur, ok := currentStaff(c); ok && cur.IsAdmin() {
		v.FailedURL = paths.ConsoleFailedEvents(nil)
	}
	// Only staff can fix a configuration error, and owners are stuck until
	// they do: the dashboard says how many came back with one lately.
	const configErrorDays = 7
	sum, err := con.Store.ConnectErrorsSince(ctx, string(smartcar.ConnectConfigurationError), con.Store.Now().AddDate(0, 0, -configErrorDays))
	if err != nil {
		return err
	}
	v.ConfigErrors = consoleviews.ConnectErrorBox{Count: sum.Count, Days: configErrorDays, Last: sum.Last}
	active, err := con.Store.ActiveImpersonations(ctx, 20)
	if err != nil {
		return err
	}
	for _, im := range active {
		v.Active = append(v.Active, consoleviews.ActiveRow{
			Staff: im.StaffEmail, Owner: ownerName(im.Owner), Reason: im.Reason, Until: im.ExpiresAt, OwnerURL: paths.ConsoleOwner(im.OwnerID),
		})
	}
	return render.HTML(c, http.StatusOK, consoleviews.Dashboard(v))
}

func (con *Handler) changeRows(c echo.Context, to []model.State) ([]consoleviews.ChangeRow, error) {
	rows, err := con.Store.RecentStateChanges(c.Request().Context(), to, 10)
	if err != nil {
		return nil, err
	}
	out := make([]consoleviews.ChangeRow, 0, len(rows))
	for _, r := range rows {
		row := consoleviews.ChangeRow{
			At: r.OccurredAt, Chip: consoleChip(r.ToState), Source: r.Source,
			Vehicle: vehicletext.Title(model.Vehicle{Make: r.Make, Model: r.Model, Year: r.Year}),
		}
		if r.OwnerID != nil {
			row.OwnerURL = paths.ConsoleOwner(*r.OwnerID)
		}
		out = append(out, row)
	}
	return out, nil
}
