package campaign

import (
	"context"
	"fmt"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// SkipEmailFailed: the email carrying the notice was refused for good, or
// its retries ran out; the next scheduled notice tries again.
const SkipEmailFailed SkipReason = "email_refused"

// OwnerNotice is what one campaign has to tell one owner in the email
// being prepared: the latest of the notices due (it is marked sent), the
// earlier ones it stands for (marked superseded), and the owner's cars it
// is about.
type OwnerNotice struct {
	Campaign model.Campaign
	// Notice is the latest step due; Folded are the other notices of the
	// campaign this email stands for.
	Notice store.Notice
	Folded []store.Notice
	// DueAt is when the earliest of them was due.
	DueAt time.Time
	// Vehicles are the owner's open cars in the campaign that are released
	// and follow it (see CampaignOf), by vehicle id.
	Vehicles []store.CampaignVehicle
}

// IDs lists every notice the email stands for.
func (n OwnerNotice) IDs() []int64 {
	ids := []int64{n.Notice.ID}
	for _, f := range n.Folded {
		ids = append(ids, f.ID)
	}
	return ids
}

// OwnerNotices is DueNotices for one owner inside the caller's
// transaction, which holds the owner's email schedule lock (notify's
// per-owner job): the pending notices of running campaigns due by
// `horizon`, one OwnerNotice per campaign, earliest first. Notices due by
// `now` that have nothing left to say are skipped on the way
// (SkipNothingOpen, SkipFollowsEarlier); ones due later are left for
// their time. A notice whose cars are not released yet waits.
//
// It reads through tx rather than the service's store so that the email
// and the notices it carries commit together.
func (s *Service) OwnerNotices(ctx context.Context, tx *store.Store, ownerID int64, now, horizon time.Time) ([]OwnerNotice, error) {
	ns, err := tx.OwnerNoticesDue(ctx, ownerID, horizon)
	if err != nil || len(ns) == 0 {
		return nil, err
	}
	byCampaign := map[int64]*OwnerNotice{}
	var order []int64
	for _, n := range ns {
		on, seen := byCampaign[n.CampaignID]
		switch {
		case !seen:
			byCampaign[n.CampaignID] = &OwnerNotice{Notice: n, DueAt: n.DueAt}
			order = append(order, n.CampaignID)
		case laterNotice(n, on.Notice):
			on.Folded = append(on.Folded, on.Notice)
			on.Notice = n
		default:
			on.Folded = append(on.Folded, n)
		}
	}
	// The campaigns and the owner's cars in them, with which campaign each
	// car follows: two statements however many campaigns and cars.
	cs, err := tx.CampaignsByIDs(ctx, order)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		byCampaign[c.ID].Campaign = c
	}
	for _, id := range order {
		if byCampaign[id].Campaign.ID != id {
			return nil, fmt.Errorf("campaign: notices of campaign #%d: %w", id, store.ErrNotFound)
		}
	}
	cars, err := tx.OpenVehiclesOfOwnerIn(ctx, ownerID, order)
	if err != nil {
		return nil, err
	}
	open := map[int64][]store.FollowedVehicle{}
	for _, cv := range cars {
		open[cv.CampaignID] = append(open[cv.CampaignID], cv)
	}
	var out []OwnerNotice
	for _, id := range order {
		on := byCampaign[id]
		released := false
		for _, cv := range open[id] {
			if cv.ReleasedAt.After(now) {
				continue
			}
			released = true
			if cv.Follows {
				on.Vehicles = append(on.Vehicles, cv.CampaignVehicle)
			}
		}
		var why SkipReason
		switch {
		case len(open[id]) == 0:
			why = SkipNothingOpen
		case !released:
			continue // its wave is not out yet
		case len(on.Vehicles) == 0:
			why = SkipFollowsEarlier
		}
		if why == "" {
			out = append(out, *on)
			continue
		}
		if on.DueAt.After(now) {
			continue // not due yet: decided when it is
		}
		if err := tx.SkipNotices(ctx, on.IDs(), string(why)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OwnerNoticesSent records, in the transaction that records the email,
// that it carried these notices: each campaign's latest notice is sent
// with the email's Message-ID, the ones it stood for are superseded, and
// the owner's open cars in each campaign are marked notified.
func (s *Service) OwnerNoticesSent(ctx context.Context, tx *store.Store, ns []OwnerNotice, messageID string) error {
	now := tx.Now()
	var folded []int64
	for _, n := range ns {
		sent, err := tx.MarkNotice(ctx, n.Notice.ID, store.NoticeSent, messageID, "", now)
		if err != nil {
			return err
		}
		for _, f := range n.Folded {
			folded = append(folded, f.ID)
		}
		if sent {
			if err := tx.MarkOwnerNotified(ctx, n.Notice.CampaignID, n.Notice.OwnerID, now); err != nil {
				return err
			}
		}
	}
	return tx.SkipNotices(ctx, folded, string(SkipSuperseded))
}

// SkipOwnerNotices marks every notice of ns skipped, for why, in one
// statement. When the email carrying them was refused (SkipEmailFailed),
// each campaign's last wave is checked at once, in the same transaction
// (CheckSafety), so a campaign whose mail is being refused stops before the
// next email.
func (s *Service) SkipOwnerNotices(ctx context.Context, tx *store.Store, ns []OwnerNotice, why SkipReason) error {
	var ids []int64
	for _, n := range ns {
		ids = append(ids, n.IDs()...)
	}
	if err := tx.SkipNotices(ctx, ids, string(why)); err != nil {
		return err
	}
	if why == SkipEmailFailed {
		return s.checkNotices(ctx, tx, ns)
	}
	return nil
}
