// Table api_keys: the keys host app backends call the API with.

package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// APIKey authenticates a host app backend. Only a hash of the key is kept.
type APIKey struct {
	ID         int64
	Name       string
	Prefix     string
	KeyHash    string
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

// CreateAPIKey makes a key and returns it in full, the only time it is seen.
func (s *Store) CreateAPIKey(ctx context.Context, name string) (APIKey, string, error) {
	if strings.TrimSpace(name) == "" {
		return APIKey{}, "", fmt.Errorf("store: create api key: name: %w", ErrInvalid)
	}
	secret := NewSecret("rk_")
	k := APIKey{Name: name, Prefix: secret[:10], KeyHash: HashSecret(secret), CreatedAt: s.now()}
	if err := s.q(ctx).Create(&k).Error; err != nil {
		return APIKey{}, "", wrap(err, "create api key")
	}
	return k, secret, nil
}

// APIKeyBySecret finds the unrevoked key; ErrNotFound otherwise.
func (s *Store) APIKeyBySecret(ctx context.Context, secret string) (APIKey, error) {
	var k APIKey
	err := s.q(ctx).Where("key_hash = ? AND revoked_at IS NULL", HashSecret(secret)).Take(&k).Error
	if err != nil {
		return k, wrap(err, "api key")
	}
	// Last use is advisory: at most one write a minute per key.
	if k.LastUsedAt == nil || s.now().Sub(*k.LastUsedAt) > time.Minute {
		now := s.now()
		_ = s.q(ctx).Model(&APIKey{}).Where("id = ?", k.ID).Update("last_used_at", now).Error
	}
	return k, nil
}
