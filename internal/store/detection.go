package store

import (
	"context"
	"strings"
	"time"

	"reconnect/internal/model"

	"gorm.io/gorm/clause"
)

// TrackedVehicle is a vehicle with the time of the newest event that decided
// its state, which orders late deliveries.
type TrackedVehicle struct {
	model.Vehicle
	LastEventAt *time.Time
}

// TableName pins the table.
func (TrackedVehicle) TableName() string { return "vehicles" }

// StateGate is the time an event must not be older than to change the
// vehicle's state: the newest deciding event, or a change made by someone
// else (an owner's repair) after the vehicle was created. Creation itself
// says nothing about the connection, so an event delivered before the host
// registered the vehicle still applies.
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
// deadlock, for the rest of the caller's transaction.
func (s *Store) TrackVehicles(ctx context.Context, smartcarIDs []string) (map[string]TrackedVehicle, error) {
	out := make(map[string]TrackedVehicle, len(smartcarIDs))
	if len(smartcarIDs) == 0 {
		return out, nil
	}
	q := s.q(ctx).Where("smartcar_id IN ?", smartcarIDs).Order("id")
	if s.dialect == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
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
	}
	if len(up) == 0 {
		return nil
	}
	up["updated_at"] = s.now()
	err := s.q(ctx).Model(&model.Vehicle{}).Where("id = ?", v.ID).Updates(up).Error
	return wrap(err, "complete vehicle #%d", v.ID)
}

// OwnerIDsByHostIDs maps host user ids to owner ids, for the ones that exist.
func (s *Store) OwnerIDsByHostIDs(ctx context.Context, hostIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(hostIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ID         int64
		HostUserID string
	}
	err := s.q(ctx).Model(&model.Owner{}).Select("id, host_user_id").Where("host_user_id IN ?", hostIDs).Scan(&rows).Error
	for _, r := range rows {
		out[r.HostUserID] = r.ID
	}
	return out, wrap(err, "owners by host ids")
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
	res := s.q(ctx).Exec(`UPDATE vehicles SET owner_id = (SELECT o.id FROM owners o WHERE o.host_user_id = vehicles.external_id), updated_at = ?
		WHERE owner_id IS NULL AND external_id <> '' AND EXISTS (SELECT 1 FROM owners o WHERE o.host_user_id = vehicles.external_id)`, s.now())
	if res.Error != nil {
		return 0, wrap(res.Error, "join unowned vehicles")
	}
	// Their earlier timeline entries carry no owner; OwnerTimeline finds them
	// through the vehicle, so nothing is rewritten here.
	return res.RowsAffected, nil
}

// OwnerTimeline lists an owner's timeline newest first: entries about the
// owner and about every vehicle the owner has now, including those recorded
// before the vehicle was joined to the owner.
func (s *Store) OwnerTimeline(ctx context.Context, ownerID int64, p Page) ([]model.Event, error) {
	q := s.q(ctx).Where("owner_id = ? OR vehicle_id IN (SELECT id FROM vehicles WHERE owner_id = ?)", ownerID, ownerID)
	if p.Before > 0 {
		q = q.Where("id < ?", p.Before)
	}
	var es []model.Event
	err := q.Order("id DESC").Limit(p.limit()).Find(&es).Error
	return es, wrap(err, "timeline of owner #%d", ownerID)
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

// AddEvents appends many timeline entries in one statement, in order.
func (s *Store) AddEvents(ctx context.Context, es []model.Event) error {
	if len(es) == 0 {
		return nil
	}
	now := s.now()
	for i := range es {
		if es[i].Kind == "" {
			return wrap(ErrInvalid, "add events: kind")
		}
		if es[i].OccurredAt.IsZero() {
			es[i].OccurredAt = now
		}
		es[i].CreatedAt = now
	}
	return wrap(s.q(ctx).Create(&es).Error, "add %d events", len(es))
}

// EventClock is what one batch learned about a vehicle's times.
type EventClock struct {
	LastEventAt  *time.Time // the newest event that decided its state
	LastSignalAt *time.Time // the newest data from it
}

// SetEventClocks writes vehicles' event times in one statement. The caller
// holds the vehicles (locked, or SQLite's single writer) and passes times
// that only move forward.
func (s *Store) SetEventClocks(ctx context.Context, clocks map[int64]EventClock) error {
	var ev, sig, ids strings.Builder
	var evArgs, sigArgs, idArgs []any
	for id, c := range clocks {
		if c.LastEventAt != nil {
			ev.WriteString(" WHEN ? THEN ?")
			evArgs = append(evArgs, id, c.LastEventAt.UTC())
		}
		if c.LastSignalAt != nil {
			sig.WriteString(" WHEN ? THEN ?")
			sigArgs = append(sigArgs, id, c.LastSignalAt.UTC())
		}
		if c.LastEventAt != nil || c.LastSignalAt != nil {
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
	var set []string
	var args []any
	if len(evArgs) > 0 {
		set = append(set, "last_event_at = CASE id"+ev.String()+" ELSE last_event_at END")
		args = append(args, evArgs...)
	}
	if len(sigArgs) > 0 {
		set = append(set, "last_signal_at = CASE id"+sig.String()+" ELSE last_signal_at END")
		args = append(args, sigArgs...)
	}
	args = append(args, idArgs...)
	q := "UPDATE vehicles SET " + strings.Join(set, ", ") + " WHERE id IN (" + ids.String() + ")"
	return wrap(s.q(ctx).Exec(q, args...).Error, "set event clocks of %d vehicles", len(idArgs))
}
