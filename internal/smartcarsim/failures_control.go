package smartcarsim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SetFailure breaks a vehicle: its data endpoints answer with the error
// from now on, and a VEHICLE_ERROR goes out if Smartcar reports that error
// by webhook. typ may be "CSA" for CONNECTED_SERVICES_ACCOUNT; an empty code
// means the type's usual one (or null for PERMISSION).
func (s *Sim) SetFailure(vehicleID, typ, code string) error {
	d, err := lookupFailure(typ, code)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vehicles[vehicleID]
	if v == nil {
		return fmt.Errorf("%w: vehicle %s", ErrNotFound, vehicleID)
	}
	next := failure{typ: d.typ, code: d.code}
	if v.failure != nil && *v.failure == next {
		return nil
	}
	var events []*event
	if v.failure != nil {
		if old := failureDefFor(*v.failure); old.webhook {
			events = append(events, s.errorEventLocked(v, old, "RESOLVED"))
		}
	}
	v.failure = &next
	if d.webhook {
		events = append(events, s.errorEventLocked(v, d, "ERROR"))
	}
	s.emitLocked(events)
	return nil
}

// ClearFailure repairs a vehicle and sends the RESOLVED event.
func (s *Sim) ClearFailure(vehicleID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vehicles[vehicleID]
	if v == nil {
		return fmt.Errorf("%w: vehicle %s", ErrNotFound, vehicleID)
	}
	if v.failure == nil {
		return nil
	}
	d := failureDefFor(*v.failure)
	v.failure = nil
	if d.webhook {
		s.emitLocked([]*event{s.errorEventLocked(v, d, "RESOLVED")})
	}
	return nil
}

// MigrateOption changes what an OEM migration does.
type MigrateOption func(*migrateOptions)

type migrateOptions struct {
	revokeTokens bool
	spareAfter   time.Time
}

// RevokeTokens makes the migration also kill every v2 token that covers a
// migrated vehicle; Smartcar says this happens "in some cases".
func RevokeTokens(revoke bool) MigrateOption {
	return func(o *migrateOptions) { o.revokeTokens = revoke }
}

// SpareReauthenticatedAfter makes the migration leave alone every vehicle
// whose owner signed in again (re-authenticated, or ran Connect) after t:
// those owners moved to the new sign-in ahead of the cut-over, as a
// migration campaign asks them to.
func SpareReauthenticatedAfter(t time.Time) MigrateOption {
	return func(o *migrateOptions) { o.spareAfter = t }
}

// Migrate simulates an OEM account migration: every vehicle of the make
// fails with AUTHENTICATION_FAILED at once and a VEHICLE_ERROR goes out for
// each subscribed one. It returns how many vehicles were affected.
func (s *Sim) Migrate(brand string, opts ...MigrateOption) (int, error) {
	brand = strings.ToUpper(strings.TrimSpace(brand))
	if brand == "" {
		return 0, fmt.Errorf("%w: make is required", ErrInvalid)
	}
	var o migrateOptions
	for _, opt := range opts {
		opt(&o)
	}
	d, _ := lookupFailure(csa, "AUTHENTICATION_FAILED")
	next := failure{typ: d.typ, code: d.code}
	s.mu.Lock()
	defer s.mu.Unlock()
	var affected []*vehicle
	for _, v := range s.vehicles {
		if v.make != brand {
			continue
		}
		if c := s.connByVehicle[v.id]; c != nil && !o.spareAfter.IsZero() && c.authenticatedAt.After(o.spareAfter) {
			continue
		}
		affected = append(affected, v)
	}
	// VIN order makes a batch's natural order predictable, so that the
	// reorder switch is what shuffles it, not map iteration.
	slices.SortFunc(affected, func(a, b *vehicle) int { return strings.Compare(a.vin, b.vin) })
	migrated := map[string]bool{}
	var events []*event
	for _, v := range affected {
		migrated[v.id] = true
		if v.failure != nil && *v.failure == next {
			continue
		}
		v.failure = &next
		if s.subscribedLocked(v) {
			events = append(events, s.errorEventLocked(v, d, "ERROR"))
		}
	}
	if o.revokeTokens {
		covers := func(ids []string) bool {
			for _, id := range ids {
				if migrated[id] {
					return true
				}
			}
			return false
		}
		for _, t := range s.access {
			if covers(t.vehicleIDs) {
				t.revoked = true
			}
		}
		for _, t := range s.refresh {
			if covers(t.vehicleIDs) {
				t.revoked = true
			}
		}
	}
	s.emitLocked(events)
	s.log.Info("smartcarsim: OEM migration", "make", brand, "vehicles", len(migrated), "revoke_tokens", o.revokeTokens)
	return len(migrated), nil
}

// scheduledMigration is a migration waiting for its cut-over.
type scheduledMigration struct {
	make string
	at   time.Time
	opts []MigrateOption
}

// ScheduleMigration plans Migrate(brand, opts...) for the cut-over at, on
// the simulator's clock: it runs once the clock reaches at (checked on
// every request, every Advance, and twice a second). A time already
// reached runs at once; the count is then the vehicles affected, else 0.
func (s *Sim) ScheduleMigration(brand string, at time.Time, opts ...MigrateOption) (int, error) {
	brand = strings.ToUpper(strings.TrimSpace(brand))
	if brand == "" {
		return 0, fmt.Errorf("%w: make is required", ErrInvalid)
	}
	if !at.After(s.clock.Now()) {
		return s.Migrate(brand, opts...)
	}
	s.mu.Lock()
	s.scheduled = append(s.scheduled, scheduledMigration{make: brand, at: at, opts: opts})
	s.mu.Unlock()
	s.log.Info("smartcarsim: OEM migration scheduled", "make", brand, "at", at)
	return 0, nil
}

// runDueMigrations runs the scheduled migrations whose time has come, in
// the order of their times.
func (s *Sim) runDueMigrations() {
	s.mu.Lock()
	if len(s.scheduled) == 0 {
		s.mu.Unlock()
		return
	}
	now := s.clock.Now()
	var due []scheduledMigration
	s.scheduled = slices.DeleteFunc(s.scheduled, func(m scheduledMigration) bool {
		if m.at.After(now) {
			return false
		}
		due = append(due, m)
		return true
	})
	s.mu.Unlock()
	slices.SortStableFunc(due, func(a, b scheduledMigration) int { return a.at.Compare(b.at) })
	for _, m := range due {
		if _, err := s.Migrate(m.make, m.opts...); err != nil {
			s.log.Warn("smartcarsim: scheduled migration failed", "make", m.make, "err", err)
		}
	}
}

// SendVehicleState sends a VEHICLE_STATE as if the odometer had changed.
func (s *Sim) SendVehicleState(vehicleID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vehicles[vehicleID]
	if v == nil {
		return fmt.Errorf("%w: vehicle %s", ErrNotFound, vehicleID)
	}
	v.odometer += 12.5
	d := signalDefs[0]
	s.emitLocked([]*event{s.stateEventLocked(v, map[string]any{"code": d.code, "name": d.name, "group": d.group})})
	return nil
}

// SendNoise sends one false-alarm PERMISSION VEHICLE_ERROR for a signal the
// plan does not include, whatever the noise switch says.
func (s *Sim) SendNoise(vehicleID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vehicles[vehicleID]
	if v == nil {
		return fmt.Errorf("%w: vehicle %s", ErrNotFound, vehicleID)
	}
	s.emitLocked([]*event{s.noiseEventLocked(v)})
	return nil
}
