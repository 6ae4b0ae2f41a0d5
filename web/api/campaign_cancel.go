package api

import (
	"github.com/labstack/echo/v4"
)

// CampaignCancel cancels a campaign (409 when its state does not allow it).
func (h *Handler) CampaignCancel(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	return h.transition(c, h.Campaigns.Cancel)
}
