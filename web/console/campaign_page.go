package console

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

const campaignVehiclesPerPage = 50

// campaignMoves are the actions on a campaign, in the order the page
// offers them; each is offered in the states that allow it. A label is a
// message id.
var campaignMoves = []struct {
	move, label, tone string
	to                model.CampaignState
}{
	{"launch", "console.campaign.move_launch", "", model.CampaignRunning},
	{"resume", "console.campaign.move_resume", "", model.CampaignRunning},
	{"pause", "console.campaign.move_pause", "secondary", model.CampaignPaused},
	{"cancel", "console.confirm.cancel_heading", "quiet", model.CampaignCancelled},
}

// moveAllowed says whether the campaign's state allows the move: launch
// only from a draft, resume only from paused.
func moveAllowed(c model.Campaign, move string) bool {
	switch move {
	case "launch":
		return c.State == model.CampaignDraft
	case "resume":
		return c.State == model.CampaignPaused
	case "pause":
		return c.State == model.CampaignRunning
	case "cancel":
		return c.State.CanMoveTo(model.CampaignCancelled)
	}
	return false
}

// CampaignPage shows a campaign: its progress, its funnel, its cohort, its
// definition and its vehicles (searchable, paged), and to admins the moves
// its state allows.
func (con *Handler) CampaignPage(c echo.Context) error {
	camp, err := con.campaignParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	now := con.Store.Now()
	v := consoleviews.CampaignView{Chrome: con.chrome(c, camp.Name, "campaigns"), ID: camp.ID, Name: camp.Name,
		Chip: campaignChip(camp.State), Launched: camp.LaunchedAt != nil, NoticesURL: paths.ConsoleCampaignNotices(camp.ID),
		SearchURL: paths.ConsoleCampaign(camp.ID, nil)}
	co, err := con.Campaigns.Preview(ctx, camp.ID)
	if err != nil {
		return err
	}
	v.Cohort = cohortView(ctx, co, camp.CutoverAt, camp.NoticeOffsets, now, camp.State != model.CampaignDraft)
	if camp.State == model.CampaignDraft {
		v.Cohort.Warnings = append(v.Cohort.Warnings, con.rateWarnings(ctx, co.Owners, camp.CutoverAt, camp.NoticeOffsets, camp.FirstWave, camp.WaveHold)...)
	}
	v.AutoPause = autoPauseBanner(ctx, camp, "", v.Admin)
	v.Definition, v.Messages = campaignDefinition(ctx, camp)
	if v.Admin {
		for _, m := range campaignMoves {
			if moveAllowed(camp, m.move) {
				v.Moves = append(v.Moves, consoleviews.MoveLink{Move: m.move, Label: i18n.T(ctx, m.label), Tone: m.tone, URL: paths.ConsoleCampaignMove(camp.ID, m.move)})
			}
		}
	}
	if v.Launched {
		p, err := con.Campaigns.Progress(ctx, camp.ID)
		if err != nil {
			return err
		}
		v.Progress = progressLine(ctx, camp, p, now)
		v.Funnel = []consoleviews.Metric{
			{ID: "vehicles", Label: i18n.T(ctx, "console.funnel.vehicles"), Count: p.Counts.Vehicles},
			{ID: string(model.StepNotified), Label: i18n.T(ctx, "console.funnel.notified"), Count: p.Counts.Notified},
			{ID: string(model.StepOpened), Label: i18n.T(ctx, "console.funnel.opened"), Count: p.Counts.Opened},
			{ID: string(model.StepStarted), Label: i18n.T(ctx, "console.funnel.started"), Count: p.Counts.Started},
			{ID: string(model.StepCompleted), Label: i18n.T(ctx, "console.funnel.completed"), Count: p.Counts.Completed},
			{ID: "declines", Label: i18n.T(ctx, "console.funnel.declined"), Count: p.Counts.Declined},
		}
		if err := con.campaignVehicles(c, camp, &v); err != nil {
			return err
		}
		if v.FollowUp, err = con.followUpView(ctx, camp, v.Admin); err != nil {
			return err
		}
	}
	return render.HTML(c, http.StatusOK, consoleviews.Campaign(v))
}

// campaignVehicles fills the page's vehicle list: the query (a VIN, a
// vehicle id or an owner's email, or the start of one) and the page.
func (con *Handler) campaignVehicles(c echo.Context, camp model.Campaign, v *consoleviews.CampaignView) error {
	v.Query = strings.TrimSpace(c.QueryParam("q"))
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	page, err := con.Campaigns.VehiclesPage(c.Request().Context(), camp.ID, v.Query, campaign.VehiclePage{After: after, Limit: campaignVehiclesPerPage})
	if err != nil {
		return err
	}
	q := url.Values{}
	if v.Query != "" {
		q.Set("q", v.Query)
	}
	if after > 0 {
		v.FirstURL = paths.ConsoleCampaign(camp.ID, q)
	}
	if page.Next > 0 {
		next := url.Values{"after": {strconv.FormatInt(page.Next, 10)}}
		if v.Query != "" {
			next.Set("q", v.Query)
		}
		v.NextURL = paths.ConsoleCampaign(camp.ID, next)
	}
	for _, r := range page.Rows {
		row := consoleviews.CampaignVehicleRow{VIN: r.VIN, SmartcarID: r.SmartcarID, Chip: consoleChip(r.State), Wave: r.Wave,
			Vehicle: vehicletext.Title(model.Vehicle{Make: r.Make, Model: r.Model, Year: r.Year}), OwnerEmail: r.Email}
		if r.OwnerID != nil {
			row.OwnerURL = paths.ConsoleOwner(*r.OwnerID)
			if row.OwnerEmail == "" {
				row.OwnerEmail = r.HostUserID + " (" + i18n.T(c.Request().Context(), "console.campaign.no_email") + ")"
			}
		}
		step, tone := campaignStep(r.CampaignVehicle)
		row.Step, row.StepTone = i18n.T(c.Request().Context(), step), tone
		v.Vehicles = append(v.Vehicles, row)
	}
	return nil
}

// campaignStep is the furthest step a vehicle reached in the campaign:
// its message id and its chip's tone.
func campaignStep(cv store.CampaignVehicle) (string, string) {
	switch {
	case cv.CompletedAt != nil:
		return "console.step.completed", "ok"
	case cv.DeclinedAt != nil:
		return "console.step.declined", "neutral"
	case cv.FailedAt != nil:
		return "console.step.failed", "danger"
	case cv.StartedAt != nil:
		return "console.step.started", "info"
	case cv.OpenedAt != nil:
		return "console.step.opened", "info"
	case cv.NotifiedAt != nil:
		return "console.step.notified", "info"
	}
	return "console.step.not_told", "neutral"
}

// campaignDefinition lists what the campaign is, and staff's own sentence
// by language.
func campaignDefinition(ctx context.Context, c model.Campaign) (def, msgs []consoleviews.KeyValue) {
	T := func(id string, data ...map[string]any) string { return i18n.T(ctx, id, data...) }
	or := func(s, none string) string {
		if s == "" {
			return none
		}
		return s
	}
	years := T("console.definition.any")
	switch {
	case c.YearFrom > 0 && c.YearTo > 0:
		years = T("console.definition.years_between", map[string]any{"From": c.YearFrom, "To": c.YearTo})
	case c.YearFrom > 0:
		years = T("console.definition.years_from", map[string]any{"From": c.YearFrom})
	case c.YearTo > 0:
		years = T("console.definition.years_to", map[string]any{"To": c.YearTo})
	}
	list := T("console.definition.no")
	if c.HasVehicleList {
		list = T("console.definition.list_yes")
	}
	offsets := make([]string, len(c.NoticeOffsets))
	for i, d := range c.NoticeOffsets {
		offsets[i] = campaign.FormatOffset(d)
	}
	breaks := T("console.definition.no")
	if c.BreaksConnections {
		breaks = T("console.definition.yes")
	}
	waves := T("console.definition.waves_all")
	if c.FirstWave < 100 && c.WaveHold > 0 {
		waves = T("console.definition.waves", map[string]any{"First": c.FirstWave, "Span": span(ctx, c.WaveHold)})
	}
	def = []consoleviews.KeyValue{
		{Key: T("console.campaigns.col_make"), Value: c.Make},
		{Key: T("console.definition.models"), Value: or(strings.Join(c.Models, ", "), T("console.definition.any"))},
		{Key: T("console.definition.years"), Value: years},
		{Key: T("console.definition.countries"), Value: or(strings.Join(c.Countries, ", "), T("console.definition.any"))},
		{Key: T("console.definition.list"), Value: list},
		{Key: T("console.col.reason"), Value: reasonLabel(ctx, c.Reason)},
		{Key: T("console.campaigns.col_cutover"), Value: formatFormTime(c.CutoverAt) + " UTC"},
		{Key: T("console.definition.breaks"), Value: breaks},
		{Key: T("console.definition.repair"), Value: flowLabel(ctx, c.RepairFlow)},
		{Key: T("console.campaign_new.offsets"), Value: T("console.definition.offsets", map[string]any{"Offsets": strings.Join(offsets, ", ")})},
		{Key: T("console.definition.waves_key"), Value: waves},
	}
	tags := make([]string, 0, len(c.CustomMessage))
	for tag := range c.CustomMessage {
		tags = append(tags, tag)
	}
	// The site's languages first, in their order, then any others.
	rank := func(tag string) int {
		for i, l := range i18n.Supported {
			if l.Tag == tag {
				return i
			}
		}
		return len(i18n.Supported)
	}
	sort.Slice(tags, func(i, j int) bool {
		if ri, rj := rank(tags[i]), rank(tags[j]); ri != rj {
			return ri < rj
		}
		return tags[i] < tags[j]
	})
	for _, tag := range tags {
		msgs = append(msgs, consoleviews.KeyValue{Key: languageName(ctx, tag), Value: c.CustomMessage[tag]})
	}
	return def, msgs
}
