// Package demo seeds a Reconnect and a Smartcar simulator with the same
// owners and vehicles, so the whole journey can be clicked through offline.
// The end-to-end tests use it too, so the demo is what gets tested.
package demo

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"reconnect/internal/app"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/smartcarsim"
	"reconnect/internal/store"
	"reconnect/web/paths"
)

// Fixed demo credentials: the simulator and the app must agree on them.
const (
	ClientID        = "5f3c0d1e-8b7a-4c2e-9d10-4a6b2f7e9c31"
	ClientSecret    = "demo-client-secret"
	APIClientID     = "client_demo0001"
	APIClientSecret = "demo-api-secret"
	ManagementToken = "demo-management-token-0b1c2d3e"
)

// SimConfig is the simulator side of the demo.
func SimConfig(appBaseURL, simBaseURL string) smartcarsim.Config {
	return smartcarsim.Config{
		ClientID: ClientID, ClientSecret: ClientSecret, APIClientID: APIClientID, APIClientSecret: APIClientSecret,
		ManagementToken: ManagementToken, RedirectURIs: []string{appBaseURL + paths.ConnectCallback()},
		DefaultScopes: []string{"read_vehicle_info", "read_odometer"}, AppName: "ChargeWell",
		PublicURL: simBaseURL, WebhookRetryDelays: []time.Duration{0, 2 * time.Second, 4 * time.Second, 8 * time.Second},
		WebhookTimeout: 15 * time.Second,
	}
}

// AppEnv is the app side: every Smartcar URL points at the simulator.
func AppEnv(appBaseURL, simBaseURL string) map[string]string {
	return map[string]string{
		"PUBLIC_BASE_URL":            appBaseURL,
		"APP_NAME":                   "ChargeWell",
		"RETURN_URL_ALLOWLIST":       appBaseURL,
		"SMARTCAR_CLIENT_ID":         ClientID,
		"SMARTCAR_CLIENT_SECRET":     ClientSecret,
		"SMARTCAR_API_CLIENT_ID":     APIClientID,
		"SMARTCAR_API_CLIENT_SECRET": APIClientSecret,
		"SMARTCAR_MANAGEMENT_TOKEN":  ManagementToken,
		"SMARTCAR_CONNECT_URL":       simBaseURL,
		"SMARTCAR_AUTH_URL":          simBaseURL,
		"SMARTCAR_IAM_URL":           simBaseURL,
		"SMARTCAR_API_URL":           simBaseURL,
		"SMARTCAR_VEHICLE_API_URL":   simBaseURL,
		"SMARTCAR_MANAGEMENT_URL":    simBaseURL,
	}
}

// Owner is one seeded owner.
type Owner struct {
	HostUserID string
	Email      string
	Name       string
	Locale     string
	TimeZone   string
	Cars       []Car
}

// Car is one seeded vehicle, possibly already broken.
type Car struct {
	Make, Model, VIN string
	Year             int
	// FailType/FailCode break it in the simulator and in the app.
	FailType, FailCode string
}

// Owners is the demo's cast.
var Owners = []Owner{
	{HostUserID: "demo-alice", Email: "alice@example.com", Name: "Alice Martin", Locale: "en", TimeZone: "Europe/London", Cars: []Car{
		{Make: "TESLA", Model: "Model 3", Year: 2021, VIN: "5YJ3E1EA7MF000001", FailType: "CONNECTED_SERVICES_ACCOUNT", FailCode: "AUTHENTICATION_FAILED"},
		{Make: "FORD", Model: "Mustang Mach-E", Year: 2022, VIN: "3FMTK3SU5NMA00002"},
	}},
	{HostUserID: "demo-bob", Email: "bob@example.com", Name: "Bob Schneider", Locale: "de", TimeZone: "Europe/Berlin", Cars: []Car{
		{Make: "BMW", Model: "i4", Year: 2023, VIN: "WBY73AW05PFP00003", FailType: "CONNECTED_SERVICES_ACCOUNT", FailCode: "SUBSCRIPTION"},
	}},
	{HostUserID: "demo-carol", Email: "carol@example.com", Name: "Carol Nguyen", Locale: "fr", TimeZone: "Europe/Paris", Cars: []Car{
		{Make: "TESLA", Model: "Model Y", Year: 2022, VIN: "7SAYGDEE6NF000004"},
		{Make: "VOLKSWAGEN", Model: "ID.4", Year: 2021, VIN: "WVGZZZE2ZMP000005"},
	}},
}

// Seeded is what the demo prints and the tests use.
type Seeded struct {
	Owner    model.Owner
	Vehicles []model.Vehicle
	Link     string // an email link to the owner's page
	SimUser  smartcarsim.UserInfo
}

// Seed creates every demo owner in the simulator and the app. Vehicles are
// connected with stored (sealed) tokens; the broken ones are broken in both.
func Seed(ctx context.Context, a *app.App, sim *smartcarsim.Sim) ([]Seeded, error) {
	var out []Seeded
	for _, o := range Owners {
		spec := smartcarsim.UserSpec{Email: o.Email, ExternalID: o.HostUserID, Connected: true}
		for _, c := range o.Cars {
			spec.Vehicles = append(spec.Vehicles, smartcarsim.VehicleSpec{Make: c.Make, Model: c.Model, Year: c.Year, VIN: c.VIN})
		}
		su, err := sim.CreateUser(spec)
		if err != nil {
			return nil, fmt.Errorf("demo: simulator user %s: %w", o.Email, err)
		}
		owner, err := a.Store.UpsertOwner(ctx, store.OwnerInput{HostUserID: o.HostUserID, Email: o.Email, Name: o.Name, Locale: o.Locale, TimeZone: o.TimeZone})
		if err != nil {
			return nil, err
		}
		tok, err := sim.IssueTokens(su.UserID)
		if err != nil {
			return nil, err
		}
		if err := saveToken(ctx, a, su.UserID, owner.ID, tok); err != nil {
			return nil, err
		}
		s := Seeded{Owner: owner, SimUser: su}
		for i, sv := range su.Vehicles {
			c := o.Cars[i]
			v, err := a.Store.UpsertVehicle(ctx, store.VehicleInput{
				SmartcarID: sv.ID, OwnerID: &owner.ID, SmartcarUserID: su.UserID, ExternalID: o.HostUserID,
				Make: sv.Make, Model: sv.Model, Year: sv.Year, VIN: sv.VIN,
			})
			if err != nil {
				return nil, err
			}
			if c.FailType != "" {
				if err := sim.SetFailure(sv.ID, c.FailType, c.FailCode); err != nil {
					return nil, err
				}
				if v, err = breakVehicle(ctx, a, v, c); err != nil {
					return nil, err
				}
			}
			s.Vehicles = append(s.Vehicles, v)
		}
		m, err := a.Links.Mint(ctx, nil, links.Mint{OwnerID: owner.ID, Purpose: model.PurposeEmail, Source: model.SourceDemo, ReturnURL: a.Config.PublicBaseURL + "/"})
		if err != nil {
			return nil, err
		}
		s.Link = m.URL
		out = append(out, s)
	}
	return out, nil
}

// breakVehicle gives the app the same news a webhook would.
func breakVehicle(ctx context.Context, a *app.App, v model.Vehicle, c Car) (model.Vehicle, error) {
	e := &smartcar.Error{HTTPStatus: http.StatusBadRequest, Type: c.FailType, Code: c.FailCode}
	if c.FailCode == "AUTHENTICATION_FAILED" {
		e.Resolution = smartcar.Resolution{Type: "REAUTHENTICATE"}
	}
	cl := smartcar.Classify(e)
	if cl.Kind != smartcar.KindPrompt {
		return v, nil
	}
	nv, _, err := a.Lifecycle.Transition(ctx, nil, v.ID, store.StateChange{To: cl.State, Reason: cl.Reason, Source: model.SourceDemo})
	return nv, err
}

func saveToken(ctx context.Context, a *app.App, userID string, ownerID int64, t smartcarsim.TokenInfo) error {
	access, err := a.Sealer.Seal(t.AccessToken)
	if err != nil {
		return err
	}
	refresh, err := a.Sealer.Seal(t.RefreshToken)
	if err != nil {
		return err
	}
	now := a.Store.Now()
	return a.Store.SaveToken(ctx, store.SmartcarToken{
		SmartcarUserID: userID, OwnerID: &ownerID, AccessToken: access, RefreshToken: refresh,
		AccessExpiresAt: now.Add(time.Duration(t.ExpiresIn) * time.Second), RefreshExpiresAt: now.Add(smartcar.RefreshLifetime),
	})
}
