package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

// campaignRequest is the body of a create; omitted fields take the
// service's defaults.
type campaignRequest struct {
	Name              string               `json:"name"`
	Make              string               `json:"make"`
	Models            []string             `json:"models"`
	YearFrom          int                  `json:"year_from"`
	YearTo            int                  `json:"year_to"`
	Countries         []string             `json:"countries"`
	VehicleIDs        []string             `json:"vehicle_ids"`
	Reason            model.CampaignReason `json:"reason"`
	CustomMessage     map[string]string    `json:"custom_message"`
	CutoverAt         string               `json:"cutover_at"`
	BreaksConnections *bool                `json:"breaks_connections"`
	RepairFlow        model.RepairFlow     `json:"repair_flow"`
	NoticeOffsets     []string             `json:"notice_offsets"`
	FirstWave         int                  `json:"first_wave"`
	WaveHold          string               `json:"wave_hold"`
}

// CampaignCreate saves a draft campaign and answers it with its cohort as
// it stands. An Idempotency-Key header makes a retry answer the same
// campaign.
func (h *Handler) CampaignCreate(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	var req campaignRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	in := campaign.Input{
		Name: req.Name, Make: req.Make, Models: req.Models, YearFrom: req.YearFrom, YearTo: req.YearTo,
		Countries: req.Countries, VehicleIDs: req.VehicleIDs, Reason: req.Reason, CustomMessage: req.CustomMessage,
		BreaksConnections: req.BreaksConnections, RepairFlow: req.RepairFlow, FirstWave: req.FirstWave,
		IdempotencyKey: c.Request().Header.Get("Idempotency-Key"),
	}
	var err error
	if req.CutoverAt != "" {
		if in.CutoverAt, err = parseCutover(req.CutoverAt); err != nil {
			return err
		}
	}
	if req.NoticeOffsets != nil {
		if in.NoticeOffsets, err = parseOffsets(req.NoticeOffsets); err != nil {
			return err
		}
	}
	if req.WaveHold != "" {
		if in.WaveHold, err = parseHold(req.WaveHold); err != nil {
			return err
		}
	}
	camp, err := h.Campaigns.Create(c.Request().Context(), in)
	if err != nil {
		return campaignError(err)
	}
	out, err := h.withFigures(c, camp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}
