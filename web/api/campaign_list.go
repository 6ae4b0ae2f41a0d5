package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/store"
	"reconnect/web/render"
)

// CampaignList lists campaigns newest first (?before=<id>&limit=, up to 100).
func (h *Handler) CampaignList(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	p := store.Page{Limit: 50}
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return render.FieldError("limit", "must be 1 to 100")
		}
		p.Limit = n
	}
	if s := c.QueryParam("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return render.FieldError("before", "must be a campaign id")
		}
		p.Before = n
	}
	list, err := h.Campaigns.List(c.Request().Context(), p)
	if err != nil {
		return err
	}
	out := struct {
		Campaigns  []campaignJSON `json:"campaigns"`
		NextBefore *int64         `json:"next_before"`
	}{Campaigns: []campaignJSON{}}
	for _, camp := range list {
		out.Campaigns = append(out.Campaigns, campaignOut(camp))
	}
	if len(list) == p.Limit {
		out.NextBefore = &list[len(list)-1].ID
	}
	return c.JSON(http.StatusOK, out)
}
