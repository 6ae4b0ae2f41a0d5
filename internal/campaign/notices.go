package campaign

import (
	"context"
	"fmt"

	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// SkipReason says why a due notice was not sent, or why pending ones were
// withdrawn. Stored with the notice.
type SkipReason string

// The skip reasons.
const (
	// SkipSuperseded: a later notice of the same campaign was due for the
	// same owner at the same time (after a pause, a reschedule), and only
	// that one is sent.
	SkipSuperseded SkipReason = "superseded"
	// SkipNothingOpen: every car of the owner in the campaign is completed
	// or declined.
	SkipNothingOpen SkipReason = "nothing_open"
	// SkipFollowsEarlier: each of the owner's open cars is also in a live
	// campaign with an earlier cut-over, which speaks to the owner instead.
	SkipFollowsEarlier SkipReason = "follows_earlier_campaign"
	// SkipNoAddress: the sender found no email address (or the owner
	// unsubscribed); for the sender to use.
	SkipNoAddress SkipReason = "no_address"
	// SkipOwnerDone: withdrawn because the owner's last open car completed
	// or was declined.
	SkipOwnerDone SkipReason = "owner_done"
)

// DueNotice is one notice to send now: the row (its ID is the email's
// dedupe key, so a retried send never makes a second email), its campaign,
// and the owner's cars it is about.
type DueNotice struct {
	Notice   store.Notice
	Campaign model.Campaign
	// Vehicles are the owner's open cars in the campaign that follow it
	// (see CampaignOf), by vehicle id.
	Vehicles []store.CampaignVehicle
	// AfterCutover says the cut-over has happened by the notice's due time:
	// word it "has moved", not "will move".
	AfterCutover bool
	// NewDate says the notice announces a moved cut-over.
	NewDate bool
}

// DueNotices returns up to limit notices due by now of running campaigns,
// oldest first, for the sender. On the way it settles what should not be
// sent: when several of one owner's notices in one campaign are due, only
// the latest is returned and the others are skipped (SkipSuperseded); an
// owner with no open car left, or whose open cars all follow an earlier
// campaign, has the notice skipped. Paused campaigns' notices wait. The
// caller sends each and records it with MarkNoticeSent or
// MarkNoticeSkipped; a notice not marked is returned again.
func (s *Service) DueNotices(ctx context.Context, now time.Time, limit int) ([]DueNotice, error) {
	var out []DueNotice
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		out = nil
		ns, err := tx.DueNotices(ctx, now, limit)
		if err != nil {
			return err
		}
		type key struct{ campaign, owner int64 }
		latest := map[key]store.Notice{}
		var order []key
		for _, n := range ns {
			k := key{n.CampaignID, n.OwnerID}
			prev, seen := latest[k]
			switch {
			case !seen:
				order = append(order, k)
				latest[k] = n
			case laterNotice(n, prev):
				latest[k] = n
				if err := skip(ctx, tx, prev.ID, SkipSuperseded); err != nil {
					return err
				}
			default:
				if err := skip(ctx, tx, n.ID, SkipSuperseded); err != nil {
					return err
				}
			}
		}
		campaigns := map[int64]model.Campaign{}
		for _, k := range order {
			n := latest[k]
			c, ok := campaigns[k.campaign]
			if !ok {
				if c, err = tx.CampaignByID(ctx, k.campaign); err != nil {
					return err
				}
				campaigns[k.campaign] = c
			}
			open, err := tx.OpenCampaignVehiclesOfOwner(ctx, k.campaign, k.owner)
			if err != nil {
				return err
			}
			if len(open) == 0 {
				if err := skip(ctx, tx, n.ID, SkipNothingOpen); err != nil {
					return err
				}
				continue
			}
			var follow []store.CampaignVehicle
			for _, cv := range open {
				gov, ok, err := governing(ctx, tx, cv.VehicleID)
				if err != nil {
					return err
				}
				if !ok || gov.ID == c.ID {
					follow = append(follow, cv)
				}
			}
			if len(follow) == 0 {
				if err := skip(ctx, tx, n.ID, SkipFollowsEarlier); err != nil {
					return err
				}
				continue
			}
			out = append(out, DueNotice{Notice: n, Campaign: c, Vehicles: follow,
				AfterCutover: !n.DueAt.Before(c.CutoverAt), NewDate: n.Kind == store.NoticeNewDate})
		}
		return nil
	})
	return out, err
}

// laterNotice reports whether a stands for a later step than b.
func laterNotice(a, b store.Notice) bool {
	if !a.DueAt.Equal(b.DueAt) {
		return a.DueAt.After(b.DueAt)
	}
	return a.ID > b.ID
}

func skip(ctx context.Context, tx *store.Store, id int64, why SkipReason) error {
	_, err := tx.MarkNotice(ctx, id, store.NoticeSkipped, "", string(why), tx.Now())
	return err
}

// MarkNoticeSent records that the notice's email was handed to the mail
// server with this Message-ID, and marks the owner's open cars in the
// campaign notified. A notice no longer pending is left alone (sent is
// false then).
func (s *Service) MarkNoticeSent(ctx context.Context, noticeID int64, messageID string) (sent bool, err error) {
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		n, err := tx.NoticeByID(ctx, noticeID)
		if err != nil {
			return err
		}
		now := tx.Now()
		if sent, err = tx.MarkNotice(ctx, noticeID, store.NoticeSent, messageID, "", now); err != nil || !sent {
			return err
		}
		return tx.MarkOwnerNotified(ctx, n.CampaignID, n.OwnerID, now)
	})
	return sent, err
}

// MarkNoticeSkipped records that a due notice was not sent, and why.
func (s *Service) MarkNoticeSkipped(ctx context.Context, noticeID int64, why SkipReason) (bool, error) {
	if why == "" {
		return false, fmt.Errorf("campaign: skip notice #%d: a reason is required", noticeID)
	}
	return s.store.MarkNotice(ctx, noticeID, store.NoticeSkipped, "", string(why), s.store.Now())
}

// CampaignOf returns the live campaign a vehicle follows: of the running
// or paused campaigns it is open in, the one with the earliest cut-over
// (ties: the older campaign). ok is false when there is none. The owner's
// card and the notices speak of this campaign only.
func (s *Service) CampaignOf(ctx context.Context, vehicleID int64) (c model.Campaign, ok bool, err error) {
	return governing(ctx, s.store, vehicleID)
}

func governing(ctx context.Context, tx *store.Store, vehicleID int64) (model.Campaign, bool, error) {
	vcs, err := tx.LiveCampaignsOfVehicle(ctx, vehicleID)
	if err != nil {
		return model.Campaign{}, false, err
	}
	for _, vc := range vcs {
		if vc.Vehicle.Open() {
			return vc.Campaign, true, nil
		}
	}
	return model.Campaign{}, false, nil
}
