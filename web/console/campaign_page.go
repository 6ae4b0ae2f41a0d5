package console

import (
	"fmt"
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
// offers them; each is offered in the states that allow it.
var campaignMoves = []struct {
	move, label, tone string
	to                model.CampaignState
}{
	{"launch", "Launch", "", model.CampaignRunning},
	{"resume", "Resume", "", model.CampaignRunning},
	{"pause", "Pause", "secondary", model.CampaignPaused},
	{"cancel", "Cancel the campaign", "quiet", model.CampaignCancelled},
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
	v.Cohort = cohortView(co, camp.CutoverAt, camp.NoticeOffsets, now, camp.State != model.CampaignDraft)
	if camp.State == model.CampaignDraft {
		v.Cohort.Warnings = append(v.Cohort.Warnings, con.rateWarnings(ctx, co.Owners, camp.CutoverAt, camp.NoticeOffsets, camp.FirstWave, camp.WaveHold)...)
	}
	v.AutoPause = autoPauseBanner(ctx, camp, "", v.Admin)
	v.Definition, v.Messages = campaignDefinition(camp)
	if v.Admin {
		for _, m := range campaignMoves {
			if moveAllowed(camp, m.move) {
				v.Moves = append(v.Moves, consoleviews.MoveLink{Move: m.move, Label: m.label, Tone: m.tone, URL: paths.ConsoleCampaignMove(camp.ID, m.move)})
			}
		}
	}
	if v.Launched {
		p, err := con.Campaigns.Progress(ctx, camp.ID)
		if err != nil {
			return err
		}
		v.Progress = progressLine(camp, p, now)
		v.Funnel = []consoleviews.Metric{
			{ID: "vehicles", Label: "vehicles in the campaign", Count: p.Counts.Vehicles},
			{ID: string(model.StepNotified), Label: string(model.StepNotified), Count: p.Counts.Notified},
			{ID: string(model.StepOpened), Label: "opened their link", Count: p.Counts.Opened},
			{ID: string(model.StepStarted), Label: "started reconnecting", Count: p.Counts.Started},
			{ID: string(model.StepCompleted), Label: string(model.StepCompleted), Count: p.Counts.Completed},
			{ID: "declines", Label: "said they will not reconnect", Count: p.Counts.Declined},
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
				row.OwnerEmail = r.HostUserID + " (no email)"
			}
		}
		row.Step, row.StepTone = campaignStep(r.CampaignVehicle)
		v.Vehicles = append(v.Vehicles, row)
	}
	return nil
}

// campaignStep is the furthest step a vehicle reached in the campaign.
func campaignStep(cv store.CampaignVehicle) (string, string) {
	switch {
	case cv.CompletedAt != nil:
		return "Completed", "ok"
	case cv.DeclinedAt != nil:
		return "Declined", "neutral"
	case cv.FailedAt != nil:
		return "Reconnect failed", "danger"
	case cv.StartedAt != nil:
		return "Started reconnecting", "info"
	case cv.OpenedAt != nil:
		return "Opened the link", "info"
	case cv.NotifiedAt != nil:
		return "Notified", "info"
	}
	return "Not told yet", "neutral"
}

// campaignDefinition lists what the campaign is, and staff's own sentence
// by language.
func campaignDefinition(c model.Campaign) (def, msgs []consoleviews.KeyValue) {
	or := func(s, none string) string {
		if s == "" {
			return none
		}
		return s
	}
	years := "any"
	switch {
	case c.YearFrom > 0 && c.YearTo > 0:
		years = fmt.Sprintf("%d to %d", c.YearFrom, c.YearTo)
	case c.YearFrom > 0:
		years = fmt.Sprintf("%d and later", c.YearFrom)
	case c.YearTo > 0:
		years = fmt.Sprintf("up to %d", c.YearTo)
	}
	list := "no"
	if c.HasVehicleList {
		list = "yes: only the vehicles on the pasted list"
	}
	offsets := make([]string, len(c.NoticeOffsets))
	for i, d := range c.NoticeOffsets {
		offsets[i] = formatOffset(d)
	}
	breaks := "no"
	if c.BreaksConnections {
		breaks = "yes"
	}
	waves := "everyone at launch"
	if c.FirstWave < 100 && c.WaveHold > 0 {
		waves = fmt.Sprintf("%d%% at launch, the rest %s later", c.FirstWave, span(c.WaveHold))
	}
	def = []consoleviews.KeyValue{
		{Key: "Make", Value: c.Make},
		{Key: "Models", Value: or(strings.Join(c.Models, ", "), "any")},
		{Key: "Model years", Value: years},
		{Key: "Countries", Value: or(strings.Join(c.Countries, ", "), "any")},
		{Key: "Vehicle list", Value: list},
		{Key: "Reason", Value: or(reasonLabels[c.Reason], string(c.Reason))},
		{Key: "Cut-over", Value: formatFormTime(c.CutoverAt) + " UTC"},
		{Key: "Breaks connections", Value: breaks},
		{Key: "Repair", Value: or(flowLabels[c.RepairFlow], string(c.RepairFlow))},
		{Key: "Notices", Value: strings.Join(offsets, ", ") + " from the cut-over"},
		{Key: "Waves", Value: waves},
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
		msgs = append(msgs, consoleviews.KeyValue{Key: languageName(tag), Value: c.CustomMessage[tag]})
	}
	return def, msgs
}
