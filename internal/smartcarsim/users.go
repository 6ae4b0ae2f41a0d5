package smartcarsim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// UserSpec describes an owner account to seed.
type UserSpec struct {
	Email      string        `json:"email"`
	ExternalID string        `json:"external_id,omitempty"`
	Vehicles   []VehicleSpec `json:"vehicles"`
	// Connected connects every vehicle to the app at once, as if the owner
	// had finished Connect, so a seeded demo needs no browser.
	Connected bool `json:"connected,omitempty"`
	// Scopes of those connections; the configured defaults when empty.
	Scopes []string `json:"scopes,omitempty"`
	// Mode of those connections: live (default), simulated or test.
	Mode string `json:"mode,omitempty"`
}

// VehicleSpec describes one car. Only Make is required.
type VehicleSpec struct {
	Make  string `json:"make"`
	Model string `json:"model,omitempty"`
	Year  int    `json:"year,omitempty"`
	VIN   string `json:"vin,omitempty"`
}

// UserInfo is an owner account as the control API shows it.
type UserInfo struct {
	UserID     string        `json:"user_id"`
	Email      string        `json:"email"`
	ExternalID string        `json:"external_id,omitempty"`
	Vehicles   []VehicleInfo `json:"vehicles"`
}

// VehicleInfo is a car as the control API shows it.
type VehicleInfo struct {
	ID           string       `json:"id"`
	Make         string       `json:"make"`
	Model        string       `json:"model"`
	Year         int          `json:"year"`
	VIN          string       `json:"vin"`
	UserID       string       `json:"user_id"`
	Email        string       `json:"email"`
	ConnectionID string       `json:"connection_id,omitempty"`
	Permissions  []string     `json:"permissions,omitempty"`
	Subscribed   bool         `json:"subscribed"`
	Failure      *FailureInfo `json:"failure"`
}

// FailureInfo names a vehicle's broken state.
type FailureInfo struct {
	Type string  `json:"type"`
	Code *string `json:"code"`
}

// Errors the seeding methods return; the control API maps them to 404 and
// 409.
var (
	ErrNotFound = errors.New("smartcarsim: not found")
	ErrConflict = errors.New("smartcarsim: already exists")
	ErrInvalid  = errors.New("smartcarsim: invalid input")
)

func (s *Sim) newUserLocked(email string, generated bool) *user {
	u := &user{id: newID(), email: email, generated: generated, approved: map[string]bool{}}
	s.users[u.id] = u
	s.usersByEmail[email] = u
	return u
}

func (s *Sim) addVehicleLocked(u *user, spec VehicleSpec) *vehicle {
	brand := strings.ToUpper(spec.Make)
	if spec.Model == "" || spec.Year == 0 {
		g := generatedSpec(brand, spec.VIN, 0)
		spec.Model = cmpOr(spec.Model, g.Model)
		if spec.Year == 0 {
			spec.Year = g.Year
		}
	}
	v := &vehicle{id: newID(), make: brand, model: spec.Model, year: spec.Year,
		vin: cmpOr(strings.ToUpper(spec.VIN), newVIN()), owner: u,
		odometer: float64(10000 + stableNumber(spec.VIN+u.email, 90000)), battery: 80}
	s.vehicles[v.id] = v
	s.vehiclesByVIN[v.vin] = v
	u.vehicles = append(u.vehicles, v)
	return v
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// generatedSpec picks a model for a made-up car, the same one for the same
// seed so repeated demo runs look alike.
func generatedSpec(brand, seed string, i int) VehicleSpec {
	models := garage[brand]
	if len(models) == 0 {
		return VehicleSpec{Make: brand, Model: "Model", Year: 2022}
	}
	m := models[(stableNumber(seed, len(models))+i)%len(models)]
	return VehicleSpec{Make: brand, Model: m.model, Year: m.year}
}

// CreateUser seeds an owner account with its own cars, as POST
// /_control/users does. Connect logins with this email then see exactly
// these cars.
func (s *Sim) CreateUser(spec UserSpec) (UserInfo, error) {
	email := strings.ToLower(strings.TrimSpace(spec.Email))
	if email == "" {
		return UserInfo{}, fmt.Errorf("%w: email is required", ErrInvalid)
	}
	mode := cmpOr(spec.Mode, "live")
	if !slices.Contains([]string{"live", "simulated", "test"}, mode) {
		return UserInfo{}, fmt.Errorf("%w: mode %q", ErrInvalid, spec.Mode)
	}
	scopes := spec.Scopes
	if len(scopes) == 0 {
		scopes = s.cfg.DefaultScopes
	}
	for _, p := range scopes {
		if !knownPermission(p) {
			return UserInfo{}, fmt.Errorf("%w: unknown permission %q", ErrInvalid, p)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.usersByEmail[email]; ok {
		return UserInfo{}, fmt.Errorf("%w: user %s", ErrConflict, email)
	}
	seen := map[string]bool{}
	for _, v := range spec.Vehicles {
		if strings.TrimSpace(v.Make) == "" {
			return UserInfo{}, fmt.Errorf("%w: every vehicle needs a make", ErrInvalid)
		}
		vin := strings.ToUpper(v.VIN)
		if vin == "" {
			continue
		}
		if _, ok := s.vehiclesByVIN[vin]; ok || seen[vin] {
			return UserInfo{}, fmt.Errorf("%w: vin %s", ErrConflict, vin)
		}
		seen[vin] = true
	}
	u := s.newUserLocked(email, false)
	if validExternalID(spec.ExternalID) {
		u.externalID = spec.ExternalID
	}
	now := s.clock.Now()
	for _, vs := range spec.Vehicles {
		v := s.addVehicleLocked(u, vs)
		if spec.Connected {
			c := &connection{id: newID(), user: u, vehicle: v, permissions: slices.Clone(scopes),
				mode: mode, createdAt: now, updatedAt: now, authenticatedAt: now}
			s.conns[c.id] = c
			s.connByVehicle[v.id] = c
		}
	}
	if spec.Connected {
		for _, p := range scopes {
			u.approved[p] = true
		}
	}
	return s.userInfoLocked(u), nil
}

// Users lists every owner account.
func (s *Sim) Users() []UserInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []UserInfo{}
	for _, u := range s.users {
		out = append(out, s.userInfoLocked(u))
	}
	slices.SortFunc(out, func(a, b UserInfo) int { return strings.Compare(a.Email, b.Email) })
	return out
}

// Vehicles lists every car with its owner, connection and failure.
func (s *Sim) Vehicles() []VehicleInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []VehicleInfo{}
	for _, u := range s.users {
		for _, v := range u.vehicles {
			out = append(out, s.vehicleInfoLocked(v))
		}
	}
	slices.SortFunc(out, func(a, b VehicleInfo) int {
		return strings.Compare(a.Email+a.VIN, b.Email+b.VIN)
	})
	return out
}

func (s *Sim) userInfoLocked(u *user) UserInfo {
	info := UserInfo{UserID: u.id, Email: u.email, ExternalID: u.externalID, Vehicles: []VehicleInfo{}}
	for _, v := range u.vehicles {
		info.Vehicles = append(info.Vehicles, s.vehicleInfoLocked(v))
	}
	return info
}

func (s *Sim) vehicleInfoLocked(v *vehicle) VehicleInfo {
	info := VehicleInfo{ID: v.id, Make: v.make, Model: v.model, Year: v.year, VIN: v.vin,
		UserID: v.owner.id, Email: v.owner.email, Subscribed: s.subscribedLocked(v)}
	if c := s.connByVehicle[v.id]; c != nil {
		info.ConnectionID = c.id
		info.Permissions = slices.Clone(c.permissions)
	}
	if v.failure != nil {
		info.Failure = &FailureInfo{Type: v.failure.typ, Code: nullable(v.failure.code)}
	}
	return info
}

// subscribedLocked tells whether webhook events for v are sent: it must be
// connected, and subscribed explicitly or through auto-subscribe.
func (s *Sim) subscribedLocked(v *vehicle) bool {
	if s.connByVehicle[v.id] == nil {
		return false
	}
	return v.subscription == subOn || (v.subscription == subDefault && s.switches.AutoSubscribe)
}
