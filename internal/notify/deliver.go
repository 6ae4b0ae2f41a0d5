package notify

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/mail"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Result says what one run for an owner did.
type Result struct {
	// Sent is set when an email went out.
	Sent  bool
	Email store.EmailMessage
	// Wait is how long until the owner's next email is due, when it is not
	// due yet.
	Wait time.Duration
	// Unknown: the last attempt's outcome is unknown; no attempt is made
	// before Wait has passed.
	Unknown bool
	// Hold: a campaign notice is due and waits Wait for the owner's first
	// email about a broken car, so that both go as one.
	Hold bool
}

// attempt is an email claimed for sending: its row is committed as
// "sending" before the SMTP conversation starts.
type attempt struct {
	email    store.EmailMessage
	msg      mail.Message
	vehicles []int64
	auto     bool
	// wait, when set, holds the attempt back: the last one's outcome is
	// unknown.
	wait time.Duration
	// notices are the campaign notices the email carries, marked sent or
	// skipped in the transaction that records its outcome.
	notices []campaign.OwnerNotice
	// hold: nothing is claimed; the job waits (wait) for the owner's first
	// email so that a notice due now goes with it.
	hold bool
}

// unknownWait is how long an email left "sending" by an attempt with an
// unknown outcome must still wait before the next attempt; 0 when it may go.
func (s *Service) unknownWait(em store.EmailMessage, now time.Time) time.Duration {
	if em.Status != store.EmailSending || em.AttemptedAt == nil {
		return 0
	}
	return max(em.AttemptedAt.Add(s.cfg.UnknownRetryAfter).Sub(now), 0)
}

// Deliver sends the owner's due email, if one is due and still has
// something to say. final marks the last attempt the queue will make.
//
// The guarantee: every scheduled step (owner, episode, seq) has exactly one
// email row, and a row is handed to SMTP until the server accepts it (250
// after DATA) or refuses it for good (5xx). Acceptance and the schedule's
// next step are committed together, so a retry or a rescued job after that
// commit finds nothing due and sends nothing. Mail is never lost to a crash
// or an outage: a row left "sending" is attempted again. The one window for
// a duplicate is a crash between the server's acceptance and that commit
// (one local transaction): the retry then sends the same message again,
// with the same Message-ID, which mail clients that deduplicate by
// Message-ID collapse.
//
// An attempt whose outcome is unknown (the server did not answer the end of
// the message before SendTimeout, the process died during the conversation,
// or the database was down when the answer was to be recorded) leaves its
// row "sending". No attempt follows before UnknownRetryAfter has passed since
// it started; then the same message goes again, with the same Message-ID. So
// a duplicate needs a server that accepted a message without saying so in
// SendTimeout, or a crash in the moment after it said so, and comes at the
// earliest UnknownRetryAfter later.
func (s *Service) Deliver(ctx context.Context, ownerID int64, final bool) (Result, error) {
	var res Result
	var at *attempt
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		at, res.Wait, err = s.prepare(ctx, tx, ownerID)
		return err
	})
	if err != nil || at == nil {
		return res, err
	}
	if at.hold {
		return Result{Wait: at.wait, Hold: true}, nil
	}
	if at.wait > 0 {
		return Result{Email: at.email, Wait: at.wait, Unknown: true}, nil
	}
	return s.send(ctx, at, final)
}

// prepare re-reads everything about the owner in the schedule's lock and
// either moves the schedule (not yet, not now, nothing to say) or claims
// the email it is time for. That email carries the breakage step that is
// due and every campaign notice due within mergeWindow (or the reverse: a
// notice that is due pulls forward a reminder due within mergeWindow), so
// one owner gets one email where two would have come within a day.
func (s *Service) prepare(ctx context.Context, tx *store.Store, ownerID int64) (*attempt, time.Duration, error) {
	n, err := tx.NotificationForUpdate(ctx, ownerID, false)
	if errors.Is(err, store.ErrNotFound) && s.campaigns != nil {
		// An owner told of a campaign may never have had a car break: the
		// schedule row is their lock and keeps the last email's time. The
		// job only runs for an owner with notices due (or a schedule), so
		// the row is made without asking first.
		n, err = tx.NotificationForUpdate(ctx, ownerID, true)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	now := tx.Now()
	var notices []campaign.OwnerNotice
	if s.campaigns != nil {
		if notices, err = s.campaigns.OwnerNotices(ctx, tx, ownerID, now, now.Add(mergeWindow)); err != nil {
			return nil, 0, err
		}
	}
	breakDue := n.Active && n.DueAt != nil
	if !breakDue && len(notices) == 0 {
		return nil, 0, nil
	}
	noticeNow := dueBy(notices, now)
	if !noticeNow && (!breakDue || n.DueAt.After(now)) {
		return nil, waitFor(n, notices, now), nil
	}
	dirty := false
	save := func() error {
		if !dirty {
			return nil
		}
		return tx.SaveNotification(ctx, n)
	}
	o, err := tx.OwnerByID(ctx, ownerID)
	if err != nil {
		return nil, 0, err
	}
	if o.UnsubscribedAt != nil || o.Email == "" {
		if breakDue && o.UnsubscribedAt != nil {
			endEpisode(&n)
			dirty = true
		} else if breakDue && !n.DueAt.After(now) {
			if err := tx.AddEvent(ctx, model.Event{OwnerID: &o.ID, Kind: model.EventEmailSkipped, Source: model.SourceSystem,
				Detail: jsonDetail(map[string]any{"reason": "no_address"})}); err != nil {
				return nil, 0, err
			}
			n.DueAt, dirty = nil, true
		}
		if due := dueOnly(notices, now); len(due) > 0 {
			if err := s.campaigns.SkipOwnerNotices(ctx, tx, due, campaign.SkipNoAddress); err != nil {
				return nil, 0, err
			}
		}
		return nil, 0, save()
	}
	vs, err := tx.VehiclesByOwner(ctx, o.ID)
	if err != nil {
		return nil, 0, err
	}
	if notices, err = s.keepOwnCars(ctx, tx, notices, vs, now); err != nil {
		return nil, 0, err
	}
	noticeNow = dueBy(notices, now)

	// The breakage part: which broken cars are ready to be written about.
	var ready []model.Vehicle
	includeBreak := false
	if breakDue {
		var need []model.Vehicle
		var wake time.Time
		later := func(t time.Time) {
			if wake.IsZero() || t.Before(wake) {
				wake = t
			}
		}
		for _, v := range vs {
			if !v.State.NeedsOwner() {
				continue
			}
			need = append(need, v)
			switch {
			case v.SnoozedUntil != nil && v.SnoozedUntil.After(now):
				later(*v.SnoozedUntil)
			case v.State == model.StateReconnecting && now.Sub(v.StateChangedAt) < reconnectGrace:
				later(v.StateChangedAt.Add(reconnectGrace))
			default:
				ready = append(ready, v)
			}
		}
		switch {
		case len(need) == 0:
			endEpisode(&n)
			dirty = true
		case n.DueAt.After(now):
			// Not due: a reminder within the window comes along with the
			// notice; a first email still in its debounce is waited for
			// (below), since a car that recovers by itself within it must
			// not be written about.
			includeBreak = len(ready) > 0 && n.SentCount > 0 && n.SentCount < s.cfg.Max && !n.DueAt.After(now.Add(mergeWindow))
		case len(ready) == 0:
			n.DueAt, dirty = &wake, true
		case n.SentCount >= s.cfg.Max:
			n.DueAt, dirty = nil, true
		default:
			includeBreak = true
		}
	}
	if !includeBreak && !noticeNow {
		return nil, waitFor(n, notices, now), save()
	}
	if !includeBreak && n.Active && n.SentCount == 0 && n.DueAt != nil && n.DueAt.After(now) && !n.DueAt.After(now.Add(mergeWindow)) {
		// A notice due while a car's first email is in its debounce waits
		// for it (at most the debounce), and both go as one email.
		wait := n.DueAt.Sub(now)
		return &attempt{wait: wait, hold: true}, wait, save()
	}
	if !includeBreak {
		ready = nil
	}

	// What holds every automatic email back: the owner's minimum interval
	// and quiet hours. A notice is postponed, never dropped.
	postpone := func(to time.Time) (*attempt, time.Duration, error) {
		if includeBreak && n.DueAt != nil && n.DueAt.Before(to) {
			n.DueAt, dirty = &to, true
		}
		if err := tx.PostponeNotices(ctx, noticeIDs(dueOnly(notices, now)), to); err != nil {
			return nil, 0, err
		}
		return nil, 0, save()
	}
	if n.LastSentAt != nil && s.cfg.MinInterval > 0 {
		if next := n.LastSentAt.Add(s.cfg.MinInterval); next.After(now) {
			return postpone(next)
		}
	}
	if end, quiet := QuietUntil(s.cfg.Quiet, now, s.location(o)); quiet {
		return postpone(end)
	}
	if next, ok, err := s.takeSendSlots(ctx, tx, campaignIDs(notices), now); err != nil {
		return nil, 0, err
	} else if !ok {
		return postpone(next)
	}
	if err := save(); err != nil {
		return nil, 0, err
	}

	em, err := s.emailFor(ctx, tx, o, n, includeBreak, notices)
	if err != nil || em == nil {
		return nil, 0, err
	}
	if wait := s.unknownWait(*em, now); wait > 0 {
		return &attempt{email: *em, wait: wait}, wait, nil
	}
	ready = withoutCampaignCars(ready, notices)
	msg, err := s.composeReconnect(ctx, tx, o, *em, ready, notices, vs)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]int64, 0, len(ready))
	for _, v := range ready {
		ids = append(ids, v.ID)
	}
	for _, on := range notices {
		for _, cv := range on.Vehicles {
			ids = append(ids, cv.VehicleID)
		}
	}
	if err := tx.ClaimEmail(ctx, em.ID, o.Email, msg.Subject, joinIDs(ids)); err != nil {
		return nil, 0, err
	}
	if err := tx.ClaimNotices(ctx, noticeIDs(notices), em.MessageID); err != nil {
		return nil, 0, err
	}
	return &attempt{email: *em, msg: msg, vehicles: ids, auto: includeBreak, notices: notices}, 0, nil
}

// emailFor finds or writes the email row of this send. With the breakage
// step it is that step's row, as before campaigns. Otherwise it is the
// row a crashed attempt already named on one of the notices, or a new one
// keyed by the earliest notice, so that a retry after a crash finds the
// same row (and Message-ID) and never writes a second email. nil: the
// step was decided by an earlier run and nothing is left to do.
func (s *Service) emailFor(ctx context.Context, tx *store.Store, o model.Owner, n store.OwnerNotification, includeBreak bool, notices []campaign.OwnerNotice) (*store.EmailMessage, error) {
	var key, kind string
	var episode, seq int
	if includeBreak {
		seq, episode = n.SentCount+1, n.Episode
		key, kind = fmt.Sprintf("owner/%d/episode/%d/email/%d", o.ID, n.Episode, seq), store.EmailDigest
		if seq > 1 {
			kind = store.EmailReminder
		}
	} else {
		for _, on := range notices {
			for _, nt := range append([]store.Notice{on.Notice}, on.Folded...) {
				if nt.EmailMessageID == "" {
					continue
				}
				em, err := tx.EmailByMessageID(ctx, nt.EmailMessageID)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return nil, err
				}
				if em.Status == store.EmailPending || em.Status == store.EmailSending {
					return &em, nil
				}
			}
		}
		key, kind = fmt.Sprintf("owner/%d/notice/%d", o.ID, slices.Min(noticeIDs(notices))), store.EmailCampaignNotice
	}
	em, err := tx.CreateEmailOnce(ctx, store.EmailMessage{
		MessageID: s.newMessageID(), DedupeKey: key, OwnerID: o.ID, Kind: kind, Source: model.SourceSchedule,
		Episode: episode, Seq: seq,
	})
	if err != nil {
		return nil, err
	}
	if em.Status != store.EmailPending && em.Status != store.EmailSending {
		// Decided by an earlier run whose schedule change is already
		// committed with it; nothing more to do for this step.
		return nil, nil
	}
	return &em, nil
}

// DeliverEmail sends one fresh-link email by id.
func (s *Service) DeliverEmail(ctx context.Context, emailID int64, final bool) (Result, error) {
	var at *attempt
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		em, err := tx.EmailForUpdate(ctx, emailID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || (em.Status != store.EmailPending && em.Status != store.EmailSending) {
			return err
		}
		o, err := tx.OwnerByID(ctx, em.OwnerID)
		if err != nil {
			return err
		}
		if o.Email == "" {
			return tx.FinishEmail(ctx, em.ID, store.EmailCancelled, 0, "no address")
		}
		if wait := s.unknownWait(em, tx.Now()); wait > 0 {
			at = &attempt{email: em, wait: wait}
			return nil
		}
		if next, ok, err := s.takeSendSlots(ctx, tx, nil, tx.Now()); err != nil || !ok {
			at = &attempt{email: em, wait: max(next.Sub(tx.Now()), time.Second), hold: true}
			return err
		}
		msg, err := s.composeFreshLink(ctx, tx, o, em)
		if err != nil {
			return err
		}
		var ids []int64
		if em.VehicleID != nil {
			ids = []int64{*em.VehicleID}
		}
		if err := tx.ClaimEmail(ctx, em.ID, o.Email, msg.Subject, joinIDs(ids)); err != nil {
			return err
		}
		at = &attempt{email: em, msg: msg, vehicles: ids}
		return nil
	})
	if err != nil || at == nil {
		return Result{}, err
	}
	if at.hold {
		// EMAIL_RATE is spent for this minute: the job waits its turn.
		return Result{Email: at.email, Wait: at.wait, Hold: true}, nil
	}
	if at.wait > 0 {
		return Result{Email: at.email, Wait: at.wait, Unknown: true}, nil
	}
	return s.send(ctx, at, final)
}

// send talks SMTP outside any transaction (SQLite has one connection, and
// a slow server must not hold locks), then records the outcome.
func (s *Service) send(ctx context.Context, at *attempt, final bool) (Result, error) {
	if s.sender == nil {
		return Result{}, errors.New("notify: email is not configured")
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	sendErr := s.sender.Send(sctx, at.msg)
	cancel()
	if sendErr != nil && ctx.Err() != nil {
		// Shutting down: the row stays "sending", and the retry waits
		// UnknownRetryAfter before sending it again.
		return Result{}, sendErr
	}
	if mail.IsUnknown(sendErr) {
		// The server may have the message: the row stays "sending".
		s.log.Warn("email outcome unknown; not retried before EMAIL_UNKNOWN_RETRY_AFTER",
			"message_id", at.email.MessageID, "kind", at.email.Kind, "retry_after", s.cfg.UnknownRetryAfter, "err", sendErr)
		return Result{Email: at.email, Wait: s.cfg.UnknownRetryAfter, Unknown: true}, nil
	}
	gaveUp := sendErr != nil && (mail.IsPermanent(sendErr) || final)
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		switch {
		case sendErr == nil:
			return s.recordSent(ctx, tx, at)
		case gaveUp:
			return s.recordFailed(ctx, tx, at, sendErr)
		default:
			return tx.FinishEmail(ctx, at.email.ID, store.EmailPending, mail.Code(sendErr), store.Clip(sendErr.Error(), 500))
		}
	})
	if err != nil {
		return Result{}, errors.Join(err, sendErr)
	}
	if sendErr != nil {
		s.log.Warn("email not delivered", "message_id", at.email.MessageID, "kind", at.email.Kind,
			"attempt", at.email.Attempts+1, "gave_up", gaveUp, "err", sendErr)
		if gaveUp {
			return Result{Email: at.email}, &GaveUpError{Err: sendErr}
		}
		return Result{Email: at.email}, sendErr
	}
	at.email.Status = store.EmailSent
	return Result{Sent: true, Email: at.email}, nil
}

// GaveUpError is a delivery that will not be tried again: the server
// refused it for good, or the last attempt failed.
type GaveUpError struct{ Err error }

func (e *GaveUpError) Error() string { return "notify: gave up: " + e.Err.Error() }
func (e *GaveUpError) Unwrap() error { return e.Err }

func (s *Service) recordSent(ctx context.Context, tx *store.Store, at *attempt) error {
	if err := tx.FinishEmail(ctx, at.email.ID, store.EmailSent, 0, ""); err != nil {
		return err
	}
	d := map[string]any{"email_id": at.email.ID, "message_id": at.email.MessageID, "kind": at.email.Kind, "seq": at.email.Seq}
	if len(at.notices) > 0 {
		d["campaign_ids"] = campaignIDs(at.notices)
	}
	if err := s.addEvents(ctx, tx, at, model.EventEmailSent, jsonDetail(d)); err != nil {
		return err
	}
	if len(at.notices) > 0 {
		if err := s.campaigns.OwnerNoticesSent(ctx, tx, at.notices, at.email.MessageID); err != nil {
			return err
		}
		if !at.auto {
			// A notice counts for the minimum interval between emails, not
			// for EMAIL_MAX (that is the breakage episode's cap).
			return tx.NoteEmailSent(ctx, at.email.OwnerID, tx.Now())
		}
	}
	if !at.auto {
		return nil
	}
	n, err := tx.NotificationForUpdate(ctx, at.email.OwnerID, false)
	if err != nil {
		return err
	}
	now := tx.Now()
	// A fix during the SMTP conversation may have ended the episode; then
	// there is nothing to move on. The email went out all the same, so it
	// counts for the minimum interval: without that, a car that broke again
	// started an episode whose first email went at once, minutes after
	// this one.
	if !n.Active || n.Episode != at.email.Episode || n.SentCount >= at.email.Seq {
		if n.LastSentAt == nil || n.LastSentAt.Before(now) {
			n.LastSentAt = &now
			return tx.SaveNotification(ctx, n)
		}
		return nil
	}
	n.SentCount, n.LastSentAt = at.email.Seq, &now
	if at.email.Seq == 1 {
		n.FirstSentAt = &now
	}
	n.DueAt = s.nextDue(n)
	return tx.SaveNotification(ctx, n)
}

func (s *Service) recordFailed(ctx context.Context, tx *store.Store, at *attempt, sendErr error) error {
	msg := store.Clip(sendErr.Error(), 500)
	if err := tx.FinishEmail(ctx, at.email.ID, store.EmailFailed, mail.Code(sendErr), msg); err != nil {
		return err
	}
	detail := jsonDetail(map[string]any{"email_id": at.email.ID, "message_id": at.email.MessageID, "kind": at.email.Kind,
		"code": mail.Code(sendErr), "permanent": mail.IsPermanent(sendErr), "error": msg})
	if err := s.addEvents(ctx, tx, at, model.EventEmailFailed, detail); err != nil {
		return err
	}
	if len(at.notices) > 0 {
		if err := s.campaigns.SkipOwnerNotices(ctx, tx, at.notices, campaign.SkipEmailFailed); err != nil {
			return err
		}
	}
	if !at.auto {
		return nil
	}
	// An address that refused one email refuses the next: no more
	// reminders this episode (a new episode tries again, perhaps with an
	// address the host has corrected).
	n, err := tx.NotificationForUpdate(ctx, at.email.OwnerID, false)
	if err != nil || !n.Active || n.Episode != at.email.Episode {
		return err
	}
	n.DueAt = nil
	return tx.SaveNotification(ctx, n)
}

// addEvents puts the email on the timeline of each car it was about (the
// owner's timeline shows them all), or on the owner's alone.
func (s *Service) addEvents(ctx context.Context, tx *store.Store, at *attempt, kind model.EventKind, detail string) error {
	ownerID := at.email.OwnerID
	if len(at.vehicles) == 0 {
		return tx.AddEvent(ctx, model.Event{OwnerID: &ownerID, Kind: kind, Source: model.SourceEmail, Detail: detail})
	}
	es := make([]model.Event, len(at.vehicles))
	for i, id := range at.vehicles {
		es[i] = model.Event{OwnerID: &ownerID, VehicleID: &id, Kind: kind, Source: model.SourceEmail, Detail: detail}
	}
	return tx.AddEvents(ctx, es)
}

// SendFreshLink emails the owner a new link (web.LinkMailer). The email is
// logged and queued in tx, so it goes out exactly when the caller's change
// commits. It is sent even to an owner who unsubscribed: they asked for it.
func (s *Service) SendFreshLink(ctx context.Context, tx *store.Store, owner model.Owner, vehicleID *int64, source model.Source) error {
	if s.queue == nil {
		return errNoQueue
	}
	id := s.newMessageID()
	em, err := tx.CreateEmail(ctx, store.EmailMessage{
		MessageID: id, DedupeKey: "fresh/" + id, OwnerID: owner.ID, VehicleID: vehicleID,
		Kind: store.EmailFreshLink, Source: source,
	})
	if err != nil {
		return err
	}
	_, err = s.queue.InsertTx(ctx, tx.DB(), EmailArgs{EmailID: em.ID}, s.emailInsertOpts())
	return err
}

// Unsubscribe turns reconnect emails off for the owner of token and ends
// their episode at once. It is idempotent; first is true for the call that
// did it.
func (s *Service) Unsubscribe(ctx context.Context, token, via string) (o model.Owner, first bool, err error) {
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		o, first, err = tx.Unsubscribe(ctx, token)
		if err != nil || !first {
			return err
		}
		if err := tx.AddEvent(ctx, model.Event{OwnerID: &o.ID, Kind: model.EventUnsubscribed, Source: model.SourceOwner,
			Detail: jsonDetail(map[string]any{"via": via})}); err != nil {
			return err
		}
		return s.Unsubscribed(ctx, tx, o.ID)
	})
	return o, first, err
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newMessageID is globally unique and names our host, as RFC 5322 asks.
func (s *Service) newMessageID() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	host := "reconnect.invalid"
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "rc." + strings.ToLower(idEncoding.EncodeToString(b)) + "@" + host
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func jsonDetail(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}
