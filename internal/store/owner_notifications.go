// Table owner_notifications: each owner's reminder schedule.

package store

import (
	"context"
	"time"
)

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

// NotificationForUpdate reads an owner's schedule and locks it until the
// transaction ends. With create, a missing schedule is made (inactive);
// without, a missing one is ErrNotFound.
func (s *Store) NotificationForUpdate(ctx context.Context, ownerID int64, create bool) (OwnerNotification, error) {
	var n OwnerNotification
	if create {
		// One statement: the upsert's update locks an existing row on
		// PostgreSQL as FOR UPDATE would (SQLite's write transaction holds
		// the whole database already).
		err := s.q(ctx).Raw(`INSERT INTO owner_notifications (owner_id, updated_at) VALUES (?, ?)
			ON CONFLICT (owner_id) DO UPDATE SET owner_id = excluded.owner_id RETURNING *`, ownerID, s.now()).Scan(&n).Error
		if err == nil && n.OwnerID == 0 {
			err = ErrNotFound
		}
		return n, wrap(err, "create schedule of owner #%d", ownerID)
	}
	err := s.lockRow(s.q(ctx)).Where("owner_id = ?", ownerID).Take(&n).Error
	return n, wrap(err, "schedule of owner #%d", ownerID)
}

// SaveNotification writes every field of a schedule.
func (s *Store) SaveNotification(ctx context.Context, n OwnerNotification) error {
	n.UpdatedAt = s.now()
	err := s.q(ctx).Model(&OwnerNotification{}).Where("owner_id = ?", n.OwnerID).Select("*").Updates(&n).Error
	return wrap(err, "save schedule of owner #%d", n.OwnerID)
}

// NoteEmailSent records that an email went to the owner at `at` (the
// minimum interval between emails counts from it), making the schedule row
// if there is none, in one statement.
func (s *Store) NoteEmailSent(ctx context.Context, ownerID int64, at time.Time) error {
	now := s.now()
	err := s.q(ctx).Exec(`INSERT INTO owner_notifications (owner_id, last_sent_at, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (owner_id) DO UPDATE SET last_sent_at = excluded.last_sent_at, updated_at = excluded.updated_at`,
		ownerID, at, now).Error
	return wrap(err, "note email sent to owner #%d", ownerID)
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
