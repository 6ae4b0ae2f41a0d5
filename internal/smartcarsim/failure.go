package smartcarsim

import (
	"fmt"
	"net/url"
	"strings"
)

// failure is the broken state a vehicle is put into; while set, the data
// endpoints answer with the matching error instead of data.
type failure struct {
	typ  string
	code string // "" means the documented null code
}

// apiError is one Smartcar API error, rendered as the v2 flat body, the v3
// errors[] item or a webhook VEHICLE_ERROR entry.
type apiError struct {
	typ            string
	code           string
	status         int
	title          string
	description    string
	userMessage    string
	resolutionType string
	resolutionURL  string
	retryAfter     int
	docURL         string
}

type failureDef struct {
	typ, code      string
	status         int
	title          string
	description    string
	userMessage    string
	resolutionType string
	// webhook marks the errors Smartcar reports as VEHICLE_ERROR events; the
	// others only show up in API responses.
	webhook bool
	// reauthFixes marks the failures that a successful re-authentication or
	// a fresh Connect session clears.
	reauthFixes bool
	retryAfter  int
	page        string
}

const csa = "CONNECTED_SERVICES_ACCOUNT"

var failureDefs = []failureDef{
	{typ: csa, code: "AUTHENTICATION_FAILED", status: 400, title: "Authentication failed",
		description:    "Smartcar was unable to authenticate with the vehicle owner's connected services account. The owner changed their credentials or the manufacturer migrated the account.",
		userMessage:    "Your car got disconnected from %APP%. Please use this link to re-connect your car: %URL%",
		resolutionType: "REAUTHENTICATE", webhook: true, reauthFixes: true, page: "connected-services-account-errors"},
	{typ: csa, code: "PERMISSION", status: 400, title: "Permission revoked",
		description:    "The vehicle owner revoked Smartcar's access in the manufacturer's portal.",
		userMessage:    "Your car's connection to %APP% was switched off in your car brand's app. Please re-connect your car.",
		resolutionType: "REAUTHENTICATE", webhook: true, reauthFixes: true, page: "connected-services-account-errors"},
	{typ: csa, code: "NO_VEHICLES", status: 400, title: "No vehicles",
		description: "No vehicles are listed on the owner's connected services account.",
		userMessage: "We could not find any cars in your car brand's account. Please add your car there, then connect it again.",
		page:        "connected-services-account-errors"},
	{typ: csa, code: "VEHICLE_MISSING", status: 400, title: "Vehicle missing",
		description: "This vehicle is no longer listed on the owner's connected services account.",
		userMessage: "Your car is no longer in your car brand's account. Please add it back in your car brand's app.",
		page:        "connected-services-account-errors"},
	{typ: csa, code: "SUBSCRIPTION", status: 400, title: "Subscription inactive",
		description: "The vehicle's connected services subscription is inactive or expired.",
		userMessage: "Your car's connected services subscription has ended. Please renew it with your car brand.",
		webhook:     true, page: "connected-services-account-errors"},
	{typ: csa, code: "ACCOUNT_ISSUE", status: 400, title: "Account issue",
		description: "The owner must complete an action in their connected services account, such as accepting new terms.",
		userMessage: "Please log in to your car brand's app and complete any pending steps.",
		webhook:     true, page: "connected-services-account-errors"},
	{typ: csa, code: "VIRTUAL_KEY_REQUIRED", status: 400, title: "Virtual key required",
		description:    "The vehicle needs Smartcar's virtual key before it accepts commands.",
		userMessage:    "Please add Smartcar's virtual key to your car.",
		resolutionType: "ACTION_REQUIRED", webhook: true, page: "connected-services-account-errors"},
	{typ: "PERMISSION", status: 403, title: "Permission missing",
		description:    "The access token does not have the permission this request needs.",
		userMessage:    "Please re-connect your car and grant the missing permission.",
		resolutionType: "REAUTHENTICATE", webhook: true, reauthFixes: true, page: "permission-errors"},
	{typ: "VEHICLE_STATE", code: "ASLEEP", status: 409, title: "Vehicle asleep",
		description:    "The vehicle is asleep and did not answer.",
		userMessage:    "Your car is asleep. Please try again later.",
		resolutionType: "RETRY_LATER", webhook: true, page: "vehicle-state-errors"},
	{typ: "VEHICLE_STATE", code: "UNREACHABLE", status: 409, title: "Vehicle unreachable",
		description:    "The vehicle is out of network coverage.",
		userMessage:    "Your car could not be reached. Please try again when it has mobile coverage.",
		resolutionType: "RETRY_LATER", webhook: true, page: "vehicle-state-errors"},
	{typ: "VEHICLE_STATE", code: "REMOTE_ACCESS_DISABLED", status: 409, title: "Remote access disabled",
		description: "Remote access is switched off in the vehicle.",
		userMessage: "Please switch on remote access in your car's settings.",
		webhook:     true, page: "vehicle-state-errors"},
	{typ: "RATE_LIMIT", code: "VEHICLE", status: 429, title: "Vehicle rate limit",
		description:    "Too many requests were made to this vehicle.",
		userMessage:    "Your car is receiving too many requests. Please try again later.",
		resolutionType: "RETRY_LATER", retryAfter: 60, page: "rate-limit-errors"},
	{typ: "UPSTREAM", code: "UNKNOWN_ISSUE", status: 502, title: "Upstream error",
		description:    "The manufacturer's servers returned an unexpected response.",
		userMessage:    "Your car brand's servers are having trouble. Please try again later.",
		resolutionType: "RETRY_LATER", page: "upstream-errors"},
	{typ: "UPSTREAM", code: "NO_RESPONSE", status: 502, title: "No response",
		description:    "The manufacturer's servers did not answer.",
		userMessage:    "Your car brand's servers are having trouble. Please try again later.",
		resolutionType: "RETRY_LATER", page: "upstream-errors"},
	{typ: "SERVER", code: "INTERNAL", status: 500, title: "Server error",
		description:    "Smartcar had an internal error.",
		userMessage:    "Something went wrong. Please try again later.",
		resolutionType: "RETRY_LATER", page: "server-errors"},
	{typ: "BILLING", code: "VEHICLE_LIMIT", status: 430, title: "Vehicle limit reached",
		description: "The application has reached the number of vehicles its plan allows.",
		userMessage: "This service cannot connect more cars right now.",
		page:        "billing-errors"},
	{typ: "BILLING", code: "INVALID_PLAN", status: 430, title: "Invalid plan",
		description: "The application's plan does not include this feature.",
		userMessage: "This feature is not available.",
		page:        "billing-errors"},
	{typ: "BILLING", code: "VEHICLE_REQUEST_LIMIT", status: 430, title: "Request limit reached",
		description: "The vehicle has used all the requests its plan allows this month.",
		userMessage: "Your car has reached this month's request limit.",
		page:        "billing-errors"},
	{typ: "COMPATIBILITY", code: "VEHICLE_NOT_CAPABLE", status: 501, title: "Not capable",
		description: "The vehicle cannot perform this request.",
		userMessage: "Your car does not support this feature.",
		page:        "compatibility-errors"},
}

// defaultCodes lets the control API take a bare type.
var defaultCodes = map[string]string{
	"UPSTREAM": "UNKNOWN_ISSUE", "SERVER": "INTERNAL", "BILLING": "VEHICLE_LIMIT",
	"RATE_LIMIT": "VEHICLE", "COMPATIBILITY": "VEHICLE_NOT_CAPABLE",
}

// lookupFailure normalises a type and code as given to the control API.
func lookupFailure(typ, code string) (failureDef, error) {
	typ = strings.ToUpper(strings.TrimSpace(typ))
	code = strings.ToUpper(strings.TrimSpace(code))
	if typ == "CSA" {
		typ = csa
	}
	if code == "NULL" {
		code = ""
	}
	if code == "" {
		code = defaultCodes[typ]
	}
	for _, d := range failureDefs {
		if d.typ == typ && d.code == code {
			return d, nil
		}
	}
	return failureDef{}, fmt.Errorf("unknown failure %s:%s", typ, code)
}

func failureDefFor(f failure) failureDef {
	d, _ := lookupFailure(f.typ, f.code)
	return d
}

func docURL(page, code string) string {
	anchor := "null"
	if code != "" {
		anchor = strings.ReplaceAll(strings.ToLower(code), "_", "-")
	}
	return "https://smartcar.com/docs/errors/api-errors/" + page + "#" + anchor
}

// reauthURL is the partly built link Smartcar puts in resolution.url: the app
// must add redirect_uri and state itself.
func (s *Sim) reauthURL(publicURL, vehicleID string) string {
	return publicURL + "/oauth/reauthenticate?response_type=vehicle_id&client_id=" +
		url.QueryEscape(s.cfg.ClientID) + "&vehicle_id=" + url.QueryEscape(vehicleID)
}

// errorFor renders a vehicle's failure as an API error.
func (s *Sim) errorFor(d failureDef, publicURL, vehicleID string) apiError {
	e := apiError{
		typ: d.typ, code: d.code, status: d.status, title: d.title, description: d.description,
		resolutionType: d.resolutionType, retryAfter: d.retryAfter, docURL: docURL(d.page, d.code),
	}
	switch {
	case d.typ == csa && d.code == "AUTHENTICATION_FAILED":
		e.resolutionURL = s.reauthURL(publicURL, vehicleID)
	case d.code == "VIRTUAL_KEY_REQUIRED":
		e.resolutionURL = "https://www.tesla.com/_ak/smartcar.com"
	}
	e.userMessage = strings.NewReplacer("%APP%", s.cfg.AppName, "%URL%", e.resolutionURL).Replace(d.userMessage)
	return e
}

func authenticationError() apiError {
	return apiError{typ: "AUTHENTICATION", status: 401, title: "Authentication error",
		description: "The authorization header is missing or its token is invalid or expired.",
		userMessage: "Please reconnect your car.", docURL: docURL("authentication-errors", "")}
}

func validationError(code, detail string) apiError {
	return apiError{typ: "VALIDATION", code: code, status: 400, title: "Validation error",
		description: detail, docURL: docURL("validation-errors", code)}
}

func notFoundError(code, detail string) apiError {
	return apiError{typ: "RESOURCE_NOT_FOUND", code: code, status: 404, title: "Resource not found",
		description: detail, docURL: docURL("resource-not-found-errors", code)}
}

func permissionError(detail string) apiError {
	d, _ := lookupFailure("PERMISSION", "")
	e := apiError{typ: d.typ, status: d.status, title: d.title, description: detail,
		userMessage: d.userMessage, resolutionType: d.resolutionType, docURL: docURL(d.page, "")}
	return e
}

// v2 body. Field order follows Smartcar's documentation so a byte-level diff
// against a captured response reads naturally.
type v2ErrorBody struct {
	Type                 string  `json:"type"`
	Code                 *string `json:"code"`
	Description          string  `json:"description"`
	DocURL               string  `json:"docURL"`
	StatusCode           int     `json:"statusCode"`
	RequestID            string  `json:"requestId"`
	Resolution           any     `json:"resolution"`
	SuggestedUserMessage string  `json:"suggestedUserMessage,omitempty"`
}

type resolutionBody struct {
	Type *string `json:"type"`
	URL  string  `json:"url,omitempty"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// resolution renders the resolution field in the shape the legacy_resolution
// switch asks for: the current object, the old bare string, or null.
func (e apiError) resolution(legacy string) any {
	switch legacy {
	case "string":
		return nullable(e.resolutionType)
	case "null":
		return nil
	}
	return resolutionBody{Type: nullable(e.resolutionType), URL: e.resolutionURL}
}

func (e apiError) v2Body(requestID, legacy string) v2ErrorBody {
	return v2ErrorBody{
		Type: e.typ, Code: nullable(e.code), Description: e.description, DocURL: e.docURL,
		StatusCode: e.status, RequestID: requestID, Resolution: e.resolution(legacy),
		SuggestedUserMessage: e.userMessage,
	}
}

type v3ErrorItem struct {
	Status               string         `json:"status"`
	Type                 string         `json:"type"`
	Code                 *string        `json:"code"`
	Title                string         `json:"title"`
	Detail               string         `json:"detail"`
	Links                map[string]any `json:"links"`
	Resolution           any            `json:"resolution"`
	SuggestedUserMessage string         `json:"suggestedUserMessage,omitempty"`
	Meta                 map[string]any `json:"meta"`
}

func (e apiError) v3Body(requestID, legacy string) map[string][]v3ErrorItem {
	return map[string][]v3ErrorItem{"errors": {{
		Status: fmt.Sprint(e.status), Type: e.typ, Code: nullable(e.code), Title: e.title,
		Detail: e.description, Links: map[string]any{"about": e.docURL}, Resolution: e.resolution(legacy),
		SuggestedUserMessage: e.userMessage,
		Meta:                 map[string]any{"debug": map[string]any{"requestId": requestID}},
	}}}
}
