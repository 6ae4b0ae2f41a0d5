// Table email_messages: the email log, one row per email and its attempts.

package store

import (
	"context"
	"fmt"
	"time"

	"reconnect/internal/model"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Email kinds.
const (
	EmailDigest    = "digest"     // the first email of an episode
	EmailReminder  = "reminder"   // a later one
	EmailFreshLink = "fresh_link" // asked for by the owner or sent by staff
	// EmailCampaignNotice carries migration campaign notices alone; one
	// that goes with a broken car's step is that step's digest or reminder.
	EmailCampaignNotice = "campaign_notice"
)

// Email statuses.
const (
	// EmailPending: not handed to SMTP yet, or an attempt failed and will be
	// retried.
	EmailPending = "pending"
	// EmailSending: an attempt started. Left behind by a crash, it is sent
	// again by the retry (same Message-ID).
	EmailSending   = "sending"
	EmailSent      = "sent"
	EmailFailed    = "failed"    // refused for good (5xx) or retries ran out
	EmailCancelled = "cancelled" // nothing was left to say when it was due
)

// EmailMessage is one email in the log.
type EmailMessage struct {
	ID        int64
	MessageID string
	// DedupeKey names the scheduled step the email is for, so the step
	// produces one email however often it is attempted.
	DedupeKey  string
	OwnerID    int64
	VehicleID  *int64
	Kind       string
	Source     model.Source
	Episode    int
	Seq        int
	Status     string
	Attempts   int
	ToAddress  string
	Subject    string
	VehicleIDs string // comma-separated ids of the cars it was about
	ErrorCode  int
	Error      string
	SentAt     *time.Time
	// AttemptedAt is when the last SMTP attempt started.
	AttemptedAt *time.Time
	// BouncedAt is when the host's mail provider first reported a bounce
	// (BouncePermanent: one that will not go away); ComplainedAt when it
	// reported a spam complaint.
	BouncedAt       *time.Time
	BouncePermanent bool
	ComplainedAt    *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName pins the table.
func (EmailMessage) TableName() string { return "email_messages" }

// newEmail checks an email row to be written and stamps it: ErrInvalid
// without its Message-ID, dedupe key, owner or kind; pending by default.
func (s *Store) newEmail(e EmailMessage) (EmailMessage, error) {
	if e.MessageID == "" || e.DedupeKey == "" || e.OwnerID == 0 || e.Kind == "" {
		return EmailMessage{}, fmt.Errorf("store: create email: %w", ErrInvalid)
	}
	now := s.now()
	e.CreatedAt, e.UpdatedAt = now, now
	if e.Status == "" {
		e.Status = EmailPending
	}
	return e, nil
}

// CreateEmail logs an email before its first attempt. A second row for the
// same DedupeKey is refused with ErrConflict.
func (s *Store) CreateEmail(ctx context.Context, e EmailMessage) (EmailMessage, error) {
	e, err := s.newEmail(e)
	if err != nil {
		return e, err
	}
	return e, wrap(s.q(ctx).Create(&e).Error, "create email %s", e.DedupeKey)
}

// CreateEmailOnce writes the email unless one with its dedupe key exists,
// and returns the row that holds the key: in one statement when it is new
// (the usual case), two when it is not.
func (s *Store) CreateEmailOnce(ctx context.Context, e EmailMessage) (EmailMessage, error) {
	e, err := s.newEmail(e)
	if err != nil {
		return e, err
	}
	res := s.q(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).Create(&e)
	if res.Error != nil || res.RowsAffected == 1 {
		return e, wrap(res.Error, "create email %s", e.DedupeKey)
	}
	return s.EmailByDedupeKey(ctx, e.DedupeKey)
}

// EmailByDedupeKey finds the email of a scheduled step.
func (s *Store) EmailByDedupeKey(ctx context.Context, key string) (EmailMessage, error) {
	var e EmailMessage
	err := s.q(ctx).Where("dedupe_key = ?", key).Take(&e).Error
	return e, wrap(err, "email %s", key)
}

// EmailForUpdate finds an email and, on PostgreSQL, locks it until the
// transaction ends, so two workers never attempt it at once.
func (s *Store) EmailForUpdate(ctx context.Context, id int64) (EmailMessage, error) {
	var e EmailMessage
	err := s.lockRow(s.q(ctx)).Take(&e, id).Error
	return e, wrap(err, "email #%d", id)
}

// EmailByMessageID finds an email by its Message-ID.
func (s *Store) EmailByMessageID(ctx context.Context, messageID string) (EmailMessage, error) {
	var e EmailMessage
	err := s.q(ctx).Where("message_id = ?", messageID).Take(&e).Error
	return e, wrap(err, "email %s", messageID)
}

// EmailsByOwner lists an owner's emails, newest first.
func (s *Store) EmailsByOwner(ctx context.Context, ownerID int64, p Page) ([]EmailMessage, error) {
	q := s.q(ctx).Where("owner_id = ?", ownerID)
	var es []EmailMessage
	err := p.scope(q).Find(&es).Error
	return es, wrap(err, "emails of owner #%d", ownerID)
}

// ClaimEmail records that an attempt starts, with what it will say.
func (s *Store) ClaimEmail(ctx context.Context, id int64, to, subject, vehicleIDs string) error {
	err := s.q(ctx).Model(&EmailMessage{}).Where("id = ?", id).Updates(map[string]any{
		"status": EmailSending, "attempts": gorm.Expr("attempts + 1"), "to_address": to,
		"subject": subject, "vehicle_ids": vehicleIDs, "attempted_at": s.now(), "updated_at": s.now(),
	}).Error
	return wrap(err, "claim email #%d", id)
}

// FinishEmail records an attempt's outcome.
func (s *Store) FinishEmail(ctx context.Context, id int64, status string, code int, errText string) error {
	up := map[string]any{"status": status, "error_code": code, "error": errText, "updated_at": s.now()}
	if status == EmailSent {
		up["sent_at"] = s.now()
	}
	if err := s.q(ctx).Model(&EmailMessage{}).Where("id = ?", id).Updates(up).Error; err != nil {
		return wrap(err, "finish email #%d", id)
	}
	// Whether a campaign email reached its owner decides their funnel step
	// (notified or unreachable).
	return s.queueFunnel(ctx, "owner_id = (SELECT owner_id FROM email_messages WHERE id = ?)", id)
}

// EmailIDsOfOwner lists the ids of every email to the owner, for erasure
// (their send jobs name them).
func (s *Store) EmailIDsOfOwner(ctx context.Context, ownerID int64) ([]int64, error) {
	var ids []int64
	err := s.q(ctx).Model(&EmailMessage{}).Where("owner_id = ?", ownerID).Order("id").Pluck("id", &ids).Error
	return ids, wrap(err, "emails of owner #%d", ownerID)
}

// ClearEmailContentBatch clears the address, subject and SMTP reply of at
// most batch finished emails created before before, oldest first; the rows,
// with their status, stay for counts and for the links and unsubscribe
// tokens that name them. One statement, one short transaction.
func (s *Store) ClearEmailContentBatch(ctx context.Context, before time.Time, batch int) (int64, error) {
	res := s.q(ctx).Exec(`UPDATE email_messages SET to_address = '', subject = '', error = '' WHERE id IN (
		SELECT id FROM email_messages WHERE created_at < ? AND status NOT IN (?, ?)
		AND (to_address <> '' OR subject <> '' OR error <> '') ORDER BY id LIMIT ?)`,
		before, EmailPending, EmailSending, batch)
	return res.RowsAffected, wrap(res.Error, "clear old emails")
}

// RecordBounce notes a bounce the mail provider reported for the email:
// the first report's time stays, and a permanent one stays permanent. news
// is false when the email already had this report (a repeat changes
// nothing).
func (s *Store) RecordBounce(ctx context.Context, id int64, permanent bool) (news bool, err error) {
	res := s.q(ctx).Exec(`UPDATE email_messages SET bounced_at = COALESCE(bounced_at, ?), bounce_permanent = ?, updated_at = ?
		WHERE id = ? AND (bounced_at IS NULL OR (? AND NOT bounce_permanent))`, s.now(), permanent, s.now(), id, permanent)
	if res.Error != nil || res.RowsAffected != 1 {
		return false, wrap(res.Error, "bounce of email #%d", id)
	}
	if permanent {
		// A bounce for good can make the owner's cars unreachable in a
		// campaign's funnel: their counts are taken again.
		var owner int64
		if err := s.q(ctx).Raw(`SELECT owner_id FROM email_messages WHERE id = ?`, id).Scan(&owner).Error; err != nil {
			return true, wrap(err, "owner of email #%d", id)
		}
		return true, s.MarkOwnerFunnelDirty(ctx, owner)
	}
	return true, nil
}

// RecordComplaint notes a spam complaint about the email; news is false
// when one was already noted.
func (s *Store) RecordComplaint(ctx context.Context, id int64) (news bool, err error) {
	res := s.q(ctx).Exec(`UPDATE email_messages SET complained_at = ?, updated_at = ? WHERE id = ? AND complained_at IS NULL`, s.now(), s.now(), id)
	return res.RowsAffected == 1, wrap(res.Error, "complaint about email #%d", id)
}
