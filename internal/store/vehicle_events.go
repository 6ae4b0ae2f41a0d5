// Table vehicle_events: the timeline of each vehicle and owner, append-only
// until RETENTION_TIMELINE prunes it.

package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

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

// EventsByVehicle lists a vehicle's timeline, newest first.
func (s *Store) EventsByVehicle(ctx context.Context, vehicleID int64, p Page) ([]model.Event, error) {
	q := s.q(ctx).Where("vehicle_id = ?", vehicleID)
	var es []model.Event
	err := p.scope(q).Find(&es).Error
	return es, wrap(err, "events of vehicle #%d", vehicleID)
}

// EventsByOwner lists the timeline of an owner and all their vehicles, newest first.
func (s *Store) EventsByOwner(ctx context.Context, ownerID int64, p Page) ([]model.Event, error) {
	q := s.q(ctx).Where("owner_id = ?", ownerID)
	var es []model.Event
	err := p.scope(q).Find(&es).Error
	return es, wrap(err, "events of owner #%d", ownerID)
}

// OwnerTimeline lists an owner's timeline newest first: the entries written
// while each car was theirs, including those recorded before the host told
// us whose the car is (given to the owner when the car was joined). A car
// that changed hands keeps each owner's entries apart: they are chosen by
// the owner they were written for, never by whose the car is now.
func (s *Store) OwnerTimeline(ctx context.Context, ownerID int64, p Page) ([]model.Event, error) {
	q := s.q(ctx).Where("owner_id = ?", ownerID)
	var es []model.Event
	err := p.scope(q).Find(&es).Error
	return es, wrap(err, "timeline of owner #%d", ownerID)
}

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

// PruneEventsBatch deletes at most batch timeline events that occurred
// before before, oldest first, and says how many went. One statement, so
// one short transaction: a large prune is many of these, never one long
// lock.
func (s *Store) PruneEventsBatch(ctx context.Context, before time.Time, batch int) (int64, error) {
	res := s.q(ctx).Exec(`DELETE FROM vehicle_events WHERE id IN (
		SELECT id FROM vehicle_events WHERE occurred_at < ? ORDER BY id LIMIT ?)`, before, batch)
	return res.RowsAffected, wrap(res.Error, "prune timeline")
}

// ConnectErrorSummary is how often owners came back from Connect with one
// error code since a time, and when it last happened at all.
type ConnectErrorSummary struct {
	Count int64
	Last  *time.Time
}

// ConnectErrorsSince summarises the reconnect_failed events with Connect
// error code since since. The code is matched in the event's JSON detail,
// which the repair writes as {"error":"<code>",…}.
func (s *Store) ConnectErrorsSince(ctx context.Context, code string, since time.Time) (ConnectErrorSummary, error) {
	var out ConnectErrorSummary
	match := func() *gorm.DB {
		return s.q(ctx).Model(&model.Event{}).Where("kind = ? AND detail LIKE ?", model.EventReconnectFailed, `%"error":"`+code+`"%`)
	}
	if err := match().Where("occurred_at >= ?", since).Count(&out.Count).Error; err != nil {
		return out, wrap(err, "count connect errors %s", code)
	}
	var last []model.Event
	if err := match().Order("occurred_at DESC").Limit(1).Find(&last).Error; err != nil {
		return out, wrap(err, "last connect error %s", code)
	}
	if len(last) == 1 {
		t := last[0].OccurredAt
		out.Last = &t
	}
	return out, nil
}

// PreviousOwnersOf lists the owners with a change of hands of the car on
// their timeline, most recent first, but except (the current owner, when
// asking for the ones before); nil except lists every one.
func (s *Store) PreviousOwnersOf(ctx context.Context, vehicleID int64, except *int64) ([]int64, error) {
	q := s.q(ctx).Model(&model.Event{}).Select("owner_id").
		Where("vehicle_id = ? AND kind = ? AND owner_id IS NOT NULL", vehicleID, model.EventOwnerChanged)
	if except != nil {
		q = q.Where("owner_id <> ?", *except)
	}
	var rows []int64
	if err := q.Order("id DESC").Pluck("owner_id", &rows).Error; err != nil {
		return nil, wrap(err, "previous owners of vehicle #%d", vehicleID)
	}
	out := make([]int64, 0, len(rows))
	for _, id := range rows {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}
