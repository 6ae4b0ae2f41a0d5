package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// exportFlushed is called after each flush of the vehicle export with the
// rows written so far; tests set it to prove the export streams.
var exportFlushed func(rows int64)

// CampaignVehiclesCSV streams one CSV row per vehicle of the campaign, for
// the host's own follow-up: rows are written and flushed as the database
// hands them over, so a cohort of any size costs the same memory.
func (h *Handler) CampaignVehiclesCSV(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	id, err := campaignID(c)
	if err != nil {
		return err
	}
	if _, err := h.Campaigns.Get(c.Request().Context(), id); err != nil {
		return campaignError(err)
	}
	res := c.Response()
	hd := res.Header()
	hd.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="campaign-`+strconv.FormatInt(id, 10)+`-vehicles.csv"`)
	hd.Set("Cache-Control", "no-store")
	res.WriteHeader(http.StatusOK)
	err = h.Campaigns.WriteVehiclesCSV(c.Request().Context(), id, res, func(rows int64) {
		res.Flush()
		if exportFlushed != nil {
			exportFlushed(rows)
		}
	})
	if err != nil {
		// The header is out; all that is left is to stop and log.
		h.Log.Error("campaign export failed", "campaign", id, "err", err)
	}
	return nil
}
