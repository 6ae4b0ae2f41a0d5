package api

import (
	"github.com/labstack/echo/v4"
)

// CampaignLaunch launches a draft: its cohort is drawn and every notice
// written (422 when nothing matches; a repeat answers the running campaign).
func (h *Handler) CampaignLaunch(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	return h.transition(c, h.Campaigns.Launch)
}
