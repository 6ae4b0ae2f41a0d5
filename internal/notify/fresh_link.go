package notify

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/audit"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// LinkMailer emails an owner a fresh link. It is called inside tx, so the
// email is scheduled exactly when the caller's change commits. *Service is
// the real one; tests record what would be sent instead.
type LinkMailer interface {
	SendFreshLink(ctx context.Context, tx *store.Store, owner model.Owner, vehicleID *int64, source model.Source) error
}

// Refusals of FreshLinks.Email, which the console explains to staff.
var (
	ErrEmailOff  = errors.New("notify: email is not configured")
	ErrNoAddress = errors.New("notify: the owner has no email address")
)

// FreshLinks gives owners a new link when they or support staff ask for
// one. Each request lands on the owner's timeline (and, from staff, in the
// audit log) in the same transaction that queues the email or mints the
// link, so each exists only with the others.
type FreshLinks struct {
	store  *store.Store
	links  *links.Service
	audit  *audit.Log
	queue  Queue
	mailer atomic.Pointer[mailerBox]
}

// mailerBox lets a nil LinkMailer be stored atomically.
type mailerBox struct{ m LinkMailer }

// NewFreshLinks returns the fresh-link requests over mailer; a nil mailer
// means email is off. Owners' requests wait in q for FreshLinkWorker.
func NewFreshLinks(st *store.Store, l *links.Service, log *audit.Log, mailer LinkMailer, q Queue) *FreshLinks {
	f := &FreshLinks{store: st, links: l, audit: log, queue: q}
	f.UseMailer(mailer)
	return f
}

// UseMailer replaces the mailer (tests record what would be sent). It is
// safe to call while requests are served.
func (f *FreshLinks) UseMailer(m LinkMailer) { f.mailer.Store(&mailerBox{m: m}) }

func (f *FreshLinks) mailerNow() LinkMailer { return f.mailer.Load().m }

// EmailReady reports whether fresh links can be emailed at all.
func (f *FreshLinks) EmailReady() bool { return f.mailerNow() != nil }

// FreshLinkRequestArgs is an owner's "email me a new link", by the address
// they typed.
type FreshLinkRequestArgs struct {
	Email string `json:"email"`
}

// Kind names the job.
func (FreshLinkRequestArgs) Kind() string { return "fresh_link_request" }

// Request records an owner's ask for a new link by address, as one job,
// whether or not the address belongs to an owner: the answer, and the work
// behind it, must not tell who is an owner. The job (FreshLinkWorker) looks
// the address up and sends.
func (f *FreshLinks) Request(ctx context.Context, email string) error {
	if f.queue == nil {
		return errNoQueue
	}
	return f.store.Tx(ctx, func(tx *store.Store) error {
		_, err := f.queue.InsertTx(ctx, tx.DB(), FreshLinkRequestArgs{Email: email}, &river.InsertOpts{MaxAttempts: 5})
		return err
	})
}

// serve answers a recorded request: when the address belongs to an owner,
// the request goes on their timeline and the email is queued. An unknown
// address ends here.
func (f *FreshLinks) serve(ctx context.Context, email string) error {
	o, err := f.store.OwnerByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	mailer := f.mailerNow()
	return f.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.AddEvent(ctx, model.Event{OwnerID: &o.ID, Kind: model.EventFreshLinkRequested, Source: model.SourceOwner}); err != nil {
			return err
		}
		if mailer != nil {
			return mailer.SendFreshLink(ctx, tx, o, nil, model.SourceResend)
		}
		return nil
	})
}

// FreshLinkWorker serves owners' requests for a new link.
type FreshLinkWorker struct {
	river.WorkerDefaults[FreshLinkRequestArgs]
	FreshLinks *FreshLinks
}

// Work looks the address up and, for an owner, queues the email.
func (w *FreshLinkWorker) Work(ctx context.Context, job *river.Job[FreshLinkRequestArgs]) error {
	return w.FreshLinks.serve(ctx, job.Args.Email)
}

// Email sends the owner a fresh link on a staff member's behalf: timeline,
// email and audit entry in one transaction. It refuses with ErrEmailOff or
// ErrNoAddress before changing anything.
func (f *FreshLinks) Email(ctx context.Context, o model.Owner, by audit.Actor) error {
	mailer := f.mailerNow()
	switch {
	case mailer == nil:
		return ErrEmailOff
	case o.Email == "":
		return ErrNoAddress
	}
	return f.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.AddEvent(ctx, model.Event{OwnerID: &o.ID, Kind: model.EventFreshLinkRequested, Source: model.SourceStaff}); err != nil {
			return err
		}
		if err := mailer.SendFreshLink(ctx, tx, o, nil, model.SourceStaff); err != nil {
			return err
		}
		return f.audit.Record(ctx, tx, audit.Entry{Actor: by, Owner: &o, Action: model.AuditLinkEmailed, Detail: "to the owner's address"})
	})
}

// Shown is a fresh link shown to staff, with the short code that opens it
// when read out over the phone (see links.MintCode).
type Shown struct {
	links.Minted
	Code          string
	CodeExpiresAt time.Time
}

// Show mints a fresh link, and a short code for it, for a staff member to
// read out or paste, and audits it. Only their hashes are stored, so they
// can be shown this once; either opens the owner's page, once.
func (f *FreshLinks) Show(ctx context.Context, o model.Owner, by audit.Actor) (Shown, error) {
	var m Shown
	err := f.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		m.Minted, err = f.links.Mint(ctx, tx, links.Mint{OwnerID: o.ID, Purpose: model.PurposeStaffShown, Source: model.SourceStaff, SourceRef: by.StaffEmail})
		if err != nil {
			return err
		}
		if m.Code, m.CodeExpiresAt, err = f.links.MintCode(ctx, tx, m.Link); err != nil {
			return err
		}
		return f.audit.Record(ctx, tx, audit.Entry{Actor: by, Owner: &o, Action: model.AuditLinkShown,
			Detail: "link #" + strconv.FormatInt(m.Link.ID, 10) + ", expires " + m.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")})
	})
	return m, err
}
