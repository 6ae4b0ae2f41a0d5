package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/render"
)

// campaignJSON is a campaign as the API shows it. Durations are Go
// durations ("-336h", "90m"), times RFC 3339.
type campaignJSON struct {
	ID                int64                `json:"id"`
	Name              string               `json:"name"`
	State             model.CampaignState  `json:"state"`
	Make              string               `json:"make"`
	Models            []string             `json:"models"`
	YearFrom          int                  `json:"year_from,omitempty"`
	YearTo            int                  `json:"year_to,omitempty"`
	Countries         []string             `json:"countries"`
	HasVehicleList    bool                 `json:"has_vehicle_list"`
	Reason            model.CampaignReason `json:"reason"`
	CustomMessage     map[string]string    `json:"custom_message"`
	CutoverAt         time.Time            `json:"cutover_at"`
	CutoverRevision   int                  `json:"cutover_revision"`
	BreaksConnections bool                 `json:"breaks_connections"`
	RepairFlow        model.RepairFlow     `json:"repair_flow"`
	NoticeOffsets     []string             `json:"notice_offsets"`
	FirstWave         int                  `json:"first_wave"`
	WaveHold          string               `json:"wave_hold"`
	CreatedAt         time.Time            `json:"created_at"`
	UpdatedAt         time.Time            `json:"updated_at"`
	LaunchedAt        *time.Time           `json:"launched_at,omitempty"`
	PausedAt          *time.Time           `json:"paused_at,omitempty"`
	FinishedAt        *time.Time           `json:"finished_at,omitempty"`
	CancelledAt       *time.Time           `json:"cancelled_at,omitempty"`
	// PauseReason says why a paused campaign paused itself (bounces,
	// complaints, connect_errors); absent when staff paused it.
	PauseReason model.PauseReason `json:"pause_reason,omitempty"`
	Cohort      *cohortJSON       `json:"cohort,omitempty"`
	Counts      *countsJSON       `json:"counts,omitempty"`
}

type cohortJSON struct {
	Vehicles int64                 `json:"vehicles"`
	Owners   int64                 `json:"owners"`
	ByState  map[model.State]int64 `json:"by_state"`
	NoOwner  int64                 `json:"no_owner"`
	NoEmail  int64                 `json:"no_email"`
}

type countsJSON struct {
	Notified  int64 `json:"notified"`
	Opened    int64 `json:"opened"`
	Started   int64 `json:"started"`
	Completed int64 `json:"completed"`
	Declined  int64 `json:"declined"`
}

func campaignOut(c model.Campaign) campaignJSON {
	out := campaignJSON{
		ID: c.ID, Name: c.Name, State: c.State, Make: c.Make, Models: orEmpty(c.Models), YearFrom: c.YearFrom, YearTo: c.YearTo,
		Countries: orEmpty(c.Countries), HasVehicleList: c.HasVehicleList, Reason: c.Reason, CustomMessage: c.CustomMessage,
		CutoverAt: c.CutoverAt, CutoverRevision: c.CutoverRevision, BreaksConnections: c.BreaksConnections, RepairFlow: c.RepairFlow,
		FirstWave: c.FirstWave, WaveHold: formatDuration(c.WaveHold), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		LaunchedAt: c.LaunchedAt, PausedAt: c.PausedAt, FinishedAt: c.FinishedAt, CancelledAt: c.CancelledAt,
	}
	if c.AutoPaused() {
		out.PauseReason = c.PauseReason
	}
	if out.CustomMessage == nil {
		out.CustomMessage = map[string]string{}
	}
	for _, d := range c.NoticeOffsets {
		out.NoticeOffsets = append(out.NoticeOffsets, formatDuration(d))
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// formatDuration spells whole hours as "-336h", anything else as Go does.
func formatDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return d.String()
}

// withFigures adds the cohort and the funnel to a campaign's JSON.
func (h *Handler) withFigures(c echo.Context, camp model.Campaign) (campaignJSON, error) {
	ctx := c.Request().Context()
	out := campaignOut(camp)
	cohort, err := h.Campaigns.Preview(ctx, camp.ID)
	if err != nil {
		return out, err
	}
	counts, err := h.Campaigns.Counts(ctx, camp.ID)
	if err != nil {
		return out, err
	}
	out.Cohort = &cohortJSON{Vehicles: cohort.Vehicles, Owners: cohort.Owners, ByState: cohort.ByState, NoOwner: cohort.NoOwner, NoEmail: cohort.NoEmail}
	out.Counts = &countsJSON{Notified: counts.Notified, Opened: counts.Opened, Started: counts.Started, Completed: counts.Completed, Declined: counts.Declined}
	return out, nil
}

// campaignID reads the :id path parameter.
func campaignID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errCampaignNotFound
	}
	return id, nil
}

var (
	errCampaignsOff = &render.APIError{Status: http.StatusServiceUnavailable, Code: "unavailable",
		Message: "campaigns are not running on this instance"}
	errCampaignNotFound = &render.APIError{Status: http.StatusNotFound, Code: "campaign_not_found", Message: "no campaign with this id"}
)

// campaignError turns the campaign service's errors into API answers.
func campaignError(err error) error {
	var fe *campaign.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return render.FieldError(fe.Field, fe.Message)
	case errors.Is(err, store.ErrNotFound):
		return errCampaignNotFound
	case errors.Is(err, campaign.ErrTransition):
		return &render.APIError{Status: http.StatusConflict, Code: "invalid_state", Message: strings.TrimPrefix(err.Error(), "campaign: ")}
	case errors.Is(err, campaign.ErrEmptyCohort):
		return &render.APIError{Status: http.StatusUnprocessableEntity, Code: "empty_cohort",
			Message: "no vehicle matches the campaign; check its rules with GET /api/v1/campaigns/{id} (cohort)"}
	}
	return err
}

// parseCutover reads an RFC 3339 time.
func parseCutover(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, render.FieldError("cutover_at", "must be an RFC 3339 time such as 2027-03-03T09:00:00Z")
	}
	return t, nil
}

// parseOffsets reads Go durations ("-336h", "+72h", "0h").
func parseOffsets(ss []string) ([]time.Duration, error) {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return nil, render.FieldError(fmt.Sprintf("notice_offsets[%d]", i), `must be a duration relative to cutover_at such as "-336h", "0h" or "+72h"`)
		}
		out[i] = d
	}
	return out, nil
}

func parseHold(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, render.FieldError("wave_hold", `must be a duration such as "24h"`)
	}
	return d, nil
}

// transition runs one of the service's state changes and answers the
// campaign with its figures.
func (h *Handler) transition(c echo.Context, move func(context.Context, int64) (model.Campaign, error)) error {
	id, err := campaignID(c)
	if err != nil {
		return err
	}
	camp, err := move(c.Request().Context(), id)
	if err != nil {
		return campaignError(err)
	}
	out, err := h.withFigures(c, camp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
