package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
	"reconnect/web/render"
)

// funnelJSON is a campaign's funnel as the API shows it: each vehicle at
// its one furthest step (the steps add up to the cohort), the conversions
// along the main line, the breakdowns, the cumulative days and the
// forecast.
type funnelJSON struct {
	CampaignID int64                      `json:"campaign_id"`
	AsOf       time.Time                  `json:"as_of"`
	CutoverAt  time.Time                  `json:"cutover_at"`
	LaunchedAt *time.Time                 `json:"launched_at"`
	Filter     funnelFilterJSON           `json:"filter"`
	Cohort     int64                      `json:"cohort"`
	Steps      map[model.FunnelStep]int64 `json:"steps"`
	// Conversions go from each step of the main line to the next.
	Conversions      []conversionJSON  `json:"conversions"`
	DeclinedByReason []reasonCountJSON `json:"declined_by_reason"`
	FailedByError    []errorCountJSON  `json:"failed_by_error"`
	ByWave           []breakdownJSON   `json:"by_wave"`
	ByModel          []breakdownJSON   `json:"by_model"`
	ByCountry        []breakdownJSON   `json:"by_country"`
	ByNotice         []noticeJSON      `json:"by_notice"`
	ByDay            []funnelDayJSON   `json:"by_day"`
	Forecast         forecastJSON      `json:"forecast"`
	Filters          funnelFacetsJSON  `json:"filters"`
}

type funnelFilterJSON struct {
	Wave    *int    `json:"wave"`
	Model   *string `json:"model"`
	Country *string `json:"country"`
}

type conversionJSON struct {
	From        model.FunnelStep `json:"from"`
	To          model.FunnelStep `json:"to"`
	FromReached int64            `json:"from_reached"`
	ToReached   int64            `json:"to_reached"`
	Rate        float64          `json:"rate"`
}

type reasonCountJSON struct {
	Reason   string `json:"reason"`
	Vehicles int64  `json:"vehicles"`
}

type errorCountJSON struct {
	Error    string `json:"error"`
	Vehicles int64  `json:"vehicles"`
}

// breakdownJSON is the funnel of one wave, model or country; the key it is
// listed under is set, the others are left out.
type breakdownJSON struct {
	Wave        *int                       `json:"wave,omitempty"`
	Model       *string                    `json:"model,omitempty"`
	Country     *string                    `json:"country,omitempty"`
	Cohort      int64                      `json:"cohort"`
	Steps       map[model.FunnelStep]int64 `json:"steps"`
	Conversions []conversionJSON           `json:"conversions"`
}

type noticeJSON struct {
	Notice    string  `json:"notice"`
	Sent      int64   `json:"sent"`
	Completed int64   `json:"completed"`
	Rate      float64 `json:"rate"`
}

type funnelDayJSON struct {
	Day       string `json:"day"`
	Notified  int64  `json:"notified"`
	Opened    int64  `json:"opened"`
	Completed int64  `json:"completed"`
	Cutover   bool   `json:"cutover"`
}

type forecastJSON struct {
	Enough        bool    `json:"enough_data"`
	Days          int     `json:"days"`
	DaysLeft      int     `json:"days_left"`
	Slope         float64 `json:"slope"`
	Intercept     float64 `json:"intercept"`
	StdDev        float64 `json:"std_dev"`
	Completed     int64   `json:"completed"`
	Expected      int64   `json:"expected"`
	Low           int64   `json:"low"`
	High          int64   `json:"high"`
	CutoverPassed bool    `json:"cutover_passed"`
}

type funnelFacetsJSON struct {
	Waves     []int    `json:"waves"`
	Models    []string `json:"models"`
	Countries []string `json:"countries"`
}

// CampaignFunnel answers a campaign's funnel, narrowed by the wave, model
// and country query parameters.
func (h *Handler) CampaignFunnel(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	id, err := campaignID(c)
	if err != nil {
		return err
	}
	f, err := funnelFilter(c)
	if err != nil {
		return err
	}
	fn, err := h.Campaigns.Funnel(c.Request().Context(), id, f)
	if err != nil {
		return campaignError(err)
	}
	return c.JSON(http.StatusOK, funnelOut(fn, h.Store.Now()))
}

// funnelFilter reads the wave, model and country query parameters.
func funnelFilter(c echo.Context) (campaign.FunnelFilter, error) {
	var f campaign.FunnelFilter
	if w := strings.TrimSpace(c.QueryParam("wave")); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 {
			return f, render.FieldError("wave", "must be a wave number from 1")
		}
		f.Wave = n
	}
	f.Model, f.Country = strings.TrimSpace(c.QueryParam("model")), strings.ToUpper(strings.TrimSpace(c.QueryParam("country")))
	if len(f.Model) > 100 {
		return f, render.FieldError("model", "must be at most 100 characters")
	}
	if f.Country != "" && !countryCode.MatchString(f.Country) {
		return f, render.FieldError("country", "must be an ISO 3166-1 alpha-2 code such as DE")
	}
	return f, nil
}

func funnelOut(f campaign.Funnel, now time.Time) funnelJSON {
	out := funnelJSON{
		CampaignID: f.Campaign.ID, AsOf: now, CutoverAt: f.Campaign.CutoverAt, LaunchedAt: f.Campaign.LaunchedAt,
		Cohort: f.Cohort, Steps: f.Steps, Conversions: conversionsOut(f.Conversions),
		DeclinedByReason: []reasonCountJSON{}, FailedByError: []errorCountJSON{},
		ByWave: []breakdownJSON{}, ByModel: []breakdownJSON{}, ByCountry: []breakdownJSON{}, ByNotice: []noticeJSON{}, ByDay: []funnelDayJSON{},
		Filters: funnelFacetsJSON{Waves: f.Facets.Waves, Models: orEmpty(f.Facets.Models), Countries: orEmpty(f.Facets.Countries)},
	}
	if out.Filters.Waves == nil {
		out.Filters.Waves = []int{}
	}
	if f.Filter.Wave > 0 {
		out.Filter.Wave = &f.Filter.Wave
	}
	if f.Filter.Model != "" {
		out.Filter.Model = &f.Filter.Model
	}
	if f.Filter.Country != "" {
		out.Filter.Country = &f.Filter.Country
	}
	for _, d := range f.DeclinedBy {
		out.DeclinedByReason = append(out.DeclinedByReason, reasonCountJSON{Reason: d.Detail, Vehicles: d.Vehicles})
	}
	for _, d := range f.FailedBy {
		out.FailedByError = append(out.FailedByError, errorCountJSON{Error: d.Detail, Vehicles: d.Vehicles})
	}
	for _, b := range f.ByWave {
		bj := breakdownOut(b)
		w, _ := strconv.Atoi(b.Key)
		bj.Wave = &w
		out.ByWave = append(out.ByWave, bj)
	}
	for _, b := range f.ByModel {
		bj := breakdownOut(b)
		bj.Model = &b.Key
		out.ByModel = append(out.ByModel, bj)
	}
	for _, b := range f.ByCountry {
		bj := breakdownOut(b)
		bj.Country = &b.Key
		out.ByCountry = append(out.ByCountry, bj)
	}
	for _, n := range f.ByNotice {
		out.ByNotice = append(out.ByNotice, noticeJSON{Notice: n.Notice, Sent: n.Sent, Completed: n.Completed, Rate: n.Rate})
	}
	for _, d := range f.Days {
		out.ByDay = append(out.ByDay, funnelDayJSON{Day: d.Day, Notified: d.Notified, Opened: d.Opened, Completed: d.Completed, Cutover: d.Cutover})
	}
	fc := f.Forecast
	out.Forecast = forecastJSON{Enough: fc.Enough, Days: fc.Days, DaysLeft: fc.DaysLeft, Slope: fc.Slope, Intercept: fc.Intercept,
		StdDev: fc.StdDev, Completed: fc.Completed, Expected: fc.Expected, Low: fc.Low, High: fc.High, CutoverPassed: fc.CutoverHasPassed}
	return out
}

func breakdownOut(b campaign.Breakdown) breakdownJSON {
	return breakdownJSON{Cohort: b.Cohort, Steps: b.Steps, Conversions: conversionsOut(b.Conversions)}
}

func conversionsOut(cs []campaign.Conversion) []conversionJSON {
	out := make([]conversionJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, conversionJSON{From: c.From, To: c.To, FromReached: c.FromReached, ToReached: c.ToReached, Rate: c.Rate})
	}
	return out
}
