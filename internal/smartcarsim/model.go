package smartcarsim

import (
	"slices"
	"strings"
	"time"
)

// user is an owner's connected-services account. Its id is the user_id that
// Connect hands back, stable for as long as the simulator runs.
type user struct {
	id         string
	email      string
	externalID string
	// generated marks accounts made up on first login; they may grow a car of
	// a new brand, while accounts created through the control API own exactly
	// what they were given.
	generated bool
	vehicles  []*vehicle
	// approved holds every scope this owner has granted the app, so that
	// approval_prompt=auto can skip the grant screen.
	approved map[string]bool
}

type vehicle struct {
	id      string
	make    string
	model   string
	year    int
	vin     string
	owner   *user
	failure *failure
	// subscription records an explicit subscribe or unsubscribe; without
	// one the auto_subscribe switch decides.
	subscription subscription
	odometer     float64
	battery      float64
}

type subscription int

const (
	subDefault subscription = iota
	subOn
	subOff
)

// connection is the app's grant on one vehicle. There is one app, and a
// vehicle has one owner, so there is at most one connection per vehicle.
type connection struct {
	id          string
	user        *user
	vehicle     *vehicle
	permissions []string
	mode        string
	createdAt   time.Time
	updatedAt   time.Time
	// authenticatedAt is when the owner last signed in for this grant (a
	// Connect or a re-authentication): a migration can spare owners who
	// did so after a date.
	authenticatedAt time.Time
}

// authCode is a Connect authorization code waiting to be exchanged.
type authCode struct {
	code        string
	userID      string
	vehicleIDs  []string
	redirectURI string
	expiresAt   time.Time
	used        bool
}

// accessToken and refreshToken are v2 user tokens. Both cover the vehicles
// chosen in the Connect session that produced them.
type accessToken struct {
	userID     string
	vehicleIDs []string
	expiresAt  time.Time
	revoked    bool
}

type refreshToken struct {
	userID     string
	vehicleIDs []string
	expiresAt  time.Time
	// graceEnds is set on first use: the token keeps working until then.
	graceEnds time.Time
	revoked   bool
}

const (
	accessTokenLifetime  = 2 * time.Hour
	refreshTokenLifetime = 60 * 24 * time.Hour
	appTokenLifetime     = time.Hour
	codeLifetime         = 10 * time.Minute
	flowLifetime         = time.Hour
)

// garage lists the models handed to generated accounts, per make. A make not
// listed still works; its cars are called "Model".
var garage = map[string][]struct {
	model string
	year  int
}{
	"TESLA":      {{"Model 3", 2021}, {"Model Y", 2023}, {"Model S", 2019}},
	"FORD":       {{"Mustang Mach-E", 2022}, {"F-150 Lightning", 2023}},
	"BMW":        {{"i4", 2023}, {"iX3", 2021}},
	"VOLKSWAGEN": {{"ID.4", 2022}, {"ID.3", 2021}},
	"AUDI":       {{"Q4 e-tron", 2022}, {"A4", 2018}},
	"HYUNDAI":    {{"IONIQ 5", 2023}, {"Kona Electric", 2021}},
	"KIA":        {{"EV6", 2022}, {"Niro EV", 2021}},
	"NISSAN":     {{"Leaf", 2020}, {"Ariya", 2023}},
	"TOYOTA":     {{"bZ4X", 2023}, {"RAV4 Prime", 2022}},
	"VOLVO":      {{"XC40 Recharge", 2022}, {"EX30", 2024}},
}

// brands is the order of the brand selector.
var brands = []string{"TESLA", "FORD", "BMW", "VOLKSWAGEN", "AUDI", "HYUNDAI", "KIA", "NISSAN", "TOYOTA", "VOLVO"}

// permissionNames are the scopes Connect accepts. An unknown name is a
// configuration mistake the simulator reports instead of silently granting.
var permissionNames = []string{
	"read_alerts", "read_battery", "read_charge", "read_charge_events", "read_charge_locations",
	"read_charge_records", "read_climate", "read_compass", "read_diagnostics", "read_engine_oil",
	"read_extended_vehicle_info", "read_fuel", "read_location", "read_odometer", "read_security",
	"read_service_history", "read_speedometer", "read_thermometer", "read_tires", "read_user_profile",
	"read_vehicle_info", "read_vin", "control_charge", "control_climate", "control_navigation",
	"control_pin", "control_security", "control_trunk",
}

var permissionLabels = map[string]string{
	"read_battery":      "EV battery level and range",
	"read_charge":       "Charging status",
	"read_location":     "Location",
	"read_odometer":     "Odometer",
	"read_vehicle_info": "Make, model and year",
	"read_vin":          "VIN",
	"control_charge":    "Start and stop charging",
	"control_security":  "Lock and unlock",
}

func permissionLabel(p string) string {
	if l, ok := permissionLabels[p]; ok {
		return l
	}
	return strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(p, "read_"), "control_"), "_", " ")
}

func knownPermission(p string) bool { return slices.Contains(permissionNames, p) }

// signalDef is one v3 signal. Every signal needs a permission, so a
// connection only sees the signals its grant covers.
type signalDef struct {
	code       string
	name       string
	group      string
	permission string
	body       func(v *vehicle) map[string]any
}

var signalDefs = []signalDef{
	{"odometer-traveleddistance", "TraveledDistance", "Odometer", "read_odometer",
		func(v *vehicle) map[string]any { return map[string]any{"value": v.odometer, "unit": "km"} }},
	{"tractionbattery-stateofcharge", "StateOfCharge", "TractionBattery", "read_battery",
		func(v *vehicle) map[string]any { return map[string]any{"value": v.battery, "unit": "percent"} }},
	{"charge-ischarging", "IsCharging", "Charge", "read_charge",
		func(v *vehicle) map[string]any { return map[string]any{"value": false} }},
	{"location-preciselocation", "PreciseLocation", "Location", "read_location",
		func(v *vehicle) map[string]any {
			return map[string]any{"latitude": 52.52, "longitude": 13.405, "heading": 90, "direction": "E"}
		}},
	{"vehicleidentification-vin", "VIN", "VehicleIdentification", "read_vin",
		func(v *vehicle) map[string]any { return map[string]any{"value": v.vin} }},
}

// noiseSignal is the signal that the noise switch reports as not allowed by
// the plan; it is deliberately not in signalDefs, so the vehicle's real
// signals keep answering.
var noiseSignal = struct{ code, name, group string }{"closure-isdoorlocked", "IsDoorLocked", "Closure"}

func findSignal(code string) (signalDef, bool) {
	for _, s := range signalDefs {
		if s.code == code {
			return s, true
		}
	}
	return signalDef{}, false
}

func (c *connection) has(permission string) bool { return slices.Contains(c.permissions, permission) }
