package console

import (
	"github.com/labstack/echo/v4"
)

// CampaignFunnel shows a campaign's funnel.
func (con *Handler) CampaignFunnel(c echo.Context) error {
	return echo.ErrNotFound
}
