package ingest

import (
	"context"
	"strconv"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Retries puts received events that failed for good (the code refused
// their payload) back in line, on an admin's behalf, once the code that
// refused them has been fixed.
type Retries struct {
	store *store.Store
	audit *audit.Log
	wake  func()
}

// NewRetries returns the retries; wake (optional) tells the processor.
func NewRetries(s *store.Store, log *audit.Log, wake func()) *Retries {
	return &Retries{store: s, audit: log, wake: wake}
}

// RetryFailed sets a failed event pending again and audits it in the same
// transaction, so the processor applies it like a new one (exactly once in
// effect: a failed event changed nothing). It is store.ErrNotFound unless
// the event exists and failed.
func (r *Retries) RetryFailed(ctx context.Context, inboxID int64, by audit.Actor) (store.InboxEvent, error) {
	var ev store.InboxEvent
	err := r.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if ev, err = tx.RetryFailedInbox(ctx, inboxID); err != nil {
			return err
		}
		return r.audit.Record(ctx, tx, audit.Entry{Actor: by, Action: model.AuditInboxRetried,
			Detail: "event " + ev.EventID + " (#" + strconv.FormatInt(ev.ID, 10) + ", " + ev.Source + " " + ev.EventType +
				", vehicle " + ev.VehicleID + "), failed with: " + store.Clip(ev.Error, 300)})
	})
	if err == nil && r.wake != nil {
		r.wake()
	}
	return ev, err
}
