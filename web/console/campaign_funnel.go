package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// CampaignFunnel shows a campaign's funnel, narrowed by the wave, model and
// country of the query (unknown values narrow to nothing).
func (con *Handler) CampaignFunnel(c echo.Context) error {
	camp, err := con.campaignParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var f campaign.FunnelFilter
	f.Wave, _ = strconv.Atoi(strings.TrimSpace(c.QueryParam("wave")))
	f.Model, f.Country = strings.TrimSpace(c.QueryParam("model")), strings.TrimSpace(c.QueryParam("country"))
	fn, err := con.Campaigns.Funnel(ctx, camp.ID, f)
	if err != nil {
		return err
	}
	v := consoleviews.FunnelView{
		Chrome: con.chrome(c, i18n.T(ctx, "console.funnel.title", map[string]any{"Name": camp.Name}), "campaigns"),
		Name:   camp.Name, CampaignURL: paths.ConsoleCampaign(camp.ID, nil), CSVURL: paths.ConsoleCampaignVehiclesCSV(camp.ID),
		Launched: camp.LaunchedAt != nil, Action: paths.ConsoleCampaignFunnel(camp.ID, nil), ClearURL: paths.ConsoleCampaignFunnel(camp.ID, nil),
		Filtered: f != (campaign.FunnelFilter{}), AsOf: con.Store.Now().UTC().Format("2006-01-02 15:04 UTC"), Cohort: fn.Cohort,
	}
	funnelFilters(ctx, &v, fn)
	for _, st := range model.FunnelSteps {
		v.Steps = append(v.Steps, consoleviews.FunnelStepRow{Step: string(st), Vehicles: fn.Steps[st], Share: percent(fn.Steps[st], fn.Cohort)})
	}
	for _, cv := range fn.Conversions {
		v.Conversions = append(v.Conversions, consoleviews.FunnelConversionRow{From: string(cv.From), To: string(cv.To),
			FromReached: cv.FromReached, Reached: cv.ToReached, Rate: percent(cv.ToReached, cv.FromReached)})
	}
	for _, d := range fn.DeclinedBy {
		v.DeclinedBy = append(v.DeclinedBy, consoleviews.FunnelDetailRow{Detail: d.Detail, Vehicles: d.Vehicles})
	}
	for _, d := range fn.FailedBy {
		v.FailedBy = append(v.FailedBy, consoleviews.FunnelDetailRow{Detail: d.Detail, Vehicles: d.Vehicles})
	}
	unknown := i18n.T(ctx, "console.funnel.filter.unknown")
	v.Breakdowns = []consoleviews.FunnelBreakdown{
		breakdown("wave", fn.ByWave, unknown), breakdown("model", fn.ByModel, unknown), breakdown("country", fn.ByCountry, unknown),
	}
	for _, n := range fn.ByNotice {
		row := consoleviews.FunnelNoticeRow{Notice: n.Notice, Direct: n.Notice == model.FunnelAttributionDirect, Sent: n.Sent,
			Completed: n.Completed, Rate: percent(n.Completed, n.Sent)}
		if row.Direct {
			row.Rate = "–"
		}
		v.Notices = append(v.Notices, row)
	}
	today := con.Store.Now().UTC().Format("2006-01-02")
	for _, d := range fn.Days {
		v.Days = append(v.Days, consoleviews.ChartDay{Day: d.Day, Notified: d.Notified, Opened: d.Opened, Completed: d.Completed,
			Cutover: d.Cutover, Ahead: d.Day > today})
	}
	fc := fn.Forecast
	v.Forecast = consoleviews.FunnelForecastView{Enough: fc.Enough, Passed: fc.CutoverHasPassed, Days: fc.Days, Completed: fc.Completed,
		Expected: fc.Expected, Low: fc.Low, High: fc.High, Cohort: fn.Cohort, CutoverDay: camp.CutoverAt.UTC().Format("2006-01-02")}
	in := consoleviews.ChartInput{Days: v.Days}
	if fc.Enough && !fc.CutoverHasPassed {
		in.Forecast = &consoleviews.ChartForecast{Expected: fc.Expected, Low: fc.Low, High: fc.High}
	}
	v.Chart = consoleviews.FunnelChart(in)
	return render.HTML(c, http.StatusOK, consoleviews.CampaignFunnel(v))
}

// funnelFilters fills the filter form's choices from the whole cohort.
func funnelFilters(ctx context.Context, v *consoleviews.FunnelView, fn campaign.Funnel) {
	for _, w := range fn.Facets.Waves {
		s := strconv.Itoa(w)
		v.Waves = append(v.Waves, consoleviews.FunnelFilterOption{Value: s, Label: i18n.T(ctx, "console.funnel.filter.wave_n", map[string]any{"N": w}),
			Selected: fn.Filter.Wave == w})
	}
	for _, m := range fn.Facets.Models {
		v.Models = append(v.Models, consoleviews.FunnelFilterOption{Value: m, Label: m, Selected: fn.Filter.Model == m})
	}
	for _, c := range fn.Facets.Countries {
		if c == "" {
			continue // a filter cannot ask for "unknown": the empty value means all
		}
		v.Countries = append(v.Countries, consoleviews.FunnelFilterOption{Value: c, Label: c, Selected: fn.Filter.Country == c})
	}
}

// breakdown is one table of per-wave, per-model or per-country funnels.
func breakdown(id string, bs []campaign.Breakdown, unknown string) consoleviews.FunnelBreakdown {
	out := consoleviews.FunnelBreakdown{ID: id, Unknown: unknown}
	for _, b := range bs {
		row := consoleviews.FunnelBreakdownRow{Key: b.Key, Cohort: b.Cohort, Completed: percent(b.Steps[model.StepCompleted], b.Cohort)}
		for _, st := range model.FunnelSteps {
			row.Steps = append(row.Steps, b.Steps[st])
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// percent writes a share to one decimal ("62.5%"); "–" of nothing.
func percent(n, of int64) string {
	if of == 0 {
		return "–"
	}
	return strconv.FormatFloat(float64(n)*100/float64(of), 'f', 1, 64) + "%"
}
