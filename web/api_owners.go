package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// bindJSON decodes a JSON body strictly: unknown fields are an error, so a
// typo in a field name is reported instead of silently ignored.
func bindJSON(c echo.Context, dst any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return fieldError(ute.Field, "has the wrong type")
		}
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			return fieldError(strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "is not a known field")
		}
		return &APIError{Status: http.StatusBadRequest, Code: "malformed_json", Message: "the body is not valid JSON: " + err.Error()}
	}
	return nil
}

type ownerJSON struct {
	HostUserID string `json:"host_user_id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Locale     string `json:"locale"`
	TimeZone   string `json:"time_zone"`
}

func ownerOut(o model.Owner) ownerJSON {
	return ownerJSON{HostUserID: o.HostUserID, Email: o.Email, Name: o.Name, Locale: o.Locale, TimeZone: o.TimeZone}
}

func validHostID(id string) bool {
	return id != "" && len(id) <= 255 && !strings.ContainsAny(id, "\x00\r\n")
}

// apiOwnerPut creates or updates an owner.
func (s *Server) apiOwnerPut(c echo.Context) error {
	id := c.Param("host_user_id")
	if !validHostID(id) {
		return fieldError("host_user_id", "must be 1 to 255 characters")
	}
	var in ownerJSON
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != strings.TrimSpace(in.Email) {
			return fieldError("email", "must be a plain email address such as owner@example.com")
		}
	}
	if in.Locale != "" {
		if _, err := language.Parse(in.Locale); err != nil {
			return fieldError("locale", "must be a language tag such as en, de-AT or fr")
		}
	}
	if in.TimeZone != "" {
		if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "Local" {
			return fieldError("time_zone", "must be an IANA time zone such as Europe/Berlin")
		}
	}
	if len(in.Name) > 200 {
		return fieldError("name", "must be at most 200 characters")
	}
	o, err := s.store.UpsertOwner(c.Request().Context(), store.OwnerInput{HostUserID: id, Email: in.Email, Name: in.Name, Locale: in.Locale, TimeZone: in.TimeZone})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ownerOut(o))
}

type vehicleJSON struct {
	VehicleID      string `json:"vehicle_id"`
	Make           string `json:"make"`
	Model          string `json:"model"`
	Year           int    `json:"year"`
	VIN            string `json:"vin"`
	Nickname       string `json:"nickname"`
	SmartcarUserID string `json:"smartcar_user_id"`
	State          string `json:"state,omitempty"`
	Reason         string `json:"reason,omitempty"`
}

func vehicleOut(v model.Vehicle) vehicleJSON {
	return vehicleJSON{VehicleID: v.SmartcarID, Make: v.Make, Model: v.Model, Year: v.Year, VIN: v.VIN, Nickname: v.Nickname,
		SmartcarUserID: v.SmartcarUserID, State: string(v.State), Reason: v.Reason}
}

// apiVehiclePut creates or updates a vehicle of a known owner. A vehicle we
// already heard of from Smartcar (owner unknown) is joined to the owner here.
func (s *Server) apiVehiclePut(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := s.store.OwnerByHostID(ctx, c.Param("host_user_id"))
	if errors.Is(err, store.ErrNotFound) {
		return &APIError{Status: http.StatusNotFound, Code: "owner_not_found", Message: "create the owner first with PUT /api/v1/owners/{host_user_id}"}
	}
	if err != nil {
		return err
	}
	vid := c.Param("vehicle_id")
	if !validHostID(vid) {
		return fieldError("vehicle_id", "must be 1 to 255 characters")
	}
	var in vehicleJSON
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.State != "" || in.Reason != "" {
		return fieldError("state", "is read-only; report errors with POST /api/v1/errors")
	}
	if in.Year != 0 && (in.Year < 1900 || in.Year > time.Now().Year()+2) {
		return fieldError("year", "must be a model year such as 2021")
	}
	if in.VIN != "" && len(in.VIN) != 17 {
		return fieldError("vin", "must be 17 characters")
	}
	v, err := s.store.UpsertVehicle(ctx, store.VehicleInput{
		SmartcarID: vid, OwnerID: &o.ID, SmartcarUserID: in.SmartcarUserID, ExternalID: o.HostUserID,
		Make: in.Make, Model: in.Model, Year: in.Year, VIN: in.VIN, Nickname: in.Nickname,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, vehicleOut(v))
}

type statusVehicle struct {
	vehicleJSON
	NeedsAction bool      `json:"needs_action"`
	Message     string    `json:"message,omitempty"`
	Link        *linkJSON `json:"link,omitempty"`
}

type statusJSON struct {
	HostUserID  string          `json:"host_user_id"`
	NeedsAction bool            `json:"needs_action"`
	Vehicles    []statusVehicle `json:"vehicles"`
}

// apiOwnerStatus tells the host what to show in its own banner: each vehicle,
// whether it needs the owner, the message in the owner's language, and a
// fresh single-use in-app link.
func (s *Server) apiOwnerStatus(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := s.store.OwnerByHostID(ctx, c.Param("host_user_id"))
	if errors.Is(err, store.ErrNotFound) {
		return &APIError{Status: http.StatusNotFound, Code: "owner_not_found", Message: "no owner with that host_user_id"}
	}
	if err != nil {
		return err
	}
	vs, err := s.store.VehiclesByOwner(ctx, o.ID)
	if err != nil {
		return err
	}
	loc := s.i18n.Localizer(s.i18n.Match(o.Locale, c.Request().Header.Get("Accept-Language")))
	out := statusJSON{HostUserID: o.HostUserID, Vehicles: []statusVehicle{}}
	for _, v := range vs {
		sv := statusVehicle{vehicleJSON: vehicleOut(v), NeedsAction: v.State.NeedsOwner()}
		if sv.NeedsAction {
			out.NeedsAction = true
			data := map[string]any{"Make": makeName(v.Make), "App": s.cfg.AppName, "Car": carTitle(v)}
			if rk, tk := reasonKeys(v); rk != "" {
				sv.Message = loc.T(rk, data)
				if tk != "" {
					sv.Message += " " + loc.T(tk, data)
				}
			}
			vid := v.ID
			m, err := s.links.Mint(ctx, nil, linkMint(o.ID, &vid, model.PurposeInApp, "", model.SourceAPI))
			if err != nil {
				return err
			}
			sv.Link = &linkJSON{URL: m.URL, ExpiresAt: m.ExpiresAt.UTC()}
		}
		out.Vehicles = append(out.Vehicles, sv)
	}
	return c.JSON(http.StatusOK, out)
}
