package hostwebhook

import (
	"context"
	"encoding/json"
	"time"

	"reconnect/internal/jobs"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// MigrationPayload is the body of migration.suspected: Standard Webhooks'
// {type, timestamp, data}.
type MigrationPayload struct {
	Type      string        `json:"type"`
	Timestamp time.Time     `json:"timestamp"`
	Data      MigrationData `json:"data"`
}

// MigrationData describes the suspected migration.
type MigrationData struct {
	Make string `json:"make"`
	// Vehicles newly needed re-authentication within WindowSeconds;
	// Connected were still connected when it was raised.
	Vehicles      int       `json:"vehicles"`
	Connected     int       `json:"connected"`
	WindowSeconds int64     `json:"window_seconds"`
	FirstError    string    `json:"first_error"`
	FirstBreakAt  time.Time `json:"first_break_at"`
	RaisedAt      time.Time `json:"raised_at"`
}

// NeedsSupportPayload is the body of vehicle.needs_support: Standard
// Webhooks' {type, timestamp, data}.
type NeedsSupportPayload struct {
	Type      string           `json:"type"`
	Timestamp time.Time        `json:"timestamp"`
	Data      NeedsSupportData `json:"data"`
}

// NeedsSupportData names the car (by its Smartcar id), its owner by the
// host's id, and why they need a person.
type NeedsSupportData struct {
	VehicleID  string                 `json:"vehicle_id"`
	HostUserID string                 `json:"host_user_id,omitempty"`
	ExternalID string                 `json:"external_id,omitempty"`
	State      model.State            `json:"state"`
	Reason     model.EscalationReason `json:"reason"`
	// FailedAttempts counts failed trips to Connect in this episode.
	FailedAttempts int `json:"failed_attempts"`
	// CampaignID is the live migration campaign the car is in, if any.
	CampaignID *int64    `json:"campaign_id,omitempty"`
	Since      time.Time `json:"since"`
}

// AlertWebhooks sends the alert webhooks through q, in the caller's
// transaction, like Hook. Without a host URL it sends nothing.
type AlertWebhooks struct {
	n *Notifier
	q *jobs.Queue
}

// Alerts returns the sender of alert webhooks.
func (n *Notifier) Alerts(q *jobs.Queue) *AlertWebhooks { return &AlertWebhooks{n: n, q: q} }

// MigrationSuspected logs a migration.suspected message and enqueues its
// delivery inside tx, the transaction that raised the alert.
func (w *AlertWebhooks) MigrationSuspected(ctx context.Context, tx *store.Store, m model.SuspectedMigration, window time.Duration) error {
	if !w.n.Enabled() {
		return nil
	}
	body, err := json.Marshal(MigrationPayload{Type: EventMigrationSuspected, Timestamp: tx.Now().UTC(), Data: MigrationData{
		Make: m.Make, Vehicles: m.VehicleCount, Connected: m.ConnectedCount, WindowSeconds: int64(window / time.Second),
		FirstError: m.FirstError, FirstBreakAt: m.FirstBreakAt.UTC(), RaisedAt: m.RaisedAt.UTC(),
	}})
	if err != nil {
		return err
	}
	return w.n.enqueue(ctx, tx, w.q, EventMigrationSuspected, nil, nil, body)
}

// NeedsSupport logs a vehicle.needs_support message and enqueues its
// delivery inside tx, the transaction that opened the escalation.
func (w *AlertWebhooks) NeedsSupport(ctx context.Context, tx *store.Store, e model.Escalation, v model.Vehicle) error {
	if !w.n.Enabled() {
		return nil
	}
	d := NeedsSupportData{VehicleID: v.SmartcarID, ExternalID: v.ExternalID, State: v.State, Reason: e.Reason,
		FailedAttempts: e.FailedAttempts, CampaignID: e.CampaignID, Since: e.RaisedAt.UTC()}
	if e.OwnerID != nil {
		o, err := tx.OwnerByID(ctx, *e.OwnerID)
		if err != nil {
			return err
		}
		d.HostUserID = o.HostUserID
	}
	body, err := json.Marshal(NeedsSupportPayload{Type: EventNeedsSupport, Timestamp: tx.Now().UTC(), Data: d})
	if err != nil {
		return err
	}
	return w.n.enqueue(ctx, tx, w.q, EventNeedsSupport, &v.ID, e.OwnerID, body)
}
