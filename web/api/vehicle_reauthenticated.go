package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/store"
	"reconnect/web/render"
)

// VehicleReauthenticated records a re-authentication the host ran itself
// for the vehicle (by Smartcar id, else VIN): a broken car is connected
// again, and the car completes the live campaigns it is in.
func (h *Handler) VehicleReauthenticated(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	ref := c.Param("vehicle_id")
	if err := pathID("vehicle_id", ref); err != nil {
		return err
	}
	v, done, err := h.Campaigns.Reauthenticated(c.Request().Context(), ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &render.APIError{Status: http.StatusNotFound, Code: "vehicle_not_found", Message: "no vehicle has this Smartcar id or VIN"}
	case errors.Is(err, campaign.ErrAmbiguousVehicle):
		return &render.APIError{Status: http.StatusConflict, Code: "ambiguous_vin", Message: "several vehicles have this VIN; use the Smartcar vehicle id"}
	case err != nil:
		return err
	}
	if done == nil {
		done = []int64{}
	}
	return c.JSON(http.StatusOK, map[string]any{"vehicle_id": v.SmartcarID, "state": v.State, "campaigns_completed": done})
}
