package console

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/model"
)

// CampaignVehiclesCSV streams one CSV row per vehicle of the campaign (the
// host user id, the car, its funnel step), as the API's export does. The
// download is audited first, so even a failed one leaves a trace.
func (con *Handler) CampaignVehiclesCSV(c echo.Context) error {
	camp, err := con.campaignParam(c)
	if err != nil {
		return err
	}
	cur, _ := currentStaff(c)
	ctx := c.Request().Context()
	if err := con.Audit.RecordLook(ctx, audit.Entry{Actor: con.actor(c, cur), Action: model.AuditExported,
		Detail: "campaign=" + strconv.FormatInt(camp.ID, 10)}); err != nil {
		return err
	}
	res := c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="campaign-`+strconv.FormatInt(camp.ID, 10)+`-vehicles.csv"`)
	h.Set("Cache-Control", "no-store")
	res.WriteHeader(http.StatusOK)
	if err := con.Campaigns.WriteVehiclesCSV(ctx, camp.ID, res, func(int64) { res.Flush() }); err != nil {
		// The header is out; all that is left is to stop and log.
		con.Log.Error("campaign export failed", "campaign", camp.ID, "err", err)
	}
	return nil
}
