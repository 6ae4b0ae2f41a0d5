package campaign

import (
	"context"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Standing is what a running or paused campaign means for one vehicle,
// for the owner's card and the host's status API.
type Standing struct {
	Campaign model.Campaign
	Member   store.CampaignVehicle
	// Done: the vehicle completed the campaign ("you're all set").
	Done bool
}

// ForVehicle returns the live campaign a vehicle follows (CampaignOf) once
// its wave is released by now; or, when it has none open, a live campaign
// it completed. ok is false when neither exists: no card, no banner.
// Declined vehicles have nothing to show.
func (s *Service) ForVehicle(ctx context.Context, vehicleID int64, now time.Time) (st Standing, ok bool, err error) {
	vcs, err := s.store.LiveCampaignsOfVehicle(ctx, vehicleID)
	if err != nil {
		return Standing{}, false, err
	}
	for _, vc := range vcs {
		if vc.Vehicle.Open() {
			if vc.Vehicle.ReleasedAt.After(now) {
				return Standing{}, false, nil // told with its wave, not before
			}
			return Standing{Campaign: vc.Campaign, Member: vc.Vehicle}, true, nil
		}
	}
	for _, vc := range vcs {
		if vc.Vehicle.CompletedAt != nil {
			return Standing{Campaign: vc.Campaign, Member: vc.Vehicle, Done: true}, true, nil
		}
	}
	return Standing{}, false, nil
}
