package campaign

import (
	"context"
	"time"

	"reconnect/internal/store"
)

// Shown records that the host's status API handed a campaign's message
// about the vehicle to the host app to show its owner: the vehicle counts
// as notified in the funnel (the first time), as if an email had reached
// them. tx is the status request's store.
func (s *Service) Shown(ctx context.Context, tx *store.Store, campaignID, vehicleID int64, at time.Time) error {
	if tx == nil {
		tx = s.store
	}
	return tx.MarkCampaignVehicleNotified(ctx, campaignID, vehicleID, at)
}
