// Table impersonations: staff viewing an owner's pages as the owner.

package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"reconnect/internal/model"
)

// Why an impersonation ended.
const (
	EndedByExit    = "exit"
	EndedByExpiry  = "expired"
	EndedByLogout  = "logout"
	EndedByReplace = "replaced" // the staff member started viewing as someone else
)

// Impersonation is a staff member viewing an owner's pages as the owner,
// read-only, for a stated reason and a limited time.
type Impersonation struct {
	ID        int64
	SessionID *int64
	StaffID   int64
	OwnerID   int64
	Reason    string
	StartedAt time.Time
	ExpiresAt time.Time
	EndedAt   *time.Time
	EndReason string
}

// Active reports whether the impersonation is still in force at t.
func (im Impersonation) Active(t time.Time) bool { return im.EndedAt == nil && t.Before(im.ExpiresAt) }

// CreateImpersonation starts one.
func (s *Store) CreateImpersonation(ctx context.Context, im Impersonation) (Impersonation, error) {
	if strings.TrimSpace(im.Reason) == "" || im.OwnerID == 0 || im.StaffID == 0 {
		return Impersonation{}, fmt.Errorf("store: create impersonation: %w", ErrInvalid)
	}
	if im.StartedAt.IsZero() {
		im.StartedAt = s.now()
	}
	return im, wrap(s.q(ctx).Create(&im).Error, "create impersonation")
}

// OpenImpersonation is the newest impersonation of a console session that
// has not been ended (it may have run out of time).
func (s *Store) OpenImpersonation(ctx context.Context, sessionID int64) (Impersonation, error) {
	var im Impersonation
	err := s.q(ctx).Where("session_id = ? AND ended_at IS NULL", sessionID).Order("id DESC").Take(&im).Error
	return im, wrap(err, "open impersonation of session #%d", sessionID)
}

// EndImpersonation ends it at `at` and reports whether this call ended it,
// so that exactly one caller writes the audit entry.
func (s *Store) EndImpersonation(ctx context.Context, id int64, at time.Time, reason string) (bool, error) {
	res := s.q(ctx).Model(&Impersonation{}).Where("id = ? AND ended_at IS NULL", id).
		Updates(map[string]any{"ended_at": at, "end_reason": reason})
	return res.RowsAffected > 0, wrap(res.Error, "end impersonation #%d", id)
}

// ExpiredImpersonations lists impersonations whose time ran out but which
// nobody has ended yet.
func (s *Store) ExpiredImpersonations(ctx context.Context, limit int) ([]Impersonation, error) {
	var out []Impersonation
	err := s.q(ctx).Where("ended_at IS NULL AND expires_at <= ?", s.now()).Order("id").Limit(limit).Find(&out).Error
	return out, wrap(err, "expired impersonations")
}

// ActiveImpersonation is an impersonation in force with the names the
// dashboard shows.
type ActiveImpersonation struct {
	Impersonation
	StaffEmail string
	Owner      model.Owner
}

// ActiveImpersonations lists those in force now, newest first, with their
// staff member and owner, in one query.
func (s *Store) ActiveImpersonations(ctx context.Context, limit int) ([]ActiveImpersonation, error) {
	var rows []struct {
		Impersonation
		StaffEmail                             string
		OwnerHostUserID, OwnerEmail, OwnerName string
	}
	err := s.q(ctx).Table("impersonations AS i").
		Select("i.*, s.email AS staff_email, o.host_user_id AS owner_host_user_id, o.email AS owner_email, o.name AS owner_name").
		Joins("JOIN staff s ON s.id = i.staff_id").Joins("JOIN owners o ON o.id = i.owner_id").
		Where("i.ended_at IS NULL AND i.expires_at > ?", s.now()).Order("i.id DESC").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, wrap(err, "active impersonations")
	}
	out := make([]ActiveImpersonation, 0, len(rows))
	for _, r := range rows {
		out = append(out, ActiveImpersonation{Impersonation: r.Impersonation, StaffEmail: r.StaffEmail,
			Owner: model.Owner{ID: r.OwnerID, HostUserID: r.OwnerHostUserID, Email: r.OwnerEmail, Name: r.OwnerName}})
	}
	return out, nil
}
