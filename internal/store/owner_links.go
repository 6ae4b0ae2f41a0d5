// Table owner_links: the signed links that let an owner in.

package store

import (
	"context"
	"fmt"
	"time"

	"reconnect/internal/model"

	"gorm.io/gorm"
)

// OwnerLink is a signed way in for an owner. Only the token's hash is kept.
type OwnerLink struct {
	ID        int64
	TokenHash string
	OwnerID   int64
	VehicleID *int64
	Purpose   model.LinkPurpose
	ReturnURL string
	// Source says who minted it (api, email, staff, cli) and SourceRef which
	// email or campaign, so a completion can be attributed.
	Source    model.Source
	SourceRef string
	ExpiresAt time.Time
	UsedAt    *time.Time
	OpenedAt  *time.Time
	CreatedAt time.Time
}

// CreateLink stores a link; the caller holds the only copy of the token.
func (s *Store) CreateLink(ctx context.Context, l OwnerLink) (OwnerLink, error) {
	if l.TokenHash == "" || l.OwnerID == 0 || !l.Purpose.Valid() {
		return OwnerLink{}, fmt.Errorf("store: create link: %w", ErrInvalid)
	}
	l.CreatedAt = s.now()
	return l, wrap(s.q(ctx).Create(&l).Error, "create link")
}

// LinkByTokenHash finds a link, whatever its state.
func (s *Store) LinkByTokenHash(ctx context.Context, hash string) (OwnerLink, error) {
	var l OwnerLink
	err := s.q(ctx).Where("token_hash = ?", hash).Take(&l).Error
	return l, wrap(err, "link")
}

// LinkByID finds a link by id.
func (s *Store) LinkByID(ctx context.Context, id int64) (OwnerLink, error) {
	var l OwnerLink
	err := s.q(ctx).Take(&l, id).Error
	return l, wrap(err, "link #%d", id)
}

// UseLink marks a link used. For single-use links it succeeds only once,
// even under concurrent requests: the update is conditional.
func (s *Store) UseLink(ctx context.Context, id int64, singleUse bool) (bool, error) {
	now := s.now()
	q := s.q(ctx).Model(&OwnerLink{}).Where("id = ?", id)
	if singleUse {
		q = q.Where("used_at IS NULL")
	}
	res := q.Updates(map[string]any{"used_at": now, "opened_at": gorm.Expr("COALESCE(opened_at, ?)", now)})
	if res.Error != nil {
		return false, wrap(res.Error, "use link #%d", id)
	}
	return res.RowsAffected == 1, nil
}

// MarkLinkViewed records the first time a link's landing page was shown.
func (s *Store) MarkLinkViewed(ctx context.Context, id int64) error {
	return wrap(s.q(ctx).Model(&OwnerLink{}).Where("id = ? AND opened_at IS NULL", id).Update("opened_at", s.now()).Error, "view link")
}
