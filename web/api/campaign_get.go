package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// CampaignGet answers a campaign with its cohort (a draft's live match, a
// launched campaign's snapshot) and its funnel counts.
func (h *Handler) CampaignGet(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	id, err := campaignID(c)
	if err != nil {
		return err
	}
	camp, err := h.Campaigns.Get(c.Request().Context(), id)
	if err != nil {
		return campaignError(err)
	}
	out, err := h.withFigures(c, camp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
