package campaign

import (
	"context"
	"fmt"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// FollowUp gives every owner of the running campaign who has a released
// car still to repair one more notice, due now, ahead of the schedule
// (staff's "email the ones who have not finished now"). It goes out with
// the owner's email job under the usual rules: the minimum interval since
// their last email (EMAIL_MIN_INTERVAL) and quiet hours may hold it back,
// never drop it, and the sending rates pace it. A scheduled notice due
// within a day goes in the same email. It returns how many owners get one;
// ErrTransition unless the campaign is running.
func (s *Service) FollowUp(ctx context.Context, id int64) (model.Campaign, int64, error) {
	var out model.Campaign
	var n int64
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		c, err := tx.LockCampaign(ctx, id)
		if err != nil {
			return err
		}
		if c.State != model.CampaignRunning {
			return fmt.Errorf("%w: a %s campaign sends nothing", ErrTransition, c.State)
		}
		now := tx.Now()
		n, err = tx.ScheduleFollowUp(ctx, id, store.NoticePlan{Kind: store.NoticeFollowUp,
			OffsetSeconds: int64(now.Sub(c.CutoverAt) / time.Second), Revision: store.FollowUpRevision, DueAt: now})
		out = c
		return err
	})
	return out, n, err
}

// Stuck lists up to limit vehicles of the campaign whose owners started
// reconnecting and did not finish, the longest waiting first, with the
// owner's contact details (phone included) for support to call.
func (s *Service) Stuck(ctx context.Context, id int64, limit int) ([]store.StuckVehicle, error) {
	return s.store.StuckVehicles(ctx, id, limit)
}
