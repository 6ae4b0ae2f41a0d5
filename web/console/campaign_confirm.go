package console

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// campaignMove is one of the four confirmed actions on a campaign: what
// the confirmation says, what the service does, and what the audit log
// records.
type campaignMove struct {
	move string
	// heading and button are message ids, and explain gives message ids:
	// the confirmation says them in the staff member's language.
	heading string
	button  string
	tone    string
	done    notice
	action  model.AuditAction
	do      func(s *campaign.Service, ctx context.Context, id int64) (model.Campaign, error)
	// explain says what will happen, in the campaign's terms.
	explain func(c model.Campaign) []string
	// cohort shows the cohort on the confirmation (a launch draws it).
	cohort bool
}

// confirmMove shows the confirmation: what will happen, and a form whose
// checkbox must be ticked.
func (con *Handler) confirmMove(c echo.Context, m campaignMove) error {
	camp, err := con.campaignParam(c)
	if err != nil {
		return err
	}
	v, err := con.confirmView(c, camp, m)
	if err != nil {
		return err
	}
	if !moveAllowed(camp, m.move) {
		v.Error = i18n.T(c.Request().Context(), "console.confirm.wrong_state", map[string]any{"State": campaignChip(camp.State).Text(c.Request().Context())})
		return render.HTML(c, http.StatusConflict, consoleviews.CampaignConfirm(v))
	}
	return render.HTML(c, http.StatusOK, consoleviews.CampaignConfirm(v))
}

func (con *Handler) confirmView(c echo.Context, camp model.Campaign, m campaignMove) (consoleviews.ConfirmView, error) {
	ctx := c.Request().Context()
	heading := i18n.T(ctx, m.heading)
	var explain []string
	for _, id := range m.explain(camp) {
		explain = append(explain, i18n.T(ctx, id))
	}
	v := consoleviews.ConfirmView{Chrome: con.chrome(c, heading, "campaigns"), Name: camp.Name, Heading: heading,
		Explain: explain, Action: paths.ConsoleCampaignMove(camp.ID, m.move), Button: i18n.T(ctx, m.button), Tone: m.tone,
		Back: paths.ConsoleCampaign(camp.ID, nil)}
	if m.cohort {
		co, err := con.Campaigns.Preview(c.Request().Context(), camp.ID)
		if err != nil {
			return v, err
		}
		cv := cohortView(ctx, co, camp.CutoverAt, camp.NoticeOffsets, con.Store.Now(), false)
		v.Cohort = &cv
	}
	return v, nil
}

// doMove acts once the checkbox is ticked, writing the audit entry in the
// transaction of the change; without the tick, or when the campaign's
// state does not allow it, the confirmation comes back saying why.
func (con *Handler) doMove(c echo.Context, m campaignMove) error {
	camp, err := con.campaignParam(c)
	if err != nil {
		return err
	}
	refuse := func(status int, msg string) error {
		v, err := con.confirmView(c, camp, m)
		if err != nil {
			return err
		}
		v.Error = msg
		return render.HTML(c, status, consoleviews.CampaignConfirm(v))
	}
	if c.FormValue("confirm") != "yes" {
		return refuse(http.StatusUnprocessableEntity, i18n.T(c.Request().Context(), "console.confirm.tick"))
	}
	if !moveAllowed(camp, m.move) {
		return refuse(http.StatusConflict, i18n.T(c.Request().Context(), "console.confirm.wrong_state_nothing", map[string]any{"State": campaignChip(camp.State).Text(c.Request().Context())}))
	}
	ctx := c.Request().Context()
	cur, _ := currentStaff(c)
	_, err = con.Campaigns.Recorded(ctx, func(s *campaign.Service) (model.Campaign, error) { return m.do(s, ctx, camp.ID) },
		func(tx *store.Store, after model.Campaign) error {
			return con.Audit.Record(ctx, tx, audit.Entry{Actor: con.actor(c, cur), Action: m.action, Detail: campaignDetail(after)})
		})
	switch {
	case errors.Is(err, campaign.ErrEmptyCohort):
		return refuse(http.StatusUnprocessableEntity, i18n.T(ctx, "console.confirm.empty"))
	case errors.Is(err, campaign.ErrTransition):
		return refuse(http.StatusConflict, i18n.T(ctx, "console.confirm.changed"))
	case err != nil:
		return err
	}
	con.flash(c, m.done, 0)
	return c.Redirect(http.StatusSeeOther, paths.ConsoleCampaign(camp.ID, nil))
}
