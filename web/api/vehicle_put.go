package api

import (
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/render"
)

type vehicleJSON struct {
	VehicleID      string `json:"vehicle_id"`
	Make           string `json:"make"`
	Model          string `json:"model"`
	Year           int    `json:"year"`
	VIN            string `json:"vin"`
	Nickname       string `json:"nickname"`
	SmartcarUserID string `json:"smartcar_user_id"`
	// Country is ISO 3166-1 alpha-2 ("DE"); Priority orders campaign waves.
	Country  string `json:"country,omitempty"`
	Priority *int   `json:"priority,omitempty"`
	State    string `json:"state,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// countryCode is an ISO 3166-1 alpha-2 code as we store it.
var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

func vehicleOut(v model.Vehicle) vehicleJSON {
	p := v.Priority
	return vehicleJSON{VehicleID: v.SmartcarID, Make: v.Make, Model: v.Model, Year: v.Year, VIN: v.VIN, Nickname: v.Nickname,
		SmartcarUserID: v.SmartcarUserID, Country: v.Country, Priority: &p, State: string(v.State), Reason: v.Reason}
}

// VehiclePut creates or updates a vehicle of a known owner. A vehicle we
// already heard of from Smartcar (owner unknown) is joined to the owner here;
// one that belongs to another owner changes hands (vehicle.owner_changed).
func (h *Handler) VehiclePut(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := h.Store.OwnerByHostID(ctx, c.Param("host_user_id"))
	if errors.Is(err, store.ErrNotFound) {
		return &render.APIError{Status: http.StatusNotFound, Code: "owner_not_found", Message: "create the owner first with PUT /api/v1/owners/{host_user_id}"}
	}
	if err != nil {
		return err
	}
	vid := c.Param("vehicle_id")
	if err := pathID("vehicle_id", vid); err != nil {
		return err
	}
	var in vehicleJSON
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.State != "" || in.Reason != "" {
		return render.FieldError("state", "is read-only; report errors with POST /api/v1/errors")
	}
	if in.Year != 0 && (in.Year < 1900 || in.Year > time.Now().Year()+2) {
		return render.FieldError("year", "must be a model year such as 2021")
	}
	if in.VIN != "" && len(in.VIN) != 17 {
		return render.FieldError("vin", "must be 17 characters")
	}
	if in.Country != "" && !countryCode.MatchString(in.Country) {
		return render.FieldError("country", "must be an ISO 3166-1 alpha-2 code in capitals, such as DE")
	}
	if in.Priority != nil && (*in.Priority < -1000000 || *in.Priority > 1000000) {
		return render.FieldError("priority", "must be between -1000000 and 1000000")
	}
	vin := store.VehicleInput{
		SmartcarID: vid, OwnerID: &o.ID, SmartcarUserID: in.SmartcarUserID, ExternalID: o.HostUserID,
		Make: in.Make, Model: in.Model, Year: in.Year, VIN: in.VIN, Nickname: in.Nickname,
		Country: in.Country, Priority: in.Priority,
	}
	var v model.Vehicle
	if h.Vehicles != nil {
		v, err = h.Vehicles.SaveOwnedVehicle(ctx, nil, vin, model.OwnerChangeHostAttached, model.SourceAPI)
	} else {
		v, err = h.Store.UpsertVehicle(ctx, vin)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, vehicleOut(v))
}
