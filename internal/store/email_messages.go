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
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TableName pins the table.
func (EmailMessage) TableName() string { return "email_messages" }

// CreateEmail logs an email before its first attempt. A second row for the
// same DedupeKey is refused with ErrConflict.
func (s *Store) CreateEmail(ctx context.Context, e EmailMessage) (EmailMessage, error) {
	if e.MessageID == "" || e.DedupeKey == "" || e.OwnerID == 0 || e.Kind == "" {
		return EmailMessage{}, fmt.Errorf("store: create email: %w", ErrInvalid)
	}
	now := s.now()
	e.CreatedAt, e.UpdatedAt = now, now
	if e.Status == "" {
		e.Status = EmailPending
	}
	return e, wrap(s.q(ctx).Create(&e).Error, "create email %s", e.DedupeKey)
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
	if p.Before > 0 {
		q = q.Where("id < ?", p.Before)
	}
	var es []EmailMessage
	err := q.Order("id DESC").Limit(p.limit()).Find(&es).Error
	return es, wrap(err, "emails of owner #%d", ownerID)
}

// ClaimEmail records that an attempt starts, with what it will say.
func (s *Store) ClaimEmail(ctx context.Context, id int64, to, subject, vehicleIDs string) error {
	err := s.q(ctx).Model(&EmailMessage{}).Where("id = ?", id).Updates(map[string]any{
		"status": EmailSending, "attempts": gorm.Expr("attempts + 1"), "to_address": to,
		"subject": subject, "vehicle_ids": vehicleIDs, "updated_at": s.now(),
	}).Error
	return wrap(err, "claim email #%d", id)
}

// FinishEmail records an attempt's outcome.
func (s *Store) FinishEmail(ctx context.Context, id int64, status string, code int, errText string) error {
	up := map[string]any{"status": status, "error_code": code, "error": errText, "updated_at": s.now()}
	if status == EmailSent {
		up["sent_at"] = s.now()
	}
	return wrap(s.q(ctx).Model(&EmailMessage{}).Where("id = ?", id).Updates(up).Error, "finish email #%d", id)
}

// OwnerNotification is an owner's reminder schedule.
type OwnerNotification struct {
	OwnerID     int64 `gorm:"primaryKey;autoIncrement:false"`
	Episode     int
	Active      bool
	StartedAt   *time.Time
	DueAt       *time.Time
	SentCount   int
	FirstSentAt *time.Time
	LastSentAt  *time.Time
	UpdatedAt   time.Time
}

// TableName pins the table.
func (OwnerNotification) TableName() string { return "owner_notifications" }

func (s *Store) lockRow(q *gorm.DB) *gorm.DB {
	if s.dialect == "postgres" {
		return q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	// SQLite transactions take the write lock when they begin.
	return q
}

// NotificationForUpdate reads an owner's schedule and locks it until the
// transaction ends. With create, a missing schedule is made (inactive);
// without, a missing one is ErrNotFound.
func (s *Store) NotificationForUpdate(ctx context.Context, ownerID int64, create bool) (OwnerNotification, error) {
	if create {
		err := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).
			Create(&OwnerNotification{OwnerID: ownerID, UpdatedAt: s.now()}).Error
		if err != nil {
			return OwnerNotification{}, wrap(err, "create schedule of owner #%d", ownerID)
		}
	}
	var n OwnerNotification
	err := s.lockRow(s.q(ctx)).Where("owner_id = ?", ownerID).Take(&n).Error
	return n, wrap(err, "schedule of owner #%d", ownerID)
}

// SaveNotification writes every field of a schedule.
func (s *Store) SaveNotification(ctx context.Context, n OwnerNotification) error {
	n.UpdatedAt = s.now()
	err := s.q(ctx).Model(&OwnerNotification{}).Where("owner_id = ?", n.OwnerID).Select("*").Updates(&n).Error
	return wrap(err, "save schedule of owner #%d", n.OwnerID)
}

// NotificationOf reads an owner's schedule without locking it.
func (s *Store) NotificationOf(ctx context.Context, ownerID int64) (OwnerNotification, error) {
	var n OwnerNotification
	err := s.q(ctx).Where("owner_id = ?", ownerID).Take(&n).Error
	return n, wrap(err, "schedule of owner #%d", ownerID)
}

// DueNotifications lists schedules due at or before t, oldest first, after
// the (due, owner) cursor.
func (s *Store) DueNotifications(ctx context.Context, t time.Time, afterDue time.Time, afterOwner int64, limit int) ([]OwnerNotification, error) {
	var ns []OwnerNotification
	err := s.q(ctx).Where("due_at IS NOT NULL AND due_at <= ?", t).
		Where("(due_at > ? OR (due_at = ? AND owner_id > ?))", afterDue, afterDue, afterOwner).
		Order("due_at").Order("owner_id").Limit(limit).Find(&ns).Error
	return ns, wrap(err, "due schedules")
}

// CountNeedingOwner counts an owner's vehicles that need them.
func (s *Store) CountNeedingOwner(ctx context.Context, ownerID int64) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&model.Vehicle{}).Where("owner_id = ? AND state IN ?", ownerID,
		[]model.State{model.StateNeedsReauth, model.StateNeedsOEMAction, model.StateNeedsVirtualKey, model.StateReconnecting}).Count(&n).Error
	return n, wrap(err, "count vehicles needing owner #%d", ownerID)
}

type unsubscribeToken struct {
	ID        int64
	TokenHash string
	OwnerID   int64
	EmailID   *int64
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (unsubscribeToken) TableName() string { return "unsubscribe_tokens" }

// NewUnsubscribeToken makes an unsubscribe token for an email and returns
// it; only its hash is kept.
func (s *Store) NewUnsubscribeToken(ctx context.Context, ownerID int64, emailID *int64) (string, error) {
	token := NewSecret("")
	err := s.q(ctx).Create(&unsubscribeToken{TokenHash: HashSecret(token), OwnerID: ownerID, EmailID: emailID, CreatedAt: s.now()}).Error
	return token, wrap(err, "create unsubscribe token")
}

// OwnerByUnsubscribeToken finds the owner an unsubscribe token belongs to.
func (s *Store) OwnerByUnsubscribeToken(ctx context.Context, token string) (model.Owner, error) {
	if len(token) < 32 || len(token) > 128 {
		return model.Owner{}, fmt.Errorf("store: unsubscribe token: %w", ErrNotFound)
	}
	var ut unsubscribeToken
	if err := s.q(ctx).Where("token_hash = ?", HashSecret(token)).Take(&ut).Error; err != nil {
		return model.Owner{}, wrap(err, "unsubscribe token")
	}
	return s.OwnerByID(ctx, ut.OwnerID)
}

// Unsubscribe turns reconnect emails off for the token's owner. It is
// idempotent: first reports whether this call did it, and a repeated call
// changes nothing.
func (s *Store) Unsubscribe(ctx context.Context, token string) (o model.Owner, first bool, err error) {
	o, err = s.OwnerByUnsubscribeToken(ctx, token)
	if err != nil {
		return o, false, err
	}
	now := s.now()
	res := s.q(ctx).Model(&model.Owner{}).Where("id = ? AND unsubscribed_at IS NULL", o.ID).
		Updates(map[string]any{"unsubscribed_at": now, "updated_at": now})
	if res.Error != nil {
		return o, false, wrap(res.Error, "unsubscribe owner #%d", o.ID)
	}
	if err := s.q(ctx).Model(&unsubscribeToken{}).Where("token_hash = ? AND used_at IS NULL", HashSecret(token)).
		Update("used_at", now).Error; err != nil {
		return o, false, wrap(err, "use unsubscribe token")
	}
	if res.RowsAffected == 1 {
		o.UnsubscribedAt = &now
		return o, true, nil
	}
	o, err = s.OwnerByID(ctx, o.ID)
	return o, false, err
}
