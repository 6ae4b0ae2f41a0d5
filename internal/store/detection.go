package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Event kinds written by detection.
const (
	EventWebhookReceived = "webhook_received"
	EventErrorReported   = "error_reported"
	EventErrorIgnored    = "error_ignored"
	EventHealthCheck     = "health_check"
	EventTokenRefreshed  = "token_refreshed"
)

// TrackedVehicle is a vehicle with the time of the newest event that decided
// its state, which orders late deliveries.
type TrackedVehicle struct {
	Vehicle
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

// AddDetectedVehicle records a vehicle first seen in an event, before (or
// without) the host telling us about it: no owner unless ownerID is known.
// When the host later upserts it with its owner, the row is joined in place.
// created is false if the vehicle already existed.
func (s *Store) AddDetectedVehicle(ctx context.Context, in VehicleInput, source string) (v Vehicle, created bool, err error) {
	if strings.TrimSpace(in.SmartcarID) == "" {
		return Vehicle{}, false, wrap(ErrInvalid, "add detected vehicle: smartcar id")
	}
	now := s.now()
	v = Vehicle{
		SmartcarID: in.SmartcarID, OwnerID: in.OwnerID, SmartcarUserID: in.SmartcarUserID,
		ExternalID: in.ExternalID, Make: strings.ToUpper(in.Make), Model: in.Model, Year: in.Year,
		VIN: strings.ToUpper(in.VIN), State: StateConnected, StateChangedAt: now, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&v).Error; err != nil {
		return Vehicle{}, false, wrap(err, "add detected vehicle %s", in.SmartcarID)
	}
	if v.ID == 0 {
		v, err = s.VehicleBySmartcarID(ctx, in.SmartcarID)
		return v, false, err
	}
	err = s.AddEvent(ctx, Event{VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: EventVehicleAdded, Source: source, ToState: v.State})
	return v, true, err
}

// CompleteDetectedVehicle fills what an event tells about a vehicle that we
// did not know: the Smartcar user, the external id and, when the external id
// names a known owner, that owner. Known values are never overwritten.
func (s *Store) CompleteDetectedVehicle(ctx context.Context, v Vehicle, userID, externalID string, ownerID *int64) error {
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
	err := s.q(ctx).Model(&Vehicle{}).Where("id = ?", v.ID).Updates(up).Error
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
	err := s.q(ctx).Model(&Owner{}).Select("id, host_user_id").Where("host_user_id IN ?", hostIDs).Scan(&rows).Error
	for _, r := range rows {
		out[r.HostUserID] = r.ID
	}
	return out, wrap(err, "owners by host ids")
}

// MarkEventSeen moves the vehicle's event clock forward to at.
func (s *Store) MarkEventSeen(ctx context.Context, vehicleID int64, at time.Time) error {
	err := s.q(ctx).Model(&Vehicle{}).Where("id = ? AND (last_event_at IS NULL OR last_event_at < ?)", vehicleID, at).
		Update("last_event_at", at).Error
	return wrap(err, "mark event seen on vehicle #%d", vehicleID)
}

// MarkSignalSeen records that data arrived from the vehicle at at.
func (s *Store) MarkSignalSeen(ctx context.Context, vehicleID int64, at time.Time) error {
	err := s.q(ctx).Model(&Vehicle{}).Where("id = ? AND (last_signal_at IS NULL OR last_signal_at < ?)", vehicleID, at).
		Update("last_signal_at", at).Error
	return wrap(err, "mark signal seen on vehicle #%d", vehicleID)
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
func (s *Store) OwnerTimeline(ctx context.Context, ownerID int64, p Page) ([]Event, error) {
	q := s.q(ctx).Where("owner_id = ? OR vehicle_id IN (SELECT id FROM vehicles WHERE owner_id = ?)", ownerID, ownerID)
	if p.Before > 0 {
		q = q.Where("id < ?", p.Before)
	}
	var es []Event
	err := q.Order("id DESC").Limit(p.limit()).Find(&es).Error
	return es, wrap(err, "timeline of owner #%d", ownerID)
}
