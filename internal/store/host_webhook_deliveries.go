// Table host_webhook_deliveries: webhooks sent to the host app, and their attempts.

package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Host webhook delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryRetrying  = "retrying"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up after the last attempt
)

// HostDelivery is one outgoing webhook message to the host app and the
// outcome of its attempts: the delivery log.
type HostDelivery struct {
	ID             int64
	MessageID      string
	EventType      string
	VehicleID      *int64
	OwnerID        *int64
	URL            string `gorm:"column:url"`
	Payload        string
	Status         string
	Attempts       int
	LastStatusCode int
	LastError      string
	LastAttemptAt  *time.Time
	DeliveredAt    *time.Time
	CreatedAt      time.Time
}

// TableName pins the table.
func (HostDelivery) TableName() string { return "host_webhook_deliveries" }

// CreateHostDelivery logs a message before its first attempt.
func (s *Store) CreateHostDelivery(ctx context.Context, d HostDelivery) (HostDelivery, error) {
	d.CreatedAt = s.now()
	if d.Status == "" {
		d.Status = DeliveryPending
	}
	err := s.q(ctx).Create(&d).Error
	return d, wrap(err, "create host delivery %s", d.EventType)
}

// HostDeliveryByID finds a logged message.
func (s *Store) HostDeliveryByID(ctx context.Context, id int64) (HostDelivery, error) {
	var d HostDelivery
	err := s.q(ctx).Take(&d, id).Error
	return d, wrap(err, "host delivery #%d", id)
}

// RecordHostAttempt logs one attempt's outcome.
func (s *Store) RecordHostAttempt(ctx context.Context, id int64, status string, code int, errText string) error {
	now := s.now()
	up := map[string]any{"status": status, "last_status_code": code, "last_error": errText, "last_attempt_at": now,
		"attempts": gorm.Expr("attempts + 1")}
	if status == DeliveryDelivered {
		up["delivered_at"] = now
	}
	err := s.q(ctx).Model(&HostDelivery{}).Where("id = ?", id).Updates(up).Error
	return wrap(err, "record attempt of host delivery #%d", id)
}

// HostDeliveries lists logged messages newest first, optionally of one vehicle.
func (s *Store) HostDeliveries(ctx context.Context, vehicleID *int64, p Page) ([]HostDelivery, error) {
	q := s.q(ctx)
	if vehicleID != nil {
		q = q.Where("vehicle_id = ?", *vehicleID)
	}
	var ds []HostDelivery
	err := p.scope(q).Find(&ds).Error
	return ds, wrap(err, "host deliveries")
}

// OutboundWebhookRow is a line of the log of webhooks sent to the host app.
type OutboundWebhookRow struct {
	ID             int64
	MessageID      string
	EventType      string
	VehicleID      *int64
	OwnerID        *int64
	URL            string `gorm:"column:url"`
	Status         string
	Attempts       int
	LastStatusCode int
	LastError      string
	LastAttemptAt  *time.Time
	DeliveredAt    *time.Time
	CreatedAt      time.Time
}

// OutboundWebhooks lists messages to the host app, newest first.
func (s *Store) OutboundWebhooks(ctx context.Context, status string, p Page) ([]OutboundWebhookRow, error) {
	q := s.q(ctx).Table("host_webhook_deliveries").
		Select("id, message_id, event_type, vehicle_id, owner_id, url, status, attempts, last_status_code, last_error, last_attempt_at, delivered_at, created_at")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var out []OutboundWebhookRow
	return out, wrap(p.scope(q).Scan(&out).Error, "outbound webhooks")
}

// HostDeliveryIDsOfOwner lists the ids of every message to the host about
// the owner or their cars, for erasure (their delivery jobs name them).
func (s *Store) HostDeliveryIDsOfOwner(ctx context.Context, ownerID int64) ([]int64, error) {
	var ids []int64
	err := s.q(ctx).Model(&HostDelivery{}).
		Where("owner_id = ? OR vehicle_id IN (SELECT id FROM vehicles WHERE owner_id = ?)", ownerID, ownerID).
		Order("id").Pluck("id", &ids).Error
	return ids, wrap(err, "host deliveries of owner #%d", ownerID)
}
