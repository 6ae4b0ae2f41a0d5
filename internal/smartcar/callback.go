package smartcar

import (
	"net/url"
	"strconv"
)

// ConnectError is the error parameter Connect puts on a failed callback.
type ConnectError string

// The documented Connect callback errors.
const (
	ConnectAccessDenied        ConnectError = "access_denied"
	ConnectInvalidSubscription ConnectError = "invalid_subscription"
	ConnectNoVehicles          ConnectError = "no_vehicles"
	ConnectVehicleIncompatible ConnectError = "vehicle_incompatible"
	ConnectConfigurationError  ConnectError = "configuration_error"
	ConnectServerError         ConnectError = "server_error"
)

// Callback is what Connect sent to the redirect URI.
type Callback struct {
	Code       string // v2 authorization code, single use, 10 minutes
	UserID     string // v3 user id, sent as sc-user-id
	VehicleID  string // set by a successful re-auth
	ExternalID string
	State      string

	Error            ConnectError
	ErrorDescription string
	StatusCode       int    // configuration_error only; 0 when absent or invalid
	ErrorMessage     string // configuration_error only
	VIN              string // vehicle_incompatible only, like Make, Model and Year
	Make             string
	Model            string
	Year             int
}

// ParseCallback reads a Connect or re-auth callback query.
func ParseCallback(q url.Values) Callback {
	atoi := func(k string) int {
		n, err := strconv.Atoi(q.Get(k))
		if err != nil {
			return 0
		}
		return n
	}
	return Callback{
		Code:             q.Get("code"),
		UserID:           q.Get("user_id"),
		VehicleID:        q.Get("vehicle_id"),
		ExternalID:       q.Get("external_id"),
		State:            q.Get("state"),
		Error:            ConnectError(q.Get("error")),
		ErrorDescription: q.Get("error_description"),
		StatusCode:       atoi("status_code"),
		ErrorMessage:     q.Get("error_message"),
		VIN:              q.Get("vin"),
		Make:             q.Get("make"),
		Model:            q.Get("model"),
		Year:             atoi("year"),
	}
}

// IsError reports whether Connect ended with an error.
func (cb Callback) IsError() bool { return cb.Error != "" }

// IsReauth reports a successful re-auth: current docs send vehicle_id and no code.
func (cb Callback) IsReauth() bool {
	return !cb.IsError() && cb.VehicleID != "" && cb.Code == ""
}

// IsFullConnect reports a successful full connect: a code (v2), or only a
// user_id, which is all the newest v3 docs promise.
func (cb Callback) IsFullConnect() bool {
	return !cb.IsError() && (cb.Code != "" || cb.UserID != "" && cb.VehicleID == "")
}
