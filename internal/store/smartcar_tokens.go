package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// SmartcarToken is a v2 token pair of one Smartcar user, sealed at rest: the
// columns hold ciphertext, never a usable token.
type SmartcarToken struct {
	ID               int64
	SmartcarUserID   string
	OwnerID          *int64
	AccessToken      string
	RefreshToken     string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// SaveToken stores the newest pair for the user, replacing the old one at
// once: Smartcar kills the old refresh token minutes after a refresh.
func (s *Store) SaveToken(ctx context.Context, t SmartcarToken) error {
	now := s.now()
	t.CreatedAt, t.UpdatedAt = now, now
	err := s.q(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "smartcar_user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"owner_id", "access_token", "refresh_token", "access_expires_at", "refresh_expires_at", "updated_at"}),
	}).Create(&t).Error
	return wrap(err, "save token")
}

// TokenByUser finds the sealed pair of a Smartcar user.
func (s *Store) TokenByUser(ctx context.Context, smartcarUserID string) (SmartcarToken, error) {
	var t SmartcarToken
	err := s.q(ctx).Where("smartcar_user_id = ?", smartcarUserID).Take(&t).Error
	return t, wrap(err, "token of %s", smartcarUserID)
}

// TokensExpiringBefore lists pairs whose refresh token dies before t.
func (s *Store) TokensExpiringBefore(ctx context.Context, t time.Time, limit int) ([]SmartcarToken, error) {
	var ts []SmartcarToken
	err := s.q(ctx).Where("refresh_expires_at < ?", t).Order("refresh_expires_at").Limit(limit).Find(&ts).Error
	return ts, wrap(err, "expiring tokens")
}
