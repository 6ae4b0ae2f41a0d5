package campaign

import (
	"context"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// VehicleSaved is the lifecycle's vehicle hook: a vehicle saved while a
// campaign is running or paused joins it when it matches the campaign's
// rules (created after the launch, or updated so that it matches, or given
// its owner), in the transaction that saved it. A new member gets a
// campaign_joined timeline entry; an owner it brings who had no notices in
// the campaign gets the schedule from now on (planNotices), so a car added
// after some steps passed is told once, now. A car that stops matching
// stays: the snapshot is who was told.
//
// It runs here, through the lifecycle, rather than in the store's upsert:
// which campaigns match and which notices are owed are the campaign's
// rules, and the lifecycle is where vehicle writes meet their
// consequences, in one transaction.
func (s *Service) VehicleSaved(ctx context.Context, tx *store.Store, v model.Vehicle) error {
	// A car counted under another model or country moves in the funnels.
	if err := tx.MarkVehicleFunnelDirty(ctx, v.ID, v.Model, v.Country); err != nil {
		return err
	}
	live, err := tx.LiveCampaigns(ctx)
	if err != nil || len(live) == 0 {
		return err
	}
	now := tx.Now()
	for _, c := range live {
		if c.Make != v.Make {
			continue // the cheap test first: most saves are of other makes
		}
		ok, err := tx.Matches(ctx, store.CohortFilterOf(c), v.ID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		joined, ownerSet, err := tx.JoinCampaign(ctx, c.ID, v, now)
		if err != nil {
			return err
		}
		if joined {
			if err := tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: model.EventCampaignJoined,
				Source: model.SourceCampaign, Detail: campaignDetail(c.ID), OccurredAt: now}); err != nil {
				return err
			}
		}
		if !ownerSet {
			continue
		}
		n, err := tx.CountOwnerNotices(ctx, c.ID, *v.OwnerID)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		// Until the launch is settled its job writes the notices of every
		// owner in the cohort, this one included, from their wave's release.
		if settled, err := tx.LaunchSettled(ctx, c.ID); err != nil {
			return err
		} else if !settled {
			continue
		}
		if err := tx.ScheduleOwnerNotices(ctx, c.ID, *v.OwnerID, planNotices(c.CutoverAt, c.NoticeOffsets, now)); err != nil {
			return err
		}
	}
	return nil
}
