// Table staff_sessions: signed-in console browsers.

package store

import (
	"context"
	"time"
)

// StaffSession is one signed-in console browser. Only the token's hash is kept.
type StaffSession struct {
	ID         int64
	TokenHash  string
	StaffID    int64
	IP         string `gorm:"column:ip"`
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	EndedAt    *time.Time
}

// CreateStaffSession stores a new session.
func (s *Store) CreateStaffSession(ctx context.Context, ss StaffSession) (StaffSession, error) {
	now := s.now()
	ss.CreatedAt, ss.LastSeenAt = now, now
	return ss, wrap(s.q(ctx).Create(&ss).Error, "create staff session")
}

// StaffSessionByTokenHash finds a session, ended or not.
func (s *Store) StaffSessionByTokenHash(ctx context.Context, hash string) (StaffSession, error) {
	var ss StaffSession
	return ss, wrap(s.q(ctx).Where("token_hash = ?", hash).Take(&ss).Error, "staff session")
}

// TouchStaffSession records activity, which pushes the inactivity timeout back.
func (s *Store) TouchStaffSession(ctx context.Context, id int64) error {
	return wrap(s.q(ctx).Model(&StaffSession{}).Where("id = ?", id).Update("last_seen_at", s.now()).Error, "touch staff session #%d", id)
}

// EndStaffSession ends one session; it reports false when it had already ended.
func (s *Store) EndStaffSession(ctx context.Context, id int64) (bool, error) {
	res := s.q(ctx).Model(&StaffSession{}).Where("id = ? AND ended_at IS NULL", id).Update("ended_at", s.now())
	return res.RowsAffected > 0, wrap(res.Error, "end staff session #%d", id)
}
