package campaign

import (
	"context"
	"errors"
	"time"

	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// counts reports whether a vehicle's return to connected proves it was
// re-authenticated for campaign c. The rules:
//
//   - only after the launch: earlier repairs were not for this campaign;
//   - before the cut-over, only a successful Connect callback proves it: the
//     old sign-in still works then, so a working API call or Smartcar's
//     RESOLVED says nothing about the new one;
//   - from the cut-over on, the old sign-in is gone, so a car that broke and
//     works again was re-authenticated, however we learn it: RESOLVED
//     (webhook), a verified call (health_check), or the host (api).
//
// A re-authentication the host reports itself (Reauthenticated) counts at
// any time after the launch: it is the host's own Connect callback.
func counts(c model.Campaign, ch lifecycle.Change) bool {
	if ch.Vehicle.State != model.StateConnected || c.LaunchedAt == nil || ch.At.Before(*c.LaunchedAt) {
		return false
	}
	if ch.Source == model.SourceCallback {
		return true
	}
	afterCutover := !ch.At.Before(c.CutoverAt)
	wasBroken := ch.From.NeedsOwner()
	switch ch.Source {
	case model.SourceWebhook, model.SourceHealthCheck, model.SourceAPI:
		return afterCutover && wasBroken
	}
	return false
}

// StateChanged is the lifecycle hook: in the transaction of a vehicle's
// state change it completes the vehicle in the live campaigns it is open in
// (see counts), records a decline, or marks the reconnect started. When an
// owner has no open car left in a campaign, their pending notices there are
// withdrawn; an owner with another car to repair keeps them.
func (s *Service) StateChanged(ctx context.Context, tx *store.Store, ch lifecycle.Change) error {
	to := ch.Vehicle.State
	if to != model.StateConnected && to != model.StateDeclined && to != model.StateReconnecting {
		return nil
	}
	vcs, err := tx.LiveCampaignsOfVehicle(ctx, ch.Vehicle.ID)
	if err != nil {
		return err
	}
	if to == model.StateConnected {
		// Vehicles are matched by Smartcar id, else by VIN: a repair of the
		// same car under a new id completes the member too.
		same, err := tx.LiveCampaignsOfVIN(ctx, ch.Vehicle.VIN, ch.Vehicle.ID)
		if err != nil {
			return err
		}
		vcs = append(vcs, same...)
	}
	for _, vc := range vcs {
		if !vc.Vehicle.Open() {
			continue
		}
		c := vc.Campaign
		switch {
		case to == model.StateConnected && counts(c, ch):
			member := ch.Vehicle
			if vc.Vehicle.VehicleID != member.ID {
				if member, err = tx.VehicleByID(ctx, vc.Vehicle.VehicleID); err != nil {
					return err
				}
			}
			if err := s.complete(ctx, tx, c, member, ch.Source, ch.At); err != nil {
				return err
			}
		case to == model.StateDeclined:
			done, err := tx.DeclineCampaignVehicle(ctx, c.ID, ch.Vehicle.ID, ch.Reason, ch.At)
			if err != nil {
				return err
			}
			if done {
				if err := s.endOwnerNotices(ctx, tx, c.ID, ch.Vehicle.OwnerID); err != nil {
					return err
				}
			}
		case to == model.StateReconnecting && ch.Source == model.SourceOwner:
			if err := tx.MarkCampaignStep(ctx, c.ID, ch.Vehicle.ID, "started_at", ch.At); err != nil {
				return err
			}
		}
	}
	return nil
}

// OwnerChanged is the lifecycle's owner hook: the car's open places in live
// campaigns moved with it (store.MoveVehicle), so the previous owner's
// notices there end unless another of their cars is still open.
func (s *Service) OwnerChanged(ctx context.Context, tx *store.Store, ch lifecycle.OwnerChange) error {
	if ch.From == nil || (ch.To != nil && *ch.To == *ch.From) {
		return nil
	}
	vcs, err := tx.LiveCampaignsOfVehicle(ctx, ch.Vehicle.ID)
	if err != nil {
		return err
	}
	for _, vc := range vcs {
		if err := s.endOwnerNotices(ctx, tx, vc.Campaign.ID, ch.From); err != nil {
			return err
		}
	}
	return nil
}

// complete marks v completed in c by source, once: the timeline entry, the
// host webhook and the end of the owner's notices follow only the first
// time.
func (s *Service) complete(ctx context.Context, tx *store.Store, c model.Campaign, v model.Vehicle, source model.Source, at time.Time) error {
	done, err := tx.CompleteCampaignVehicle(ctx, c.ID, v.ID, source, at)
	if err != nil || !done {
		return err
	}
	if err := tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: model.EventCampaignCompleted,
		Source: source, Detail: campaignDetail(c.ID), OccurredAt: at}); err != nil {
		return err
	}
	if s.host != nil {
		if err := s.host.CampaignVehicleCompleted(ctx, tx, c.ID, v, source, at); err != nil {
			return err
		}
	}
	return s.endOwnerNotices(ctx, tx, c.ID, v.OwnerID)
}

// endOwnerNotices withdraws the owner's pending notices in the campaign
// when none of their cars there is open any more.
func (s *Service) endOwnerNotices(ctx context.Context, tx *store.Store, campaignID int64, ownerID *int64) error {
	if ownerID == nil {
		return nil
	}
	open, err := tx.OpenCampaignVehiclesOfOwner(ctx, campaignID, *ownerID)
	if err != nil || len(open) > 0 {
		return err
	}
	_, err = tx.CancelOwnerNotices(ctx, campaignID, *ownerID, string(SkipOwnerDone))
	return err
}

// ErrAmbiguousVehicle: a VIN names several vehicles; the Smartcar id says
// which. HTTP 409.
var ErrAmbiguousVehicle = errors.New("campaign: the VIN names several vehicles")

// Reauthenticated records a re-authentication the host ran itself (its own
// Connect flow) for the vehicle named by ref, a Smartcar vehicle id or else
// a VIN. A broken vehicle returns to connected (source api, so the host
// hears it as resolved elsewhere and the owner's emails stop), and the
// vehicle is completed in every live campaign it is open in that launched
// before now. It returns the vehicle and the ids of the campaigns it
// completed; store.ErrNotFound when no vehicle matches.
func (s *Service) Reauthenticated(ctx context.Context, ref string) (model.Vehicle, []int64, error) {
	var v model.Vehicle
	var completed []int64
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		completed = nil
		var err error
		v, err = tx.VehicleByRef(ctx, ref)
		if errors.Is(err, store.ErrConflict) {
			return ErrAmbiguousVehicle
		}
		if err != nil {
			return err
		}
		now := tx.Now()
		if v.State.NeedsOwner() {
			if v, _, err = s.lifecycle.Transition(ctx, tx, v.ID, store.StateChange{To: model.StateConnected, Source: model.SourceAPI, At: now}); err != nil {
				return err
			}
		}
		vcs, err := tx.LiveCampaignsOfVehicle(ctx, v.ID)
		if err != nil {
			return err
		}
		for _, vc := range vcs {
			c := vc.Campaign
			if c.LaunchedAt == nil || now.Before(*c.LaunchedAt) {
				continue
			}
			if vc.Vehicle.Open() {
				if err := s.complete(ctx, tx, c, v, model.SourceAPI, now); err != nil {
					return err
				}
			}
			if cv, err := tx.CampaignVehicleOf(ctx, c.ID, v.ID); err == nil && cv.CompletedAt != nil {
				completed = append(completed, c.ID)
			}
		}
		return nil
	})
	return v, completed, err
}
