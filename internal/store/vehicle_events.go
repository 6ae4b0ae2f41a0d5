package store

import (
	"context"
	"fmt"

	"reconnect/internal/model"
)

// AddEvent appends to the timeline.
func (s *Store) AddEvent(ctx context.Context, e model.Event) error {
	if e.Kind == "" {
		return fmt.Errorf("store: add event: kind: %w", ErrInvalid)
	}
	now := s.now()
	if e.OccurredAt.IsZero() {
		e.OccurredAt = now
	}
	e.CreatedAt = now
	return wrap(s.q(ctx).Create(&e).Error, "add event %s", e.Kind)
}

// Page selects a window of a newest-first list: events with id < Before.
type Page struct {
	Before int64
	Limit  int
}

func (p Page) limit() int {
	if p.Limit <= 0 || p.Limit > 500 {
		return 100
	}
	return p.Limit
}

// EventsByVehicle lists a vehicle's timeline, newest first.
func (s *Store) EventsByVehicle(ctx context.Context, vehicleID int64, p Page) ([]model.Event, error) {
	q := s.q(ctx).Where("vehicle_id = ?", vehicleID)
	if p.Before > 0 {
		q = q.Where("id < ?", p.Before)
	}
	var es []model.Event
	err := q.Order("id DESC").Limit(p.limit()).Find(&es).Error
	return es, wrap(err, "events of vehicle #%d", vehicleID)
}

// EventsByOwner lists the timeline of an owner and all their vehicles, newest first.
func (s *Store) EventsByOwner(ctx context.Context, ownerID int64, p Page) ([]model.Event, error) {
	q := s.q(ctx).Where("owner_id = ?", ownerID)
	if p.Before > 0 {
		q = q.Where("id < ?", p.Before)
	}
	var es []model.Event
	err := q.Order("id DESC").Limit(p.limit()).Find(&es).Error
	return es, wrap(err, "events of owner #%d", ownerID)
}
