// Table staff_oidc_states: OpenID Connect sign-in states already spent.

package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

type staffOIDCState struct {
	StateHash string `gorm:"primaryKey"`
	ExpiresAt time.Time
}

func (staffOIDCState) TableName() string { return "staff_oidc_states" }

// SpendOIDCState marks a sign-in state as used and reports whether it was
// still unused. The state itself travels in the browser's cookie; this row
// is what makes it single use across instances. Rows of expired states
// are deleted on the way: they can no longer be presented.
func (s *Store) SpendOIDCState(ctx context.Context, stateHash string, expires time.Time) (bool, error) {
	if err := s.q(ctx).Where("expires_at < ?", s.now()).Delete(&staffOIDCState{}).Error; err != nil {
		return false, wrap(err, "forget spent sign-in states")
	}
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&staffOIDCState{StateHash: stateHash, ExpiresAt: expires})
	if res.Error != nil {
		return false, wrap(res.Error, "spend sign-in state")
	}
	return res.RowsAffected == 1, nil
}
