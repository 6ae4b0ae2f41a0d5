// Table owners: the host app's users whose vehicles we watch.

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

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
	// Phone is E.164 ("+4930123456") or empty; the caller checks it.
	Phone string
}

// UpsertOwner creates the owner or updates its details, keyed by host user id.
func (s *Store) UpsertOwner(ctx context.Context, in OwnerInput) (model.Owner, error) {
	if strings.TrimSpace(in.HostUserID) == "" {
		return model.Owner{}, fmt.Errorf("store: upsert owner: host user id: %w", ErrInvalid)
	}
	now := s.now()
	o := model.Owner{
		HostUserID: in.HostUserID, AuditID: newAuditID(), Email: normalizeEmail(in.Email), Name: in.Name,
		Locale: in.Locale, TimeZone: in.TimeZone, Phone: in.Phone, CreatedAt: now, UpdatedAt: now,
	}
	err := s.q(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "host_user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"email", "name", "locale", "time_zone", "phone", "updated_at"}),
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

// The owner's page reads one owner and their vehicles on every view, so
// OwnerByID and queryVehicles (vehicles.go) scan by hand: GORM's
// reflection-based scan was the largest single cost of the page.
const ownerColumns = "id, host_user_id, audit_id, email, name, locale, time_zone, phone, unsubscribed_at, created_at, updated_at"

func scanOwner(r scanner) (model.Owner, error) {
	var o model.Owner
	var unsub sql.NullTime
	err := r.Scan(&o.ID, &o.HostUserID, &o.AuditID, &o.Email, &o.Name, &o.Locale, &o.TimeZone, &o.Phone, &unsub, &o.CreatedAt, &o.UpdatedAt)
	o.UnsubscribedAt = nullTime(unsub)
	return o, err
}

// OwnerByID finds an owner by our id.
func (s *Store) OwnerByID(ctx context.Context, id int64) (model.Owner, error) {
	rows, err := s.q(ctx).Raw("SELECT "+ownerColumns+" FROM owners WHERE id = ?", id).Rows()
	if err != nil {
		return model.Owner{}, wrap(err, "owner #%d", id)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return model.Owner{}, wrap(err, "owner #%d", id)
		}
		return model.Owner{}, wrap(sql.ErrNoRows, "owner #%d", id)
	}
	o, err := scanOwner(rows)
	return o, wrap(err, "owner #%d", id)
}

// unsubscribeOwner turns the owner's emails off as of now; false when they
// were off already (nothing is written then).
func (s *Store) unsubscribeOwner(ctx context.Context, id int64, now time.Time) (bool, error) {
	res := s.q(ctx).Model(&model.Owner{}).Where("id = ? AND unsubscribed_at IS NULL", id).
		Updates(map[string]any{"unsubscribed_at": now, "updated_at": now})
	if res.Error != nil {
		return false, wrap(res.Error, "unsubscribe owner #%d", id)
	}
	return res.RowsAffected == 1, nil
}

// UnsubscribeOwner turns the owner's emails off as of now (a spam
// complaint, say); false when they were off already.
func (s *Store) UnsubscribeOwner(ctx context.Context, id int64) (bool, error) {
	return s.unsubscribeOwner(ctx, id, s.now())
}

// OwnerByEmail finds the owner with that address (case-insensitive).
func (s *Store) OwnerByEmail(ctx context.Context, email string) (model.Owner, error) {
	var o model.Owner
	err := s.q(ctx).Where("email = ?", normalizeEmail(email)).Order("id").Take(&o).Error
	return o, wrap(err, "owner by email")
}

// OwnerIDsByHostIDs maps host user ids to owner ids, for the ones that exist.
func (s *Store) OwnerIDsByHostIDs(ctx context.Context, hostIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(hostIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ID         int64
		HostUserID string
	}
	err := s.q(ctx).Model(&model.Owner{}).Select("id, host_user_id").Where("host_user_id IN ?", hostIDs).Scan(&rows).Error
	for _, r := range rows {
		out[r.HostUserID] = r.ID
	}
	return out, wrap(err, "owners by host ids")
}
