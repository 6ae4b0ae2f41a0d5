// Table smartcar_tokens: sealed Smartcar token pairs and their refresh.

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

// TokensDueForRefresh lists pairs whose refresh token dies before t, soonest
// first, leaving out those whose refresh failed for good unless the pair was
// replaced since (a new Connect stores a new pair and moves updated_at).
func (s *Store) TokensDueForRefresh(ctx context.Context, t time.Time, limit int) ([]SmartcarToken, error) {
	var ts []SmartcarToken
	err := s.q(ctx).Where("refresh_expires_at < ? AND (refresh_failed_at IS NULL OR refresh_failed_at < updated_at)", t).
		Order("refresh_expires_at").Limit(limit).Find(&ts).Error
	return ts, wrap(err, "tokens due for refresh")
}

// ReplaceRefreshedToken stores the pair a refresh returned, unless the row no
// longer holds the refresh token that was used: then someone stored a newer
// pair meanwhile, and it wins. replaced reports which happened.
func (s *Store) ReplaceRefreshedToken(ctx context.Context, id int64, usedRefresh string, t SmartcarToken) (replaced bool, err error) {
	res := s.q(ctx).Model(&SmartcarToken{}).Where("id = ? AND refresh_token = ?", id, usedRefresh).Updates(map[string]any{
		"access_token": t.AccessToken, "refresh_token": t.RefreshToken,
		"access_expires_at": t.AccessExpiresAt, "refresh_expires_at": t.RefreshExpiresAt,
		"refresh_failed_at": nil, "refresh_error": "", "updated_at": s.now(),
	})
	return res.RowsAffected == 1, wrap(res.Error, "replace refreshed token #%d", id)
}

// MarkRefreshFailed records that a pair cannot be refreshed any more.
func (s *Store) MarkRefreshFailed(ctx context.Context, id int64, reason string) error {
	// UpdateColumns, because Updates would also move updated_at, which
	// marks a replaced pair.
	err := s.q(ctx).Model(&SmartcarToken{}).Where("id = ?", id).
		UpdateColumns(map[string]any{"refresh_failed_at": s.now(), "refresh_error": reason}).Error
	return wrap(err, "mark refresh failed on token #%d", id)
}
