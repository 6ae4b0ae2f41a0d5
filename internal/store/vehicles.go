// Table vehicles: each vehicle we watch, its connection state and its event clocks.

package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"reconnect/internal/model"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// VehicleInput is what the host app (or a Connect callback) tells us about a
// vehicle. Empty fields leave stored values alone.
type VehicleInput struct {
	SmartcarID     string
	OwnerID        *int64
	SmartcarUserID string
	ExternalID     string
	Make           string
	Model          string
	Year           int
	VIN            string
	Nickname       string
	// Country is ISO 3166-1 alpha-2, upper case; "" leaves it alone.
	Country string
	// Priority, when set, orders campaign waves (higher first).
	Priority *int
}

// UpsertVehicle creates the vehicle (connected) or updates its details. The
// connection state is never changed here: only SetState changes it.
func (s *Store) UpsertVehicle(ctx context.Context, in VehicleInput) (model.Vehicle, error) {
	if strings.TrimSpace(in.SmartcarID) == "" {
		return model.Vehicle{}, fmt.Errorf("store: upsert vehicle: smartcar id: %w", ErrInvalid)
	}
	var out model.Vehicle
	err := s.Tx(ctx, func(tx *Store) error {
		var v model.Vehicle
		err := tx.q(ctx).Where("smartcar_id = ?", in.SmartcarID).Take(&v).Error
		now := tx.now()
		if err == gorm.ErrRecordNotFound {
			v = model.Vehicle{
				SmartcarID: in.SmartcarID, OwnerID: in.OwnerID, SmartcarUserID: in.SmartcarUserID,
				ExternalID: in.ExternalID, Make: strings.ToUpper(in.Make), Model: in.Model, Year: in.Year,
				VIN: strings.ToUpper(in.VIN), Nickname: in.Nickname, Country: strings.ToUpper(in.Country), State: model.StateConnected,
				StateChangedAt: now, CreatedAt: now, UpdatedAt: now,
			}
			if in.Priority != nil {
				v.Priority = *in.Priority
			}
			if err := tx.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&v).Error; err != nil {
				return wrap(err, "create vehicle %s", in.SmartcarID)
			}
			if v.ID == 0 { // lost a race with a concurrent insert: update instead
				return tx.q(ctx).Where("smartcar_id = ?", in.SmartcarID).Take(&out).Error
			}
			out = v
			return tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: model.EventVehicleAdded, Source: model.SourceAPI, ToState: v.State})
		}
		if err != nil {
			return wrap(err, "find vehicle %s", in.SmartcarID)
		}
		up := map[string]any{"updated_at": now}
		set := func(col, val string) {
			if val != "" {
				up[col] = val
			}
		}
		set("smartcar_user_id", in.SmartcarUserID)
		set("external_id", in.ExternalID)
		set("make", strings.ToUpper(in.Make))
		set("model", in.Model)
		set("vin", strings.ToUpper(in.VIN))
		set("nickname", in.Nickname)
		set("country", strings.ToUpper(in.Country))
		if in.Priority != nil {
			up["priority"] = *in.Priority
		}
		if in.Year != 0 {
			up["year"] = in.Year
		}
		if in.OwnerID != nil {
			// Moving a car from one owner to another is a change of hands,
			// which only lifecycle.ChangeOwner makes (with its timeline
			// entries and consequences); here an owner is only set on a
			// car that has none.
			if v.OwnerID != nil && *v.OwnerID != *in.OwnerID {
				return fmt.Errorf("store: upsert vehicle %s: owned by owner #%d: %w", in.SmartcarID, *v.OwnerID, ErrConflict)
			}
			if v.OwnerID == nil {
				up["owner_id"] = *in.OwnerID
				if err := tx.adoptEvents(ctx, v.ID, *in.OwnerID); err != nil {
					return err
				}
			}
		}
		if err := tx.q(ctx).Model(&model.Vehicle{}).Where("id = ?", v.ID).Updates(up).Error; err != nil {
			return wrap(err, "update vehicle %s", in.SmartcarID)
		}
		return wrap(tx.q(ctx).Take(&out, v.ID).Error, "reload vehicle %s", in.SmartcarID)
	})
	return out, err
}

// VehicleBySmartcarID finds a vehicle by its Smartcar id.
func (s *Store) VehicleBySmartcarID(ctx context.Context, id string) (model.Vehicle, error) {
	var v model.Vehicle
	err := s.q(ctx).Where("smartcar_id = ?", id).Take(&v).Error
	return v, wrap(err, "vehicle %s", id)
}

// VehiclesBySmartcarIDs finds the vehicles we know among Smartcar ids,
// keyed by Smartcar id.
func (s *Store) VehiclesBySmartcarIDs(ctx context.Context, ids []string) (map[string]model.Vehicle, error) {
	out := make(map[string]model.Vehicle, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var vs []model.Vehicle
	if err := s.q(ctx).Where("smartcar_id IN ?", ids).Find(&vs).Error; err != nil {
		return nil, wrap(err, "vehicles by %d smartcar ids", len(ids))
	}
	for _, v := range vs {
		out[v.SmartcarID] = v
	}
	return out, nil
}

// VehicleByID finds a vehicle by our id.
func (s *Store) VehicleByID(ctx context.Context, id int64) (model.Vehicle, error) {
	var v model.Vehicle
	err := s.q(ctx).Take(&v, id).Error
	return v, wrap(err, "vehicle #%d", id)
}

// VehicleForUpdate is VehicleByID that, on PostgreSQL, locks the row until
// the transaction ends: two changes of hands of one car (a Connect callback
// and a webhook naming the new Smartcar user, say) then happen one after
// the other, and the second sees the first.
func (s *Store) VehicleForUpdate(ctx context.Context, id int64) (model.Vehicle, error) {
	var v model.Vehicle
	err := s.lockRow(s.q(ctx)).Take(&v, id).Error
	return v, wrap(err, "vehicle #%d", id)
}

// vehicleColumns is what queryVehicles reads and scanVehicle scans, by hand
// for the owner's page (see ownerColumns).
const vehicleColumns = "id, smartcar_id, owner_id, smartcar_user_id, external_id, make, model, year, vin, nickname, country, priority, state, reason, reason_detail, resolution_url, state_changed_at, last_signal_at, snoozed_until, owner_changed_at, created_at, updated_at"

func scanVehicle(r scanner) (model.Vehicle, error) {
	var vs vehicleScan
	err := r.Scan(vs.dest()...)
	return vs.vehicle(), err
}

// vehicleScan is a vehicles row being scanned: dest for Scan, then vehicle.
type vehicleScan struct {
	v                             model.Vehicle
	owner                         sql.NullInt64
	signal, snoozed, ownerChanged sql.NullTime
	state                         string
	country                       sql.NullString
}

func (s *vehicleScan) dest() []any {
	v := &s.v
	return []any{&v.ID, &v.SmartcarID, &s.owner, &v.SmartcarUserID, &v.ExternalID, &v.Make, &v.Model, &v.Year, &v.VIN,
		&v.Nickname, &s.country, &v.Priority, &s.state, &v.Reason, &v.ReasonDetail, &v.ResolutionURL, &v.StateChangedAt,
		&s.signal, &s.snoozed, &s.ownerChanged, &v.CreatedAt, &v.UpdatedAt}
}

func (s *vehicleScan) vehicle() model.Vehicle {
	v := s.v
	v.State, v.Country = model.State(s.state), s.country.String
	if s.owner.Valid {
		id := s.owner.Int64
		v.OwnerID = &id
	}
	v.LastSignalAt, v.SnoozedUntil, v.OwnerChangedAt = nullTime(s.signal), nullTime(s.snoozed), nullTime(s.ownerChanged)
	return v
}

func (s *Store) queryVehicles(ctx context.Context, where string, args ...any) ([]model.Vehicle, error) {
	rows, err := s.q(ctx).Raw("SELECT "+vehicleColumns+" FROM vehicles WHERE "+where, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []model.Vehicle
	for rows.Next() {
		v, err := scanVehicle(rows)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// ownerOrder ranks states so that vehicles needing the owner lead.
var ownerOrder = map[model.State]int{model.StateNeedsReauth: 0, model.StateNeedsOEMAction: 1, model.StateNeedsVirtualKey: 2, model.StateReconnecting: 3, model.StateConnected: 4, model.StateDeclined: 5}

// VehiclesByOwner lists an owner's vehicles, those that need the owner first.
// The few rows are sorted here rather than by an SQL CASE, which SQLite had to
// parse and sort on every page view.
func (s *Store) VehiclesByOwner(ctx context.Context, ownerID int64) ([]model.Vehicle, error) {
	vs, err := s.queryVehicles(ctx, "owner_id = ? ORDER BY id", ownerID)
	if err != nil {
		return nil, wrap(err, "vehicles of owner #%d", ownerID)
	}
	sortForOwner(vs)
	return vs, nil
}

// sortForOwner puts the vehicles that need the owner first, keeping the
// order of the rest.
func sortForOwner(vs []model.Vehicle) {
	sort.SliceStable(vs, func(i, j int) bool { return ownerOrder[vs[i].State] < ownerOrder[vs[j].State] })
}

// statesNeedingOwner are the states model.State.NeedsOwner names.
var statesNeedingOwner = slices.DeleteFunc(slices.Clone(model.States), func(st model.State) bool { return !st.NeedsOwner() })

// CountNeedingOwner counts an owner's vehicles that need them.
func (s *Store) CountNeedingOwner(ctx context.Context, ownerID int64) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&model.Vehicle{}).Where("owner_id = ? AND state IN ?", ownerID, statesNeedingOwner).Count(&n).Error
	return n, wrap(err, "count vehicles needing owner #%d", ownerID)
}

// VehiclesOfSmartcarUser lists the vehicles connected through one Smartcar user.
func (s *Store) VehiclesOfSmartcarUser(ctx context.Context, userID string) ([]model.Vehicle, error) {
	var vs []model.Vehicle
	err := s.q(ctx).Where("smartcar_user_id = ?", userID).Order("id").Find(&vs).Error
	return vs, wrap(err, "vehicles of smartcar user")
}

// StateChange moves a vehicle to a new state and says why.
type StateChange struct {
	To            model.State
	Reason        string
	ReasonDetail  string
	ResolutionURL string
	Source        model.Source
	Detail        string // recorded on the timeline event
	At            time.Time
	// PermissionsLost names scopes the car had and Smartcar no longer
	// grants after a full Connect; the host is told with the change.
	PermissionsLost []string
}

// SetState changes the vehicle's state and records the change on its timeline
// in the same transaction. It returns the vehicle after the change and the
// state it had before; changed is false when the vehicle was already in that
// state with that reason (nothing is written then).
func (s *Store) SetState(ctx context.Context, vehicleID int64, ch StateChange) (v model.Vehicle, from model.State, changed bool, err error) {
	if !ch.To.Valid() {
		return model.Vehicle{}, "", false, fmt.Errorf("store: set state %q: %w", ch.To, ErrInvalid)
	}
	err = s.Tx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Take(&v, vehicleID).Error; err != nil {
			return wrap(err, "vehicle #%d", vehicleID)
		}
		from = v.State
		if v.State == ch.To && v.Reason == ch.Reason {
			return nil
		}
		at := ch.At
		if at.IsZero() {
			at = tx.now()
		}
		res := tx.q(ctx).Model(&model.Vehicle{}).Where("id = ?", v.ID).Updates(map[string]any{
			"state": ch.To, "reason": ch.Reason, "reason_detail": ch.ReasonDetail,
			"resolution_url": ch.ResolutionURL, "state_changed_at": at, "updated_at": tx.now(),
		})
		if res.Error != nil {
			return wrap(res.Error, "update state of vehicle #%d", v.ID)
		}
		v.State, v.Reason, v.ReasonDetail, v.ResolutionURL, v.StateChangedAt = ch.To, ch.Reason, ch.ReasonDetail, ch.ResolutionURL, at
		changed = true
		return tx.AddEvent(ctx, model.Event{
			VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: model.EventStateChanged, Source: ch.Source,
			FromState: from, ToState: ch.To, Detail: ch.Detail, OccurredAt: at,
		})
	})
	return v, from, changed, err
}

// SetStateFrom is SetState for a caller that read the vehicle in its own
// transaction (locked on PostgreSQL) and knows where it stands: the vehicle
// changes only if it is still in state from with reason fromReason, in one
// statement that returns the row as changed, and the timeline entry follows
// in a second. No savepoint and no read first: applying a burst of webhooks
// makes one such change per event, and SetState's four extra round trips
// were most of the cost. ok is false, and nothing is written, when the
// vehicle no longer stands there (a hook moved it since): the caller then
// uses SetState. It must run inside a transaction (Store.Tx).
func (s *Store) SetStateFrom(ctx context.Context, vehicleID int64, from model.State, fromReason string, ch StateChange) (v model.Vehicle, ok bool, err error) {
	if !ch.To.Valid() {
		return model.Vehicle{}, false, fmt.Errorf("store: set state %q: %w", ch.To, ErrInvalid)
	}
	if ch.To == from && ch.Reason == fromReason {
		return model.Vehicle{}, false, nil
	}
	now := s.now()
	at := ch.At
	if at.IsZero() {
		at = now
	}
	rows, err := s.q(ctx).Raw("UPDATE vehicles SET state = ?, reason = ?, reason_detail = ?, resolution_url = ?, state_changed_at = ?, updated_at = ?"+
		" WHERE id = ? AND state = ? AND reason = ? RETURNING "+vehicleColumns,
		ch.To, ch.Reason, ch.ReasonDetail, ch.ResolutionURL, at.UTC(), now, vehicleID, from, fromReason).Rows()
	if err != nil {
		return model.Vehicle{}, false, wrap(err, "update state of vehicle #%d", vehicleID)
	}
	found := rows.Next()
	if found {
		v, err = scanVehicle(rows)
	}
	if cerr := rows.Close(); err == nil {
		err = cmp.Or(rows.Err(), cerr)
	}
	if err != nil || !found {
		return model.Vehicle{}, false, wrap(err, "update state of vehicle #%d", vehicleID)
	}
	err = s.q(ctx).Exec("INSERT INTO vehicle_events (vehicle_id, owner_id, kind, source, from_state, to_state, detail, occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		v.ID, v.OwnerID, model.EventStateChanged, ch.Source, from, ch.To, ch.Detail, at.UTC(), now).Error
	if err != nil {
		return model.Vehicle{}, false, wrap(err, "add event %s", model.EventStateChanged)
	}
	return v, true, nil
}

// StateFrom is one change for SetStatesFrom: the vehicle, where the caller
// read it standing, and the change.
type StateFrom struct {
	VehicleID  int64
	From       model.State
	FromReason string
	Change     StateChange
}

// SetStatesFrom is SetStateFrom for several vehicles, each at most once.
// It returns, per change, the vehicle as changed and whether it was (see
// SetStateFrom). On PostgreSQL the changes go in one UPDATE and their
// timeline entries in one INSERT, in the given order, where each change
// cost two round trips; SQLite, which has none, makes them one by one.
func (s *Store) SetStatesFrom(ctx context.Context, chs []StateFrom) ([]model.Vehicle, []bool, error) {
	out, ok := make([]model.Vehicle, len(chs)), make([]bool, len(chs))
	if !s.postgres() || len(chs) == 1 {
		for i, c := range chs {
			var err error
			if out[i], ok[i], err = s.SetStateFrom(ctx, c.VehicleID, c.From, c.FromReason, c.Change); err != nil {
				return nil, nil, err
			}
		}
		return out, ok, nil
	}
	now := s.now()
	n := len(chs)
	ids, from, fromReason := make([]int64, 0, n), make([]string, 0, n), make([]string, 0, n)
	to, reason, detail, url, at := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]time.Time, 0, n)
	for _, c := range chs {
		if !c.Change.To.Valid() {
			return nil, nil, fmt.Errorf("store: set state %q: %w", c.Change.To, ErrInvalid)
		}
		t := c.Change.At
		if t.IsZero() {
			t = now
		}
		ids, from, fromReason = append(ids, c.VehicleID), append(from, string(c.From)), append(fromReason, c.FromReason)
		to, reason = append(to, string(c.Change.To)), append(reason, c.Change.Reason)
		detail, url, at = append(detail, c.Change.ReasonDetail), append(url, c.Change.ResolutionURL), append(at, t.UTC())
	}
	pool := s.q(ctx).Statement.ConnPool
	rows, err := pool.QueryContext(ctx, "UPDATE vehicles AS v SET state = u.st, reason = u.re, reason_detail = u.rd, resolution_url = u.ru, state_changed_at = u.at, updated_at = $9"+
		" FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[]) AS u(id, fs, fr, st, re, rd, ru, at)"+
		" WHERE v.id = u.id AND v.state = u.fs AND v.reason = u.fr AND NOT (u.st = u.fs AND u.re = u.fr) RETURNING "+prefixed("v.", vehicleColumns),
		ids, from, fromReason, to, reason, detail, url, at, now)
	if err != nil {
		return nil, nil, wrap(err, "update state of %d vehicles", n)
	}
	changed := make(map[int64]model.Vehicle, n)
	for rows.Next() {
		v, err := scanVehicle(rows)
		if err != nil {
			rows.Close()
			return nil, nil, wrap(err, "update state of %d vehicles", n)
		}
		changed[v.ID] = v
	}
	if err := cmp.Or(rows.Close(), rows.Err()); err != nil {
		return nil, nil, wrap(err, "update state of %d vehicles", n)
	}
	// The timeline entries of the changes made, in the order given.
	var evVehicle []int64
	var evOwner []*int64
	var evSource, evFrom, evTo, evDetail []string
	var evAt []time.Time
	for i, c := range chs {
		v, done := changed[c.VehicleID]
		if !done {
			continue
		}
		out[i], ok[i] = v, true
		evVehicle, evOwner = append(evVehicle, v.ID), append(evOwner, v.OwnerID)
		evSource, evFrom, evTo = append(evSource, string(c.Change.Source)), append(evFrom, string(c.From)), append(evTo, string(c.Change.To))
		evDetail, evAt = append(evDetail, c.Change.Detail), append(evAt, at[i])
	}
	if len(evVehicle) == 0 {
		return out, ok, nil
	}
	_, err = pool.ExecContext(ctx, "INSERT INTO vehicle_events (vehicle_id, owner_id, kind, source, from_state, to_state, detail, occurred_at, created_at)"+
		" SELECT u.vid, u.oid, $1, u.src, u.fs, u.ts, u.det, u.at, $2"+
		" FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[]) WITH ORDINALITY AS u(vid, oid, src, fs, ts, det, at, n) ORDER BY u.n",
		string(model.EventStateChanged), now, evVehicle, evOwner, evSource, evFrom, evTo, evDetail, evAt)
	if err != nil {
		return nil, nil, wrap(err, "add %d events %s", len(evVehicle), model.EventStateChanged)
	}
	return out, ok, nil
}

// CountByState returns how many vehicles are in each state.
func (s *Store) CountByState(ctx context.Context) (map[model.State]int64, error) {
	var rows []struct {
		State model.State
		N     int64
	}
	err := s.q(ctx).Model(&model.Vehicle{}).Select("state, count(*) AS n").Group("state").Scan(&rows).Error
	out := map[model.State]int64{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, wrap(err, "count by state")
}

// Snooze holds reminders for a vehicle back until the given time.
func (s *Store) Snooze(ctx context.Context, vehicleID int64, until time.Time) error {
	return wrap(s.q(ctx).Model(&model.Vehicle{}).Where("id = ?", vehicleID).Updates(map[string]any{"snoozed_until": until, "updated_at": s.now()}).Error, "snooze vehicle #%d", vehicleID)
}

// TrackedVehicle is a vehicle with the clocks that order late deliveries:
// when we received the newest event that decided its state (our clock), and
// that event's place on its own source's clock.
type TrackedVehicle struct {
	model.Vehicle
	LastEventAt *time.Time
	SourceClocks
}

// SourceClocks is, per source that sends its own time, where the newest
// event from that source which decided the vehicle's state stands on that
// source's clock. These are compared only with later events from the same
// source, never with our clock or another source's.
type SourceClocks struct {
	// WebhookSentAt is Smartcar's deliveredAt.
	WebhookSentAt *time.Time
	// WebhookSequence is Smartcar's meta.sequence, comparable only within
	// the webhook named by WebhookSequenceScope.
	WebhookSequence      *int64
	WebhookSequenceScope string
	// ReportSentAt is the host backend's occurred_at.
	ReportSentAt *time.Time
}

// TableName pins the table.
func (TrackedVehicle) TableName() string { return "vehicles" }

// StateGate is the time, on our clock, an event must not have been received
// before to change the vehicle's state: the newest deciding event's
// receipt, or a change made by someone else (an owner's repair) after the
// vehicle was created. Creation itself says nothing about the connection,
// so an event received before the host registered the vehicle still
// applies.
func (v TrackedVehicle) StateGate() time.Time {
	var gate time.Time
	if v.LastEventAt != nil {
		gate = *v.LastEventAt
	}
	if v.StateChangedAt.After(v.CreatedAt) && v.StateChangedAt.After(gate) {
		gate = v.StateChangedAt
	}
	return gate
}

// TrackVehicles loads the vehicles with these Smartcar ids, keyed by Smartcar
// id. On PostgreSQL it locks them, in id order so that two processors never
// deadlock, for the rest of the caller's transaction. The lock leaves their
// keys alone (FOR NO KEY UPDATE): an owner's email job that holds the
// owner's schedule and inserts a link to one of these cars (a foreign key)
// must not wait for the processor, which may be waiting for that schedule.
func (s *Store) TrackVehicles(ctx context.Context, smartcarIDs []string) (map[string]TrackedVehicle, error) {
	out := make(map[string]TrackedVehicle, len(smartcarIDs))
	if len(smartcarIDs) == 0 {
		return out, nil
	}
	q := s.lockRowForChange(s.q(ctx).Where("smartcar_id IN ?", smartcarIDs).Order("id"))
	var vs []TrackedVehicle
	if err := q.Find(&vs).Error; err != nil {
		return nil, wrap(err, "track %d vehicles", len(smartcarIDs))
	}
	for _, v := range vs {
		out[v.SmartcarID] = v
	}
	return out, nil
}

// CompleteDetectedVehicle fills what an event tells about a vehicle that we
// did not know: the Smartcar user, the external id and, when the external id
// names a known owner, that owner. Known values are never overwritten.
func (s *Store) CompleteDetectedVehicle(ctx context.Context, v model.Vehicle, userID, externalID string, ownerID *int64) error {
	up := map[string]any{}
	if v.SmartcarUserID == "" && userID != "" {
		up["smartcar_user_id"] = userID
	}
	if v.ExternalID == "" && externalID != "" {
		up["external_id"] = externalID
	}
	if v.OwnerID == nil && ownerID != nil {
		up["owner_id"] = *ownerID
		if err := s.adoptEvents(ctx, v.ID, *ownerID); err != nil {
			return err
		}
	}
	if len(up) == 0 {
		return nil
	}
	up["updated_at"] = s.now()
	err := s.q(ctx).Model(&model.Vehicle{}).Where("id = ?", v.ID).Updates(up).Error
	return wrap(err, "complete vehicle #%d", v.ID)
}

// MarkEventSeen moves the vehicle's event clock forward to at.
func (s *Store) MarkEventSeen(ctx context.Context, vehicleID int64, at time.Time) error {
	err := s.q(ctx).Model(&model.Vehicle{}).Where("id = ? AND (last_event_at IS NULL OR last_event_at < ?)", vehicleID, at).
		Update("last_event_at", at).Error
	return wrap(err, "mark event seen on vehicle #%d", vehicleID)
}

// JoinUnownedVehicles attaches vehicles recorded without an owner to the owner
// whose host user id equals their external id, once the host has told us
// about that owner. It returns how many were joined.
func (s *Store) JoinUnownedVehicles(ctx context.Context) (int64, error) {
	// Their timeline entries so far, written while the car had no owner,
	// become the owner's (see adoptEvents); first, while the cars are still
	// unowned.
	adopt := s.q(ctx).Exec(`UPDATE vehicle_events SET owner_id = (SELECT o.id FROM owners o JOIN vehicles v ON o.host_user_id = v.external_id WHERE v.id = vehicle_events.vehicle_id)
		WHERE owner_id IS NULL AND vehicle_id IN (SELECT v.id FROM vehicles v WHERE v.owner_id IS NULL AND v.external_id <> ''
			AND EXISTS (SELECT 1 FROM owners o WHERE o.host_user_id = v.external_id))`)
	if adopt.Error != nil {
		return 0, wrap(adopt.Error, "join unowned vehicles: their timeline")
	}
	res := s.q(ctx).Exec(`UPDATE vehicles SET owner_id = (SELECT o.id FROM owners o WHERE o.host_user_id = vehicles.external_id), updated_at = ?
		WHERE owner_id IS NULL AND external_id <> '' AND EXISTS (SELECT 1 FROM owners o WHERE o.host_user_id = vehicles.external_id)`, s.now())
	if res.Error != nil {
		return 0, wrap(res.Error, "join unowned vehicles")
	}
	return res.RowsAffected, nil
}

// AddDetectedVehicles records vehicles first seen in events, before (or
// without) the host telling us about them: connected, and without an owner
// unless the input names one. When the host later upserts a vehicle with its
// owner, the row is joined in place. It takes two statements (the rows, then
// their vehicle_added entries) and returns the vehicles it created, keyed by
// Smartcar id; ids that already existed (another instance created them
// meanwhile) are left out.
func (s *Store) AddDetectedVehicles(ctx context.Context, ins []VehicleInput, source model.Source) (map[string]model.Vehicle, error) {
	out := make(map[string]model.Vehicle, len(ins))
	if len(ins) == 0 {
		return out, nil
	}
	now := s.now()
	var b strings.Builder
	b.WriteString("INSERT INTO vehicles (smartcar_id, owner_id, smartcar_user_id, external_id, make, model, year, vin, state, state_changed_at, created_at, updated_at) VALUES ")
	args := make([]any, 0, len(ins)*12)
	byID := make(map[string]model.Vehicle, len(ins))
	for i, in := range ins {
		if strings.TrimSpace(in.SmartcarID) == "" {
			return nil, wrap(ErrInvalid, "add detected vehicles: smartcar id")
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
		v := model.Vehicle{SmartcarID: in.SmartcarID, OwnerID: in.OwnerID, SmartcarUserID: in.SmartcarUserID, ExternalID: in.ExternalID,
			Make: strings.ToUpper(in.Make), Model: in.Model, Year: in.Year, VIN: strings.ToUpper(in.VIN), State: model.StateConnected,
			StateChangedAt: now, CreatedAt: now, UpdatedAt: now}
		byID[v.SmartcarID] = v
		args = append(args, v.SmartcarID, v.OwnerID, v.SmartcarUserID, v.ExternalID, v.Make, v.Model, v.Year, v.VIN, v.State, now, now, now)
	}
	b.WriteString(" ON CONFLICT (smartcar_id) DO NOTHING RETURNING id, smartcar_id")
	rows, err := s.q(ctx).Raw(b.String(), args...).Rows()
	if err != nil {
		return nil, wrap(err, "add %d detected vehicles", len(ins))
	}
	var added []model.Event
	for rows.Next() {
		var id int64
		var sid string
		if err := rows.Scan(&id, &sid); err != nil {
			rows.Close()
			return nil, wrap(err, "add detected vehicles: scan")
		}
		v := byID[sid]
		v.ID = id
		out[sid] = v
		added = append(added, model.Event{VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: model.EventVehicleAdded, Source: source, ToState: v.State})
	}
	if err := rows.Close(); err != nil {
		return nil, wrap(err, "add detected vehicles")
	}
	return out, s.AddEvents(ctx, added)
}

// EventClock is what one batch learned about a vehicle's times.
type EventClock struct {
	LastEventAt  *time.Time // when we received the newest event that decided its state
	LastSignalAt *time.Time // the newest data from it
	// Sources, when set, replaces the vehicle's source clocks.
	Sources *SourceClocks
}

// SetEventClocks writes vehicles' event times in one statement. The caller
// holds the vehicles (locked, or SQLite's single writer) and passes times
// that only move forward.
func (s *Store) SetEventClocks(ctx context.Context, clocks map[int64]EventClock) error {
	if s.postgres() {
		return s.setEventClocksPostgres(ctx, clocks)
	}
	cols := []struct {
		name string
		val  func(EventClock) (any, bool)
	}{
		{"last_event_at", func(c EventClock) (any, bool) { return utcPtr(c.LastEventAt), c.LastEventAt != nil }},
		{"last_signal_at", func(c EventClock) (any, bool) { return utcPtr(c.LastSignalAt), c.LastSignalAt != nil }},
		{"webhook_sent_at", func(c EventClock) (any, bool) {
			return sourceVal(c, func(sc SourceClocks) any { return utcPtr(sc.WebhookSentAt) })
		}},
		{"webhook_sequence", func(c EventClock) (any, bool) {
			return sourceVal(c, func(sc SourceClocks) any { return sc.WebhookSequence })
		}},
		{"webhook_sequence_scope", func(c EventClock) (any, bool) {
			return sourceVal(c, func(sc SourceClocks) any { return sc.WebhookSequenceScope })
		}},
		{"report_sent_at", func(c EventClock) (any, bool) {
			return sourceVal(c, func(sc SourceClocks) any { return utcPtr(sc.ReportSentAt) })
		}},
	}
	var set []string
	var args, idArgs []any
	var ids strings.Builder
	// Map order varies; a fixed order keeps the statement text stable.
	keys := slices.Sorted(maps.Keys(clocks))
	for _, col := range cols {
		var b strings.Builder
		var colArgs []any
		for _, id := range keys {
			if v, ok := col.val(clocks[id]); ok {
				b.WriteString(" WHEN ? THEN ?")
				colArgs = append(colArgs, id, v)
			}
		}
		if len(colArgs) > 0 {
			set = append(set, col.name+" = CASE id"+b.String()+" ELSE "+col.name+" END")
			args = append(args, colArgs...)
		}
	}
	for _, id := range keys {
		c := clocks[id]
		if c.LastEventAt != nil || c.LastSignalAt != nil || c.Sources != nil {
			if ids.Len() > 0 {
				ids.WriteByte(',')
			}
			ids.WriteByte('?')
			idArgs = append(idArgs, id)
		}
	}
	if len(idArgs) == 0 {
		return nil
	}
	args = append(args, idArgs...)
	q := "UPDATE vehicles SET " + strings.Join(set, ", ") + " WHERE id IN (" + ids.String() + ")"
	return wrap(s.q(ctx).Exec(q, args...).Error, "set event clocks of %d vehicles", len(idArgs))
}

// setEventClocksPostgres is SetEventClocks in one statement of fixed text
// over arrays. The CASE form compared every row with every id of the batch
// (a batch of 250 made 1,500 comparisons a row) and its text changed with
// the batch, so PostgreSQL planned it afresh each time: it was the largest
// statement of a backlog's batch. A nil time leaves the column as it is;
// u.src says whether the source clocks are replaced, nils included.
func (s *Store) setEventClocksPostgres(ctx context.Context, clocks map[int64]EventClock) error {
	n := len(clocks)
	ids := make([]int64, 0, n)
	lastEvent, lastSignal, webhookSent, reportSent := make([]*time.Time, 0, n), make([]*time.Time, 0, n), make([]*time.Time, 0, n), make([]*time.Time, 0, n)
	seq, scope, src := make([]*int64, 0, n), make([]string, 0, n), make([]bool, 0, n)
	for _, id := range slices.Sorted(maps.Keys(clocks)) {
		c := clocks[id]
		if c.LastEventAt == nil && c.LastSignalAt == nil && c.Sources == nil {
			continue
		}
		var sc SourceClocks
		if c.Sources != nil {
			sc = *c.Sources
		}
		ids, src = append(ids, id), append(src, c.Sources != nil)
		lastEvent, lastSignal = append(lastEvent, utcTime(c.LastEventAt)), append(lastSignal, utcTime(c.LastSignalAt))
		webhookSent, reportSent = append(webhookSent, utcTime(sc.WebhookSentAt)), append(reportSent, utcTime(sc.ReportSentAt))
		seq, scope = append(seq, sc.WebhookSequence), append(scope, sc.WebhookSequenceScope)
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := s.q(ctx).Statement.ConnPool.ExecContext(ctx, "UPDATE vehicles AS v SET"+
		" last_event_at = COALESCE(u.le, v.last_event_at), last_signal_at = COALESCE(u.ls, v.last_signal_at),"+
		" webhook_sent_at = CASE WHEN u.src THEN u.ws ELSE v.webhook_sent_at END,"+
		" webhook_sequence = CASE WHEN u.src THEN u.sq ELSE v.webhook_sequence END,"+
		" webhook_sequence_scope = CASE WHEN u.src THEN u.sc ELSE v.webhook_sequence_scope END,"+
		" report_sent_at = CASE WHEN u.src THEN u.rs ELSE v.report_sent_at END"+
		" FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[], $4::bool[], $5::timestamptz[], $6::bigint[], $7::text[], $8::timestamptz[])"+
		" AS u(id, le, ls, src, ws, sq, sc, rs) WHERE v.id = u.id",
		ids, lastEvent, lastSignal, src, webhookSent, seq, scope, reportSent)
	return wrap(err, "set event clocks of %d vehicles", len(ids))
}

// utcTime is t in UTC, nil for nil.
func utcTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func sourceVal(c EventClock, f func(SourceClocks) any) (any, bool) {
	if c.Sources == nil {
		return nil, false
	}
	return f(*c.Sources), true
}

// VehiclesDueForHealthCheck lists vehicles not checked since before, never
// checked first. Declined vehicles are the owner's decision, so they are
// never probed; a reconnecting one is mid-repair unless it has been
// reconnecting since before stuckBefore (the owner did not come back from
// Connect in time), when only an answer tells whether the trip worked.
func (s *Store) VehiclesDueForHealthCheck(ctx context.Context, before, stuckBefore time.Time, limit int) ([]model.Vehicle, error) {
	var vs []model.Vehicle
	err := s.q(ctx).Where("state <> ? AND (state <> ? OR state_changed_at < ?) AND smartcar_user_id <> '' AND (last_health_check_at IS NULL OR last_health_check_at < ?)",
		model.StateDeclined, model.StateReconnecting, stuckBefore, before).
		Order("CASE WHEN last_health_check_at IS NULL THEN 0 ELSE 1 END").Order("last_health_check_at").Order("id").
		Limit(limit).Find(&vs).Error
	return vs, wrap(err, "vehicles due for health check")
}

// VehiclesReconnectingSince lists, in id order after afterID, vehicles that
// have been reconnecting since before `before`: trips to Connect that were
// abandoned or came back unusable.
func (s *Store) VehiclesReconnectingSince(ctx context.Context, before time.Time, afterID int64, limit int) ([]model.Vehicle, error) {
	var vs []model.Vehicle
	err := s.q(ctx).Where("state = ? AND state_changed_at < ? AND id > ?", model.StateReconnecting, before, afterID).
		Order("id").Limit(limit).Find(&vs).Error
	return vs, wrap(err, "vehicles reconnecting since %s", before)
}

// MarkHealthChecked records when a vehicle was last probed.
func (s *Store) MarkHealthChecked(ctx context.Context, vehicleID int64) error {
	err := s.q(ctx).Model(&model.Vehicle{}).Where("id = ?", vehicleID).Update("last_health_check_at", s.now()).Error
	return wrap(err, "mark vehicle #%d checked", vehicleID)
}

// VehicleByRef finds a vehicle by its Smartcar id, else by its VIN (the way
// hosts and campaign lists name vehicles). A VIN shared by several vehicles
// (reconnected under new Smartcar ids) is ErrConflict: only the Smartcar id
// says which.
func (s *Store) VehicleByRef(ctx context.Context, ref string) (model.Vehicle, error) {
	v, err := s.VehicleBySmartcarID(ctx, ref)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return v, err
	}
	var vs []model.Vehicle
	if err := s.q(ctx).Where("vin = ? AND vin <> ''", strings.ToUpper(strings.TrimSpace(ref))).Limit(2).Find(&vs).Error; err != nil {
		return model.Vehicle{}, wrap(err, "vehicle by VIN")
	}
	switch len(vs) {
	case 0:
		return model.Vehicle{}, fmt.Errorf("store: vehicle %s: %w", ref, ErrNotFound)
	case 1:
		return vs[0], nil
	}
	return model.Vehicle{}, fmt.Errorf("store: VIN %s names several vehicles: %w", ref, ErrConflict)
}

// adoptEvents gives a car's timeline entries written while it had no owner
// to the owner it now gets: they were about the car that owner has (the
// host named them late), and timelines are read by owner_id alone so that a
// later owner never sees an earlier one's entries.
func (s *Store) adoptEvents(ctx context.Context, vehicleID, ownerID int64) error {
	err := s.q(ctx).Model(&model.Event{}).Where("vehicle_id = ? AND owner_id IS NULL", vehicleID).Update("owner_id", ownerID).Error
	return wrap(err, "give vehicle #%d's timeline to owner #%d", vehicleID, ownerID)
}

// MoveVehicle gives the car to another owner (or to none, when `to` is nil:
// a change of hands we only suspect, until the host or Smartcar names the
// new owner), with the host's id for them as its external id, and marks when
// it changed hands. Its reminders snooze is the previous owner's and goes.
// It returns the car after the move; the caller (lifecycle.ChangeOwner)
// writes the timeline.
func (s *Store) MoveVehicle(ctx context.Context, vehicleID int64, to *int64, externalID string, at time.Time) (model.Vehicle, error) {
	if to != nil {
		if err := s.adoptEvents(ctx, vehicleID, *to); err != nil {
			return model.Vehicle{}, err
		}
	}
	err := s.q(ctx).Model(&model.Vehicle{}).Where("id = ?", vehicleID).Updates(map[string]any{
		"owner_id": to, "external_id": externalID, "owner_changed_at": at, "snoozed_until": nil, "updated_at": s.now(),
	}).Error
	if err != nil {
		return model.Vehicle{}, wrap(err, "move vehicle #%d", vehicleID)
	}
	// The car's open campaign places follow it: its new owner is the one
	// to tell, and the previous owner's notices end with it (see
	// campaign.Service.OwnerChanged).
	if err := s.q(ctx).Exec("UPDATE campaign_vehicles SET owner_id = ? WHERE vehicle_id = ? AND "+openVehicle, to, vehicleID).Error; err != nil {
		return model.Vehicle{}, wrap(err, "move vehicle #%d in campaigns", vehicleID)
	}
	if err := s.queueFunnel(ctx, "vehicle_id = ?", vehicleID); err != nil {
		return model.Vehicle{}, err
	}
	return s.VehicleByID(ctx, vehicleID)
}

// MarkOwnerChanged flags a car as having (perhaps) changed hands without
// moving it: the owner said they sold it, or that it is not theirs.
func (s *Store) MarkOwnerChanged(ctx context.Context, vehicleID int64, at time.Time) (model.Vehicle, error) {
	err := s.q(ctx).Model(&model.Vehicle{}).Where("id = ?", vehicleID).Updates(map[string]any{"owner_changed_at": at, "updated_at": s.now()}).Error
	if err != nil {
		return model.Vehicle{}, wrap(err, "mark vehicle #%d changed hands", vehicleID)
	}
	return s.VehicleByID(ctx, vehicleID)
}

// VehiclesByVIN lists the cars with this VIN, oldest first: the same car
// connected again under a new Smartcar id is a new row.
func (s *Store) VehiclesByVIN(ctx context.Context, vin string) ([]model.Vehicle, error) {
	vin = strings.ToUpper(strings.TrimSpace(vin))
	if vin == "" {
		return nil, nil
	}
	var vs []model.Vehicle
	err := s.q(ctx).Where("vin = ?", vin).Order("id").Find(&vs).Error
	return vs, wrap(err, "vehicles by VIN")
}

// SetSmartcarUser records the Smartcar user a car is now connected through.
func (s *Store) SetSmartcarUser(ctx context.Context, vehicleID int64, userID string) error {
	err := s.q(ctx).Model(&model.Vehicle{}).Where("id = ?", vehicleID).Updates(map[string]any{"smartcar_user_id": userID, "updated_at": s.now()}).Error
	return wrap(err, "set smartcar user of vehicle #%d", vehicleID)
}
