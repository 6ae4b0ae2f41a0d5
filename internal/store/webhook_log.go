package store

import (
	"context"
	"time"
)

// InboundWebhookRow is a line of the inbound webhook log (the inbox, without
// the body).
type InboundWebhookRow struct {
	ID          int64
	EventID     string
	Source      string
	EventType   string
	VehicleID   string
	ReceivedAt  time.Time
	ProcessedAt *time.Time
	Status      string
	Error       string
}

// InboundWebhooks lists recorded webhooks and reported errors, newest first;
// status narrows to one inbox status.
func (s *Store) InboundWebhooks(ctx context.Context, status string, p Page) ([]InboundWebhookRow, error) {
	q := s.q(ctx).Table("webhook_events").
		Select("id, event_id, source, event_type, vehicle_id, received_at, processed_at, status, error")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if p.Before > 0 {
		q = q.Where("id < ?", p.Before)
	}
	var out []InboundWebhookRow
	return out, wrap(q.Order("id DESC").Limit(p.limit()).Scan(&out).Error, "inbound webhooks")
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
	if p.Before > 0 {
		q = q.Where("id < ?", p.Before)
	}
	var out []OutboundWebhookRow
	return out, wrap(q.Order("id DESC").Limit(p.limit()).Scan(&out).Error, "outbound webhooks")
}
