package smartcar

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// AuthorizeParams are the per-session options of a Connect authorize URL.
type AuthorizeParams struct {
	// RequiredScopes are sent with the required: prefix, which locks them on the grant screen.
	RequiredScopes []string
	// Scopes the owner may uncheck. With no scopes at all the dashboard defaults apply.
	Scopes []string
	State  string
	// ForcePrompt sends approval_prompt=force so the grant screen always shows,
	// which is how a missing scope gets added.
	ForcePrompt bool
	// Mode overrides Config.Mode for this session.
	Mode            Mode
	Make            string
	SingleSelect    bool
	SingleSelectVIN string // takes precedence over Make at Connect
	// Flags are sent as space-separated key:value pairs, e.g. country:DE.
	Flags map[string]string
	// User is an analytics-only owner identifier; Smartcar does not echo it back.
	User string
	// ExternalID is echoed back on the callback; "null" clears the stored value.
	ExternalID string
}

// AuthorizeURL returns the Connect URL that starts a full connect session.
func (c *Client) AuthorizeURL(p AuthorizeParams) string {
	conf := c.oauth
	conf.Scopes = nil
	for _, s := range p.RequiredScopes {
		conf.Scopes = append(conf.Scopes, "required:"+s)
	}
	conf.Scopes = append(conf.Scopes, p.Scopes...)

	var opts []oauth2.AuthCodeOption
	set := func(k, v string) {
		if v != "" {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	if p.ForcePrompt {
		set("approval_prompt", "force")
	}
	mode := p.Mode
	if mode == "" {
		mode = c.cfg.Mode
	}
	set("mode", string(mode))
	set("make", p.Make)
	if p.SingleSelect {
		set("single_select", "true")
	}
	set("single_select_vin", p.SingleSelectVIN)
	set("flags", flagsString(p.Flags))
	set("user", p.User)
	set("external_id", p.ExternalID)
	return conf.AuthCodeURL(p.State, opts...)
}

func flagsString(flags map[string]string) string {
	pairs := make([]string, 0, len(flags))
	for _, k := range slices.Sorted(maps.Keys(flags)) {
		pairs = append(pairs, k+":"+flags[k])
	}
	return strings.Join(pairs, " ")
}

// ReauthResponseType selects how a re-auth session ends.
type ReauthResponseType string

const (
	// ReauthVehicleID redirects back to RedirectURI with vehicle_id.
	ReauthVehicleID ReauthResponseType = "vehicle_id"
	// ReauthNone ends on a Smartcar-hosted completion page, with no redirect.
	ReauthNone ReauthResponseType = "none"
)

// ReauthParams are the options of a Connect re-authentication URL.
type ReauthParams struct {
	VehicleID    string
	ResponseType ReauthResponseType // empty means ReauthVehicleID
	State        string
	ExternalID   string
}

// ReauthURL returns the Connect URL that repairs one vehicle's connection.
// It is built by hand because x/oauth2 only produces response_type=code.
func (c *Client) ReauthURL(p ReauthParams) string {
	rt := p.ResponseType
	if rt == "" {
		rt = ReauthVehicleID
	}
	// Older docs name the app client_id, newer ones application_id; the
	// resolution URLs Smartcar itself hands out use client_id.
	v := url.Values{
		"response_type": {string(rt)},
		"client_id":     {c.cfg.ClientID},
		"vehicle_id":    {p.VehicleID},
	}
	if rt == ReauthVehicleID && c.cfg.RedirectURI != "" {
		v.Set("redirect_uri", c.cfg.RedirectURI)
	}
	if p.State != "" {
		v.Set("state", p.State)
	}
	if p.ExternalID != "" {
		v.Set("external_id", p.ExternalID)
	}
	return c.cfg.ConnectURL + "/oauth/reauthenticate?" + v.Encode()
}

// ErrForeignResolutionURL means a resolution URL does not lead to the
// configured Connect re-authentication page, so it must not be shown to owners.
var ErrForeignResolutionURL = errors.New("smartcar: resolution URL is not a Connect re-authentication URL")

// CompleteResolutionURL turns the partial re-auth URL from an
// AUTHENTICATION_FAILED resolution into one the owner can follow: it sets our
// redirect_uri, state and external_id, replacing any already present.
func (c *Client) CompleteResolutionURL(raw, state, externalID string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrForeignResolutionURL, err)
	}
	connect, _ := url.Parse(c.cfg.ConnectURL) // validated in New
	// The URL arrives in an API body and ends up in an email, so anything but
	// the exact Connect origin and path would turn us into an open redirect.
	if u.User != nil || !strings.EqualFold(u.Scheme, connect.Scheme) ||
		!strings.EqualFold(u.Host, connect.Host) || u.Path != connect.Path+"/oauth/reauthenticate" {
		return "", fmt.Errorf("%w: %s://%s%s", ErrForeignResolutionURL, u.Scheme, u.Host, u.Path)
	}
	q := u.Query()
	if q.Get("vehicle_id") == "" {
		return "", fmt.Errorf("%w: no vehicle_id", ErrForeignResolutionURL)
	}
	if q.Get("response_type") == "" {
		q.Set("response_type", string(ReauthVehicleID))
	}
	for k, v := range map[string]string{"redirect_uri": c.cfg.RedirectURI, "state": state, "external_id": externalID} {
		if v == "" {
			q.Del(k) // a value we did not choose must not survive
		} else {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}
