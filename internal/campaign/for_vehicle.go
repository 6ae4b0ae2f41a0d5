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
	st, ok = standing(vcs, now)
	return st, ok, nil
}

// ForVehicles is ForVehicle for several vehicles in two queries at most,
// keyed by vehicle id; vehicles with nothing to show are left out.
func (s *Service) ForVehicles(ctx context.Context, vehicleIDs []int64, now time.Time) (map[int64]Standing, error) {
	live, err := s.store.LiveCampaignsOfVehicles(ctx, vehicleIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Standing, len(live))
	for id, vcs := range live {
		if st, ok := standing(vcs, now); ok {
			out[id] = st
		}
	}
	return out, nil
}

// standing picks, among a vehicle's live campaigns (earliest cut-over
// first), the one its card shows.
func standing(vcs []store.VehicleCampaign, now time.Time) (Standing, bool) {
	for _, vc := range vcs {
		if vc.Vehicle.Open() {
			if vc.Vehicle.ReleasedAt.After(now) {
				return Standing{}, false // told with its wave, not before
			}
			return Standing{Campaign: vc.Campaign, Member: vc.Vehicle}, true
		}
	}
	for _, vc := range vcs {
		if vc.Vehicle.CompletedAt != nil {
			return Standing{Campaign: vc.Campaign, Member: vc.Vehicle, Done: true}, true
		}
	}
	return Standing{}, false
}
