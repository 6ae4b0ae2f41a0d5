package notify

import (
	"context"
	"errors"
	"strings"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// ErrUnknownMessage: no email we sent has the Message-ID a report names.
var ErrUnknownMessage = errors.New("notify: no email has this Message-ID")

// MailReport is one report from the host's mail provider about an email
// we sent, named by the Message-ID we gave it (with or without its angle
// brackets).
type MailReport struct {
	MessageID string
	Kind      model.MailReport
	// Permanent marks a bounce that will not go away (a hard bounce).
	Permanent bool
}

// MailReportResult says what a report changed: New is false for a report
// already recorded (repeats change nothing); Unsubscribed is true when a
// complaint turned the owner's emails off just now.
type MailReportResult struct {
	Email        store.EmailMessage
	New          bool
	Unsubscribed bool
}

// Report records what the mail provider said about an email, once:
//
//   - a bounce is noted on the email; a permanent one counts the email as
//     failed for good, so a campaign's funnel counts its owner unreachable
//     unless another email reached them, and a broken car's reminders
//     stop for this episode (as after a refusal at sending);
//   - a complaint is noted and unsubscribes the owner: they asked not to
//     hear from us, in the bluntest way there is.
//
// Either way the campaigns whose notices the email carried check their
// last wave (and may pause themselves) in the same transaction.
// ErrUnknownMessage when no email has the Message-ID.
func (s *Service) Report(ctx context.Context, r MailReport) (MailReportResult, error) {
	var out MailReportResult
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(r.MessageID), "<"), ">")
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		out = MailReportResult{}
		em, err := tx.EmailByMessageID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrUnknownMessage
		}
		if err != nil {
			return err
		}
		switch r.Kind {
		case model.MailBounce:
			if out.New, err = tx.RecordBounce(ctx, em.ID, r.Permanent); err != nil || !out.New {
				return err
			}
			if r.Permanent {
				if err := s.stopEpisodeOf(ctx, tx, em); err != nil {
					return err
				}
			}
		case model.MailComplaint:
			if out.New, err = tx.RecordComplaint(ctx, em.ID); err != nil || !out.New {
				return err
			}
			if out.Unsubscribed, err = tx.UnsubscribeOwner(ctx, em.OwnerID); err != nil {
				return err
			}
			if out.Unsubscribed {
				if err := tx.AddEvent(ctx, model.Event{OwnerID: &em.OwnerID, Kind: model.EventUnsubscribed, Source: model.SourceEmail,
					Detail: jsonDetail(map[string]any{"via": "spam_complaint", "message_id": em.MessageID})}); err != nil {
					return err
				}
				if err := s.Unsubscribed(ctx, tx, em.OwnerID); err != nil {
					return err
				}
			}
		default:
			return errors.New("notify: unknown mail report " + string(r.Kind))
		}
		if s.campaigns != nil {
			if err := s.campaigns.EmailReported(ctx, tx, em.MessageID); err != nil {
				return err
			}
		}
		out.Email, err = tx.EmailByMessageID(ctx, id)
		return err
	})
	return out, err
}

// stopEpisodeOf ends the reminders of the episode a hard-bounced breakage
// email belonged to: the address will refuse the next one too.
func (s *Service) stopEpisodeOf(ctx context.Context, tx *store.Store, em store.EmailMessage) error {
	if em.Kind != store.EmailDigest && em.Kind != store.EmailReminder {
		return nil
	}
	n, err := tx.NotificationForUpdate(ctx, em.OwnerID, false)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || !n.Active || n.Episode != em.Episode {
		return err
	}
	n.DueAt = nil
	return tx.SaveNotification(ctx, n)
}
