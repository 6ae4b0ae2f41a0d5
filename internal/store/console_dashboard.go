package store

import (
	"context"
	"time"

	"reconnect/internal/model"
)

// StateChangeRow is a timeline state change with the vehicle it concerns,
// for the console's "recent detections" and "recent reconnects".
type StateChangeRow struct {
	EventID    int64
	VehicleID  int64
	OwnerID    *int64
	SmartcarID string
	Make       string
	Model      string
	Year       int
	FromState  model.State
	ToState    model.State
	Source     string
	OccurredAt time.Time
}

// RecentStateChanges lists the newest changes into one of the states, with
// their vehicles, newest first.
func (s *Store) RecentStateChanges(ctx context.Context, to []model.State, limit int) ([]StateChangeRow, error) {
	var out []StateChangeRow
	err := s.q(ctx).Table("vehicle_events AS e").
		Select("e.id AS event_id, v.id AS vehicle_id, v.owner_id, v.smartcar_id, v.make, v.model, v.year, e.from_state, e.to_state, e.source, e.occurred_at").
		Joins("JOIN vehicles v ON v.id = e.vehicle_id").
		Where("e.kind = ? AND e.to_state IN ?", model.EventStateChanged, to).
		Order("e.id DESC").Limit(limit).Scan(&out).Error
	return out, wrap(err, "recent state changes")
}
