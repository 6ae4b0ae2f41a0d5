package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

// campaignPatch is the body of a PATCH: fields present are changed.
type campaignPatch struct {
	Name              *string               `json:"name"`
	Make              *string               `json:"make"`
	Models            *[]string             `json:"models"`
	YearFrom          *int                  `json:"year_from"`
	YearTo            *int                  `json:"year_to"`
	Countries         *[]string             `json:"countries"`
	VehicleIDs        *[]string             `json:"vehicle_ids"`
	Reason            *model.CampaignReason `json:"reason"`
	CustomMessage     *map[string]string    `json:"custom_message"`
	CutoverAt         *string               `json:"cutover_at"`
	BreaksConnections *bool                 `json:"breaks_connections"`
	RepairFlow        *model.RepairFlow     `json:"repair_flow"`
	NoticeOffsets     *[]string             `json:"notice_offsets"`
	FirstWave         *int                  `json:"first_wave"`
	WaveHold          *string               `json:"wave_hold"`
}

// CampaignUpdate changes a draft, or only the cut-over of a running or
// paused campaign (409 for anything else).
func (h *Handler) CampaignUpdate(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	id, err := campaignID(c)
	if err != nil {
		return err
	}
	var req campaignPatch
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	p := campaign.Patch{
		Name: req.Name, Make: req.Make, Models: req.Models, YearFrom: req.YearFrom, YearTo: req.YearTo,
		Countries: req.Countries, VehicleIDs: req.VehicleIDs, Reason: req.Reason, CustomMessage: req.CustomMessage,
		BreaksConnections: req.BreaksConnections, RepairFlow: req.RepairFlow, FirstWave: req.FirstWave,
	}
	if req.CutoverAt != nil {
		t, err := parseCutover(*req.CutoverAt)
		if err != nil {
			return err
		}
		p.CutoverAt = &t
	}
	if req.NoticeOffsets != nil {
		ds, err := parseOffsets(*req.NoticeOffsets)
		if err != nil {
			return err
		}
		p.NoticeOffsets = &ds
	}
	if req.WaveHold != nil {
		d, err := parseHold(*req.WaveHold)
		if err != nil {
			return err
		}
		p.WaveHold = &d
	}
	camp, err := h.Campaigns.Update(c.Request().Context(), id, p)
	if err != nil {
		return campaignError(err)
	}
	out, err := h.withFigures(c, camp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
