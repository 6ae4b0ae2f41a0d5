// Table unsubscribe_tokens: the one-click unsubscribe links in emails.

package store

import (
	"context"
	"fmt"
	"time"

	"reconnect/internal/model"
)

type unsubscribeToken struct {
	ID        int64
	TokenHash string
	OwnerID   int64
	EmailID   *int64
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (unsubscribeToken) TableName() string { return "unsubscribe_tokens" }

// NewUnsubscribeToken makes an unsubscribe token for an email and returns
// it; only its hash is kept.
func (s *Store) NewUnsubscribeToken(ctx context.Context, ownerID int64, emailID *int64) (string, error) {
	token := NewSecret("")
	err := s.q(ctx).Create(&unsubscribeToken{TokenHash: HashSecret(token), OwnerID: ownerID, EmailID: emailID, CreatedAt: s.now()}).Error
	return token, wrap(err, "create unsubscribe token")
}

// OwnerByUnsubscribeToken finds the owner an unsubscribe token belongs to.
func (s *Store) OwnerByUnsubscribeToken(ctx context.Context, token string) (model.Owner, error) {
	if len(token) < 32 || len(token) > 128 {
		return model.Owner{}, fmt.Errorf("store: unsubscribe token: %w", ErrNotFound)
	}
	var ut unsubscribeToken
	if err := s.q(ctx).Where("token_hash = ?", HashSecret(token)).Take(&ut).Error; err != nil {
		return model.Owner{}, wrap(err, "unsubscribe token")
	}
	return s.OwnerByID(ctx, ut.OwnerID)
}

// Unsubscribe turns reconnect emails off for the token's owner. It is
// idempotent: first reports whether this call did it, and a repeated call
// changes nothing.
func (s *Store) Unsubscribe(ctx context.Context, token string) (o model.Owner, first bool, err error) {
	o, err = s.OwnerByUnsubscribeToken(ctx, token)
	if err != nil {
		return o, false, err
	}
	now := s.now()
	first, err = s.unsubscribeOwner(ctx, o.ID, now)
	if err != nil {
		return o, false, err
	}
	if err := s.q(ctx).Model(&unsubscribeToken{}).Where("token_hash = ? AND used_at IS NULL", HashSecret(token)).
		Update("used_at", now).Error; err != nil {
		return o, false, wrap(err, "use unsubscribe token")
	}
	if first {
		o.UnsubscribedAt = &now
		return o, true, nil
	}
	o, err = s.OwnerByID(ctx, o.ID)
	return o, false, err
}
