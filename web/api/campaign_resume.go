package api

import (
	"github.com/labstack/echo/v4"
)

// CampaignResume resumes a campaign (409 when its state does not allow it).
func (h *Handler) CampaignResume(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	return h.transition(c, h.Campaigns.Resume)
}
