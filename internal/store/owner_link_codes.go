// Table owner_link_codes: the short codes read out over the phone, each
// opening one owner link.

package store

import (
	"context"
	"fmt"
	"time"
)

// LinkCode is a short code for an owner link. Only the code's hash is kept.
type LinkCode struct {
	ID        int64
	LinkID    int64
	CodeHash  string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// TableName pins the table.
func (LinkCode) TableName() string { return "owner_link_codes" }

// CreateLinkCode stores a code; the caller holds the only copy of it.
func (s *Store) CreateLinkCode(ctx context.Context, c LinkCode) (LinkCode, error) {
	if c.CodeHash == "" || c.LinkID == 0 || c.ExpiresAt.IsZero() {
		return LinkCode{}, fmt.Errorf("store: create link code: %w", ErrInvalid)
	}
	c.ID, c.UsedAt, c.CreatedAt = 0, nil, s.now()
	return c, wrap(s.q(ctx).Create(&c).Error, "create link code")
}

// LinkCodeByHash finds a code, whatever its state; ErrNotFound for none.
func (s *Store) LinkCodeByHash(ctx context.Context, hash string) (LinkCode, error) {
	var c LinkCode
	err := s.q(ctx).Where("code_hash = ?", hash).Take(&c).Error
	return c, wrap(err, "link code")
}

// UseLinkCode marks a code used. It succeeds once, even under concurrent
// requests: the update is conditional on the code being unused and alive.
func (s *Store) UseLinkCode(ctx context.Context, id int64) (bool, error) {
	now := s.now()
	res := s.q(ctx).Model(&LinkCode{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", id, now).Update("used_at", now)
	if res.Error != nil {
		return false, wrap(res.Error, "use link code #%d", id)
	}
	return res.RowsAffected == 1, nil
}
