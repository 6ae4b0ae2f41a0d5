package smartcarsim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// flow is one Connect session: the parameters of the authorize or
// re-authenticate URL plus the owner's progress through the pages. It is kept
// server side and named by a random hidden field, so it survives the form
// posts without cookies or JavaScript.
type flow struct {
	id        string
	reauth    bool
	expiresAt time.Time

	responseType   string
	redirectURI    string // where the callback goes (the default when omitted)
	redirectGiven  string // as written in the URL, for the code exchange check
	state          string
	hasState       bool
	scopes         []scopeRequest
	approvalPrompt string
	mode           string
	make           string
	singleSelect   bool
	singleVIN      string
	externalID     string
	hasExternalID  bool
	vehicleID      string

	userID   string
	eligible []string
	chosen   []string

	// exitTarget is where "Exit" on an error page goes; empty means the
	// hosted page, because no trustworthy callback is known.
	exitTarget  string
	exitMessage string
	exitOnly    bool
}

type scopeRequest struct {
	name     string
	required bool
}

// connectError is a Connect failure that reaches the app's callback.
type connectError struct {
	code        string
	description string
	extra       [][2]string
}

var connectErrorText = map[string]string{
	"access_denied":        "User denied access to application.",
	"invalid_subscription": "User does not have an active connected vehicle subscription.",
	"no_vehicles":          "No vehicles found. Please add vehicles to your account and try again.",
	"vehicle_incompatible": "The user's vehicle is not compatible.",
	"configuration_error":  "There has been an error in the configuration of your application.",
	"server_error":         "Unexpected server error. Please try again later.",
}

func newConnectError(code string, extra ...[2]string) *connectError {
	return &connectError{code: code, description: connectErrorText[code], extra: extra}
}

func configurationError(message string) *connectError {
	return newConnectError("configuration_error", [2]string{"status_code", "400"}, [2]string{"error_message", message})
}

// Test personas, as in Smartcar's test mode: these emails always fail the
// same way, whatever the password.
const (
	personaIncompatible = "smartcar@vehicle-incompatible.com"
	personaSubscription = "smartcar@invalid-subscription.com"
	personaNoVehicles   = "smartcar@no-vehicles.com"
	personaServerError  = "smartcar@server-error.com"
	personaConfigError  = "smartcar@configuration-error.com"
)

func personaError(email string) *connectError {
	switch email {
	case personaIncompatible:
		return newConnectError("vehicle_incompatible",
			[2]string{"vin", "0SCAUDI012FE3B132"}, [2]string{"make", "AUDI"},
			[2]string{"model", "A4"}, [2]string{"year", "2018"})
	case personaSubscription:
		return newConnectError("invalid_subscription")
	case personaNoVehicles:
		return newConnectError("no_vehicles")
	case personaServerError:
		return newConnectError("server_error")
	case personaConfigError:
		return configurationError("The application is not configured for this brand.")
	}
	return nil
}

// paramError is a bad authorize or re-authenticate URL: Connect shows it on
// its own page rather than trusting the callback.
type paramError struct{ message string }

func missingParam(name string) *paramError {
	return &paramError{`400: Missing required parameter: "` + name + `"`}
}

func invalidParam(name, value string) *paramError {
	return &paramError{"400: Invalid parameter " + name + ": " + value}
}

var errUnauthorizedRedirect = &paramError{"400: Unauthorized redirect_uri"}

// appID reads the application id, which newer Smartcar pages call
// application_id.
func appID(q url.Values) string {
	if v := q.Get("client_id"); v != "" {
		return v
	}
	return q.Get("application_id")
}

func (s *Sim) checkAppID(id string) *paramError {
	switch {
	case id == "":
		return missingParam("client_id")
	case id != s.cfg.ClientID:
		// The M2M client_… id lands here too: it is a credential, not an
		// application id.
		return invalidParam("client_id", id)
	}
	return nil
}

// checkRedirect resolves redirect_uri: exact match against the registered
// list, the first one when omitted, and plain http only for a local host.
func (s *Sim) checkRedirect(raw string) (string, *paramError) {
	if raw == "" {
		if len(s.cfg.RedirectURIs) == 0 {
			return "", missingParam("redirect_uri")
		}
		return s.cfg.RedirectURIs[0], nil
	}
	if !slices.Contains(s.cfg.RedirectURIs, raw) {
		return "", errUnauthorizedRedirect
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errUnauthorizedRedirect
	}
	if u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" {
		return "", errUnauthorizedRedirect
	}
	return raw, nil
}

// parseScope splits on any whitespace: url.Values already turned both "+"
// and "%20" into spaces.
func parseScope(raw string) ([]scopeRequest, *paramError) {
	var out []scopeRequest
	seen := map[string]bool{}
	for _, f := range strings.Fields(raw) {
		name, required := strings.CutPrefix(f, "required:")
		if !knownPermission(name) {
			return nil, invalidParam("scope", f)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, scopeRequest{name: name, required: required})
	}
	return out, nil
}

// parseAuthorize validates an authorize URL in the order Connect reports
// problems and fills a new flow.
func (s *Sim) parseAuthorize(q url.Values) (*flow, *paramError) {
	f := &flow{}
	var first *paramError
	fail := func(e *paramError) {
		if first == nil && e != nil {
			first = e
		}
	}
	f.responseType = q.Get("response_type")
	switch f.responseType {
	case "":
		fail(missingParam("response_type"))
	case "code":
	default:
		fail(invalidParam("response_type", f.responseType))
	}
	appErr := s.checkAppID(appID(q))
	fail(appErr)
	redirect, redirectErr := s.checkRedirect(q.Get("redirect_uri"))
	fail(redirectErr)
	f.redirectURI, f.redirectGiven = redirect, q.Get("redirect_uri")
	s.setExit(f, appErr, redirectErr)

	f.mode = q.Get("mode")
	if q.Get("test_mode_compatibility_level") != "" {
		f.mode = "test"
	}
	switch f.mode {
	case "":
		f.mode = "live"
	case "live", "simulated", "test":
	default:
		fail(invalidParam("mode", f.mode))
	}
	f.approvalPrompt = q.Get("approval_prompt")
	switch f.approvalPrompt {
	case "":
		f.approvalPrompt = "auto"
	case "auto", "force":
	default:
		fail(invalidParam("approval_prompt", f.approvalPrompt))
	}
	switch v := q.Get("single_select"); v {
	case "", "false":
	case "true":
		f.singleSelect = true
	default:
		fail(invalidParam("single_select", v))
	}
	if raw := q.Get("scope"); raw != "" {
		scopes, err := parseScope(raw)
		fail(err)
		f.scopes = scopes
	} else {
		for _, p := range s.cfg.DefaultScopes {
			f.scopes = append(f.scopes, scopeRequest{name: p})
		}
	}
	f.make = strings.ToUpper(strings.TrimSpace(q.Get("make")))
	f.singleVIN = strings.ToUpper(strings.TrimSpace(q.Get("single_select_vin")))
	if f.singleVIN != "" {
		f.singleSelect = true
	}
	s.readCommon(f, q)
	return f, first
}

// parseReauth validates a re-authenticate URL.
func (s *Sim) parseReauth(q url.Values) (*flow, *paramError) {
	f := &flow{reauth: true, mode: "live", approvalPrompt: "auto"}
	var first *paramError
	fail := func(e *paramError) {
		if first == nil && e != nil {
			first = e
		}
	}
	f.responseType = q.Get("response_type")
	switch f.responseType {
	case "":
		fail(missingParam("response_type"))
	case "vehicle_id", "none":
	default:
		fail(invalidParam("response_type", f.responseType))
	}
	appErr := s.checkAppID(appID(q))
	fail(appErr)
	var redirectErr *paramError
	f.redirectGiven = q.Get("redirect_uri")
	switch {
	case f.redirectGiven != "":
		f.redirectURI, redirectErr = s.checkRedirect(f.redirectGiven)
	case f.responseType != "none":
		redirectErr = missingParam("redirect_uri")
	}
	fail(redirectErr)
	s.setExit(f, appErr, redirectErr)
	f.vehicleID = q.Get("vehicle_id")
	if f.vehicleID == "" {
		fail(missingParam("vehicle_id"))
	} else if _, ok := s.connectionOf(f.vehicleID); !ok {
		fail(invalidParam("vehicle_id", f.vehicleID))
	}
	s.readCommon(f, q)
	return f, first
}

func (s *Sim) readCommon(f *flow, q url.Values) {
	f.state, f.hasState = q.Get("state"), q.Has("state")
	f.externalID, f.hasExternalID = q.Get("external_id"), q.Has("external_id")
}

// setExit decides where "Exit" leads: the app's callback only when the app
// is known, and then the registered default if the given redirect_uri is not
// registered, so the error page can never be used as an open redirect.
func (s *Sim) setExit(f *flow, appErr, redirectErr *paramError) {
	switch {
	case appErr != nil:
	case redirectErr == nil:
		f.exitTarget = f.redirectURI
	case len(s.cfg.RedirectURIs) > 0:
		f.exitTarget = s.cfg.RedirectURIs[0]
	}
}

func (s *Sim) connectionOf(vehicleID string) (*connection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.connByVehicle[vehicleID]
	return c, ok
}

// validExternalID is a guess: Smartcar echoes external_id "if provided and
// valid" without saying what valid means. Printable text up to 255 bytes.
func validExternalID(v string) bool {
	if v == "" || len(v) > 255 {
		return false
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// callbackURL appends params to base without re-encoding its own query, so
// a redirect_uri that already carries parameters keeps them byte for byte.
func callbackURL(base string, params [][2]string) string {
	var sb strings.Builder
	for _, p := range params {
		if sb.Len() > 0 {
			sb.WriteByte('&')
		}
		sb.WriteString(url.QueryEscape(p[0]))
		sb.WriteByte('=')
		sb.WriteString(url.QueryEscape(p[1]))
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	return base + sep + sb.String()
}

func (f *flow) withState(params [][2]string) [][2]string {
	if f.hasState {
		params = append(params, [2]string{"state", f.state})
	}
	return params
}

// redirectError sends a Connect error to the app's callback.
func (s *Sim) redirectError(w http.ResponseWriter, r *http.Request, f *flow, e *connectError) {
	s.dropFlow(f.id)
	if f.redirectURI == "" {
		// response_type=none without a callback: the owner stays on Smartcar.
		s.render(w, http.StatusOK, "done", pageData{Title: "Something went wrong",
			Message: e.description})
		return
	}
	params := [][2]string{{"error", e.code}, {"error_description", e.description}}
	params = append(params, e.extra...)
	http.Redirect(w, r, callbackURL(f.redirectURI, f.withState(params)), http.StatusFound)
}
