package store

import (
	"context"
	"time"

	"reconnect/internal/model"
)

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

// VehiclesOfSmartcarUser lists the vehicles connected through one Smartcar user.
func (s *Store) VehiclesOfSmartcarUser(ctx context.Context, userID string) ([]model.Vehicle, error) {
	var vs []model.Vehicle
	err := s.q(ctx).Where("smartcar_user_id = ?", userID).Order("id").Find(&vs).Error
	return vs, wrap(err, "vehicles of smartcar user")
}

// VehiclesDueForHealthCheck lists vehicles not checked since before, never
// checked first. Declined vehicles are the owner's decision and reconnecting
// ones are mid-repair, so neither is probed.
func (s *Store) VehiclesDueForHealthCheck(ctx context.Context, before time.Time, limit int) ([]model.Vehicle, error) {
	var vs []model.Vehicle
	err := s.q(ctx).Where("state NOT IN ? AND smartcar_user_id <> '' AND (last_health_check_at IS NULL OR last_health_check_at < ?)",
		[]model.State{model.StateDeclined, model.StateReconnecting}, before).
		Order("CASE WHEN last_health_check_at IS NULL THEN 0 ELSE 1 END").Order("last_health_check_at").Order("id").
		Limit(limit).Find(&vs).Error
	return vs, wrap(err, "vehicles due for health check")
}

// MarkHealthChecked records when a vehicle was last probed.
func (s *Store) MarkHealthChecked(ctx context.Context, vehicleID int64) error {
	err := s.q(ctx).Model(&model.Vehicle{}).Where("id = ?", vehicleID).Update("last_health_check_at", s.now()).Error
	return wrap(err, "mark vehicle #%d checked", vehicleID)
}
