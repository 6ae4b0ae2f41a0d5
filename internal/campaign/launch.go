package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Launch starts a draft: it snapshots the cohort (every vehicle matching
// now), moves FirstWave percent of its owners into the first wave and the
// rest into a second released WaveHold later, writes each owner's first
// notice, and settles the launch (see SettleLaunch): a campaign_joined
// entry on each vehicle's timeline and every other notice the campaign
// owes each owner. With a queue (SettleLater) the settling is a job queued
// in the launch's transaction, which runs after the commit; without one
// it is part of that transaction.
//
// It is idempotent: launching a campaign that is already running or paused
// returns it unchanged, and two instances launching at once take turns on
// the campaign's row (the loser finds it running), while the unique keys
// make each vehicle and each notice exist once. ErrEmptyCohort (nothing is
// written) when no vehicle matches; ErrTransition when the campaign is over.
func (s *Service) Launch(ctx context.Context, id int64) (model.Campaign, error) {
	var out model.Campaign
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		c, err := tx.LockCampaign(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case c.State.Live():
			out = c
			return nil
		case c.State != model.CampaignDraft:
			return fmt.Errorf("%w: a %s campaign cannot be launched", ErrTransition, c.State)
		}
		now := tx.Now()
		if moved, err := tx.MoveCampaign(ctx, id, model.CampaignDraft, model.CampaignRunning, now); err != nil {
			return err
		} else if !moved {
			return fmt.Errorf("%w: it changed meanwhile", ErrTransition)
		}
		f := store.CohortFilterOf(c)
		waves := releases(c, now)
		if waves.Later.After(waves.First) {
			owners, err := tx.CountCohortOwners(ctx, f)
			if err != nil {
				return err
			}
			waves.Keep = firstWaveOwners(owners, c.FirstWave)
		}
		n, err := tx.SnapshotCohort(ctx, id, f, waves, now)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrEmptyCohort
		}
		// Each owner's first notice now, so that the campaign's next notice
		// is known (and sent, when due) from the commit on; SettleLaunch
		// writes the rest.
		for wave, release := range []time.Time{waves.First, waves.Later} {
			if plan := planNotices(c.CutoverAt, c.NoticeOffsets, release); len(plan) > 0 {
				if err := tx.ScheduleWaveNotices(ctx, id, wave+1, plan[0]); err != nil {
					return err
				}
			}
		}
		if s.queue != nil {
			if _, err := s.queue.InsertTx(ctx, tx.DB(), SettleLaunchArgs{CampaignID: id}, settleInsertOpts); err != nil {
				return err
			}
		} else if err := s.settleLaunch(ctx, tx, id); err != nil {
			return err
		}
		out, err = tx.CampaignByID(ctx, id)
		return err
	})
	return out, err
}

// releases is when each wave of a campaign launched at `at` is released:
// the first at once, the second WaveHold later (the same time when the
// campaign has one wave).
func releases(c model.Campaign, at time.Time) store.Waves {
	w := store.Waves{First: at, Later: at}
	if c.FirstWave < 100 && c.WaveHold > 0 {
		w.Later = at.Add(c.WaveHold)
	}
	return w
}

// SettleLaunch writes what a launch owes after its snapshot, in one
// transaction: a campaign_joined entry on the timeline of each vehicle of
// the snapshot and, unless the campaign has ended meanwhile, every notice
// each owner is owed from their wave's release (see planNotices), by the
// campaign's cut-over as it is now. It runs once per launch: a second run
// (a retried job, a second instance) finds the launch settled and writes
// nothing. A campaign not launched yet is left alone.
func (s *Service) SettleLaunch(ctx context.Context, id int64) error {
	return s.store.Tx(ctx, func(tx *store.Store) error { return s.settleLaunch(ctx, tx, id) })
}

func (s *Service) settleLaunch(ctx context.Context, tx *store.Store, id int64) error {
	// The campaign's lock makes a pause, a cancel or a new cut-over wait
	// for the notices, and a second settling wait for the first.
	c, err := tx.LockCampaign(ctx, id)
	if err != nil || c.LaunchedAt == nil {
		return err
	}
	if done, err := tx.LaunchSettled(ctx, id); err != nil || done {
		return err
	}
	at := *c.LaunchedAt
	if err := tx.AddCampaignJoinEvents(ctx, id, model.EventCampaignJoined, model.SourceCampaign, campaignDetail(id), at); err != nil {
		return err
	}
	if c.State.Live() {
		waves := releases(c, at)
		for wave, release := range []time.Time{waves.First, waves.Later} {
			for _, p := range planNotices(c.CutoverAt, c.NoticeOffsets, release) {
				if err := tx.ScheduleWaveNotices(ctx, id, wave+1, p); err != nil {
					return err
				}
			}
		}
	}
	return tx.MarkLaunchSettled(ctx, id, tx.Now())
}

// firstWaveOwners is how many of n owners the first wave holds: the
// percentage rounded up, so a small cohort never has an empty first wave.
func firstWaveOwners(n int64, percent int) int64 {
	return (n*int64(percent) + 99) / 100
}

// planNotices lists the notices an owner released at `release` is owed: one
// per offset whose time (cutover + offset) is still ahead, and, when some
// have already passed, one notice for all of them, due at the release and
// standing in for the latest of them. So a launch after the first steps
// (or a cut-over in the past, or a car that joins late) tells the owner
// once, now, and then keeps to the schedule.
func planNotices(cutover time.Time, offsets []time.Duration, release time.Time) []store.NoticePlan {
	var out []store.NoticePlan
	var passed *store.NoticePlan
	for _, off := range offsets {
		p := store.NoticePlan{Kind: store.NoticeScheduled, OffsetSeconds: int64(off / time.Second), DueAt: cutover.Add(off)}
		if p.DueAt.After(release) {
			out = append(out, p)
			continue
		}
		p.DueAt = release
		passed = &p
	}
	if passed != nil {
		out = append([]store.NoticePlan{*passed}, out...)
	}
	return out
}

// reschedule moves a live campaign's cut-over: pending scheduled notices
// keep their offsets (so they move with it, and none comes before its
// owner's wave), and every owner who was already sent a notice and still
// has a car to repair gets one "new date" notice now, replacing any
// earlier new-date notice not yet sent.
func (s *Service) reschedule(ctx context.Context, tx *store.Store, c model.Campaign, cutover time.Time) (model.Campaign, error) {
	c.CutoverAt = cutover
	if err := validate(c); err != nil {
		return c, err
	}
	c.CutoverRevision++
	c, err := tx.SaveCampaignRules(ctx, c)
	if err != nil {
		return c, err
	}
	for _, off := range c.NoticeOffsets {
		if err := tx.RescheduleNotices(ctx, c.ID, int64(off/time.Second), cutover.Add(off)); err != nil {
			return c, err
		}
	}
	if _, err := tx.CancelCampaignNotices(ctx, c.ID, store.NoticeNewDate, string(SkipSuperseded)); err != nil {
		return c, err
	}
	err = tx.ScheduleToldOwners(ctx, c.ID, store.NoticePlan{Kind: store.NoticeNewDate, Revision: c.CutoverRevision, DueAt: tx.Now()})
	return c, err
}

// campaignDetail is the timeline detail naming a campaign.
func campaignDetail(id int64) string {
	b, _ := json.Marshal(map[string]any{"campaign_id": id})
	return string(b)
}
