// Package erasure removes an owner's personal data on request (the host's
// API, or the command line): in one transaction it deletes their
// credentials, clears every personal column of their rows as
// store.Columns lists them, forgets their queued jobs and records the
// erasure in the audit log under their pseudonym. Counts, states and the
// audit trail stay.
package erasure

import (
	"context"
	"errors"
	"fmt"

	"reconnect/internal/audit"
	"reconnect/internal/hostwebhook"
	"reconnect/internal/jobs"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// ErrUnknownOwner: no owner has that host user id (or they were erased:
// the erasure keeps no host user id to recognise them by).
var ErrUnknownOwner = errors.New("erasure: unknown owner")

// Service erases owners.
type Service struct {
	store *store.Store
	jobs  *jobs.Queue
	audit *audit.Log
}

// New returns the erasure service.
func New(st *store.Store, q *jobs.Queue, log *audit.Log) *Service {
	return &Service{store: st, jobs: q, audit: log}
}

// Erase erases the owner with that host user id, recording by as who asked.
func (s *Service) Erase(ctx context.Context, hostUserID string, by audit.Actor) error {
	return s.store.Tx(ctx, func(tx *store.Store) error {
		o, err := tx.OwnerByHostID(ctx, hostUserID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrUnknownOwner
		}
		if err != nil {
			return err
		}
		emails, err := tx.EmailIDsOfOwner(ctx, o.ID)
		if err != nil {
			return err
		}
		deliveries, err := tx.HostDeliveryIDsOfOwner(ctx, o.ID)
		if err != nil {
			return err
		}
		// Every job whose arguments lead to the owner: the email schedule's
		// wake-up, the emails, the messages to the host about them.
		forgotten := 0
		for _, f := range []struct {
			kind, key string
			ids       []int64
		}{
			{notify.OwnerArgs{}.Kind(), "owner_id", []int64{o.ID}},
			{notify.EmailArgs{}.Kind(), "email_id", emails},
			{hostwebhook.DeliverArgs{}.Kind(), "delivery_id", deliveries},
		} {
			n, err := s.jobs.ForgetTx(ctx, tx.DB(), f.kind, f.key, f.ids)
			if err != nil {
				return err
			}
			forgotten += n
		}
		if err := tx.EraseOwner(ctx, o.ID, o.HostUserID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{
			Actor: by, Owner: &o, Action: model.AuditOwnerErased,
			Detail: fmt.Sprintf("%d emails, %d host messages, %d jobs", len(emails), len(deliveries), forgotten),
		})
	})
}
