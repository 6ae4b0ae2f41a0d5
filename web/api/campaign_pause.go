package api

import (
	"github.com/labstack/echo/v4"
)

// CampaignPause pauses a campaign (409 when its state does not allow it).
func (h *Handler) CampaignPause(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	return h.transition(c, h.Campaigns.Pause)
}
