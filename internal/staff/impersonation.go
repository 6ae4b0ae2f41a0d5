package staff

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/textcheck"
)

// MinReasonLength keeps "x" out of the audit log: a reason must say something.
const MinReasonLength = 5

// Impersonation is one in force, with the owner it is for.
type Impersonation struct {
	store.Impersonation
	Owner model.Owner
}

// Left is the time remaining at now.
func (im Impersonation) Left(now time.Time) time.Duration { return im.ExpiresAt.Sub(now) }

// StartImpersonation begins viewing as the owner, for a reason, and ends
// any impersonation the session held before.
func (s *Service) StartImpersonation(ctx context.Context, cur Session, by audit.Actor, owner model.Owner, reason string) (Impersonation, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) < MinReasonLength {
		return Impersonation{}, &InputError{"reason", "Say why you need to see the owner's pages (for example the ticket number)."}
	}
	if err := textInput(textcheck.Text("reason", reason, textcheck.Reason)); err != nil {
		return Impersonation{}, err
	}
	var out Impersonation
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		prev, err := tx.OpenImpersonation(ctx, cur.Session.ID)
		switch {
		case err == nil:
			if err := s.endImpersonation(ctx, tx, prev, by, store.EndedByReplace); err != nil {
				return err
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		now := tx.Now()
		sid := cur.Session.ID
		im, err := tx.CreateImpersonation(ctx, store.Impersonation{
			SessionID: &sid, StaffID: cur.Staff.ID, OwnerID: owner.ID, Reason: reason,
			StartedAt: now, ExpiresAt: now.Add(s.cfg.ImpersonationTTL),
		})
		if err != nil {
			return err
		}
		out = Impersonation{Impersonation: im, Owner: owner}
		return s.audit.Record(ctx, tx, audit.Entry{
			Actor: by, Owner: &owner, Action: model.AuditImpersonationStart, Reason: reason,
			Detail: "until " + im.ExpiresAt.UTC().Format(time.RFC3339),
		})
	})
	return out, err
}

// ActiveImpersonation is the session's impersonation in force. When it has
// just run out it is ended here (and audited) and returned together with
// ErrImpersonationOver, so the caller can say whose view ended.
func (s *Service) ActiveImpersonation(ctx context.Context, cur Session, by audit.Actor) (Impersonation, error) {
	im, err := s.store.OpenImpersonation(ctx, cur.Session.ID)
	if errors.Is(err, store.ErrNotFound) {
		return Impersonation{}, ErrNoImpersonation
	}
	if err != nil {
		return Impersonation{}, err
	}
	owner, err := s.store.OwnerByID(ctx, im.OwnerID)
	if err != nil {
		return Impersonation{}, err
	}
	out := Impersonation{Impersonation: im, Owner: owner}
	if im.Active(s.store.Now()) {
		return out, nil
	}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		return s.endImpersonation(ctx, tx, im, by, store.EndedByExpiry)
	})
	if err != nil {
		return Impersonation{}, err
	}
	return out, ErrImpersonationOver
}

// ErrNoImpersonation: the session is not viewing as anyone.
var ErrNoImpersonation = errors.New("staff: no impersonation")

// EndImpersonation ends the session's impersonation (the Exit button).
func (s *Service) EndImpersonation(ctx context.Context, cur Session, by audit.Actor) (Impersonation, error) {
	var out Impersonation
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		im, err := tx.OpenImpersonation(ctx, cur.Session.ID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoImpersonation
		}
		if err != nil {
			return err
		}
		out.Impersonation = im
		if out.Owner, err = tx.OwnerByID(ctx, im.OwnerID); err != nil {
			return err
		}
		reason := store.EndedByExit
		if !im.Active(tx.Now()) {
			reason = store.EndedByExpiry
		}
		return s.endImpersonation(ctx, tx, im, by, reason)
	})
	return out, err
}

// endImpersonation ends im (at its expiry when it ran out, so the record
// says when access really stopped) and audits it, once.
func (s *Service) endImpersonation(ctx context.Context, tx *store.Store, im store.Impersonation, by audit.Actor, reason string) error {
	at := tx.Now()
	if reason == store.EndedByExpiry && im.ExpiresAt.Before(at) {
		at = im.ExpiresAt
	}
	ended, err := tx.EndImpersonation(ctx, im.ID, at, reason)
	if err != nil || !ended {
		return err
	}
	owner, err := tx.OwnerByID(ctx, im.OwnerID)
	if errors.Is(err, store.ErrNotFound) {
		owner = model.Owner{ID: im.OwnerID}
	} else if err != nil {
		return err
	}
	if by.StaffID == 0 {
		if st, err := tx.StaffByID(ctx, im.StaffID); err == nil {
			by.StaffID, by.StaffEmail = st.ID, st.Email
		}
	}
	return s.audit.Record(ctx, tx, audit.Entry{
		Actor: by, Owner: &owner, Action: model.AuditImpersonationEnd, Reason: im.Reason,
		Detail: reason + " after " + at.Sub(im.StartedAt).Round(time.Second).String(),
	})
}

// expiredPage bounds how many views one call ends.
const expiredPage = 100

// EndExpiredImpersonations ends (and audits) up to expiredPage
// impersonations that ran out while nobody was looking, so the trail shows
// when each one stopped, and says how many it ended.
func (s *Service) EndExpiredImpersonations(ctx context.Context) (int, error) {
	ims, err := s.store.ExpiredImpersonations(ctx, expiredPage)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, im := range ims {
		err := s.store.Tx(ctx, func(tx *store.Store) error {
			return s.endImpersonation(ctx, tx, im, audit.Actor{}, store.EndedByExpiry)
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// RecordOwnerPage writes "viewed this owner page as the owner".
func (s *Service) RecordOwnerPage(ctx context.Context, im Impersonation, by audit.Actor, page string) error {
	return s.audit.RecordLook(ctx, audit.Entry{Actor: by, Owner: &im.Owner, Action: model.AuditImpersonationPage, Reason: im.Reason, Detail: page})
}

// RecordRefused writes "tried an owner action while viewing as the owner".
func (s *Service) RecordRefused(ctx context.Context, im Impersonation, by audit.Actor, action string) error {
	return s.audit.Record(ctx, nil, audit.Entry{Actor: by, Owner: &im.Owner, Action: model.AuditImpersonationRefused, Reason: im.Reason, Detail: action})
}

// SweepArgs asks for views as an owner that ran out while nobody looked to
// be ended, so that the audit log says when each one stopped.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "impersonation_sweep" }

// SweepWorker ends views that ran out, a page at a time until none is left.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Staff *Service
}

// Work ends every view that ran out.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	for {
		n, err := w.Staff.EndExpiredImpersonations(ctx)
		if err != nil || n < expiredPage {
			return err
		}
	}
}
