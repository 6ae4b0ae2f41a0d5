package store

import (
	"context"
	"fmt"
	"strings"

	"reconnect/internal/model"

	"gorm.io/gorm/clause"
)

// OwnerInput is what the host app tells us about an owner.
type OwnerInput struct {
	HostUserID string
	Email      string
	Name       string
	Locale     string
	TimeZone   string
}

// UpsertOwner creates the owner or updates its details, keyed by host user id.
func (s *Store) UpsertOwner(ctx context.Context, in OwnerInput) (model.Owner, error) {
	if strings.TrimSpace(in.HostUserID) == "" {
		return model.Owner{}, fmt.Errorf("store: upsert owner: host user id: %w", ErrInvalid)
	}
	now := s.now()
	o := model.Owner{
		HostUserID: in.HostUserID, Email: strings.ToLower(strings.TrimSpace(in.Email)), Name: in.Name,
		Locale: in.Locale, TimeZone: in.TimeZone, CreatedAt: now, UpdatedAt: now,
	}
	err := s.q(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "host_user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"email", "name", "locale", "time_zone", "updated_at"}),
	}).Create(&o).Error
	if err != nil {
		return model.Owner{}, wrap(err, "upsert owner %s", in.HostUserID)
	}
	return s.OwnerByHostID(ctx, in.HostUserID)
}

// OwnerByHostID finds an owner by the host app's user id.
func (s *Store) OwnerByHostID(ctx context.Context, hostUserID string) (model.Owner, error) {
	var o model.Owner
	err := s.q(ctx).Where("host_user_id = ?", hostUserID).Take(&o).Error
	return o, wrap(err, "owner %s", hostUserID)
}

// OwnerByEmail finds the owner with that address (case-insensitive).
func (s *Store) OwnerByEmail(ctx context.Context, email string) (model.Owner, error) {
	var o model.Owner
	err := s.q(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Order("id").Take(&o).Error
	return o, wrap(err, "owner by email")
}
