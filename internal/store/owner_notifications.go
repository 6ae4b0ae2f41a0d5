// Table owner_notifications: each owner's reminder schedule.

package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
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
