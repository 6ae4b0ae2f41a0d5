package notify

import (
	"context"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	"reconnect/views/emails"
)

// mergeWindow: a campaign notice and an email about a broken car due for
// one owner within this long of each other go as one email, at the
// earlier time.
const mergeWindow = 24 * time.Hour

// Campaigns is what the sender needs of the migration campaigns
// (*campaign.Service): the notices owed to one owner, read and settled in
// the transaction that holds the owner's schedule lock.
type Campaigns interface {
	OwnerNotices(ctx context.Context, tx *store.Store, ownerID int64, now, horizon time.Time) ([]campaign.OwnerNotice, error)
	OwnerNoticesSent(ctx context.Context, tx *store.Store, ns []campaign.OwnerNotice, messageID string) error
	SkipOwnerNotices(ctx context.Context, tx *store.Store, ns []campaign.OwnerNotice, why campaign.SkipReason) error
	// EmailReported: the mail provider reported a bounce or a complaint
	// about the email with this Message-ID.
	EmailReported(ctx context.Context, tx *store.Store, messageID string) error
}

// SendCampaigns makes the owner's email carry the campaign notices due
// (the composition root calls it once campaigns exist, before the workers
// start). Without it, no notice is sent.
func (s *Service) SendCampaigns(c Campaigns) { s.campaigns = c }

// dueBy reports whether any notice is due at or before t.
func dueBy(ns []campaign.OwnerNotice, t time.Time) bool {
	return len(dueOnly(ns, t)) > 0
}

// dueOnly keeps the notices due at or before t.
func dueOnly(ns []campaign.OwnerNotice, t time.Time) []campaign.OwnerNotice {
	var out []campaign.OwnerNotice
	for _, n := range ns {
		if !n.DueAt.After(t) {
			out = append(out, n)
		}
	}
	return out
}

func noticeIDs(ns []campaign.OwnerNotice) []int64 {
	var ids []int64
	for _, n := range ns {
		ids = append(ids, n.IDs()...)
	}
	return ids
}

func campaignIDs(ns []campaign.OwnerNotice) []int64 {
	ids := make([]int64, len(ns))
	for i, n := range ns {
		ids[i] = n.Campaign.ID
	}
	return ids
}

// waitFor is how long until the owner's next email of either kind is due;
// 0 when none is planned.
func waitFor(n store.OwnerNotification, ns []campaign.OwnerNotice, now time.Time) time.Duration {
	var next time.Time
	if n.Active && n.DueAt != nil {
		next = *n.DueAt
	}
	for _, on := range ns {
		if next.IsZero() || on.DueAt.Before(next) {
			next = on.DueAt
		}
	}
	if next.IsZero() {
		return 0
	}
	return max(next.Sub(now), 0)
}

// keepOwnCars keeps, in each notice, the cars the owner still has and has
// not declined (the campaign's own bookkeeping may not know yet); a notice
// due with no car left is skipped.
func (s *Service) keepOwnCars(ctx context.Context, tx *store.Store, ns []campaign.OwnerNotice, vs []model.Vehicle, now time.Time) ([]campaign.OwnerNotice, error) {
	own := map[int64]bool{}
	for _, v := range vs {
		own[v.ID] = v.State != model.StateDeclined
	}
	var out, gone []campaign.OwnerNotice
	for _, n := range ns {
		n.Vehicles = slices.DeleteFunc(slices.Clone(n.Vehicles), func(cv store.CampaignVehicle) bool { return !own[cv.VehicleID] })
		switch {
		case len(n.Vehicles) > 0:
			out = append(out, n)
		case !n.DueAt.After(now):
			gone = append(gone, n)
		}
	}
	if len(gone) > 0 {
		if err := s.campaigns.SkipOwnerNotices(ctx, tx, gone, campaign.SkipNothingOpen); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// withoutCampaignCars drops the broken cars a campaign section speaks of:
// its words explain them better than the generic reason.
func withoutCampaignCars(vs []model.Vehicle, ns []campaign.OwnerNotice) []model.Vehicle {
	in := map[int64]bool{}
	for _, n := range ns {
		for _, cv := range n.Vehicles {
			in[cv.VehicleID] = true
		}
	}
	return slices.DeleteFunc(slices.Clone(vs), func(v model.Vehicle) bool { return in[v.ID] })
}

// noticeSections writes a section per campaign: what changes and when (in
// the owner's language and time zone, worded for before or after the
// cut-over as it is when the email goes), what to do, the days left in the
// last week, and a button per car whose link names the car and this email.
func (s *Service) noticeSections(ctx context.Context, tx *store.Store, l *i18n.Localizer, o model.Owner, em store.EmailMessage,
	ns []campaign.OwnerNotice, owned []model.Vehicle) ([]emails.Notice, []vehicletext.CampaignText, error) {
	byID := map[int64]model.Vehicle{}
	for _, v := range owned {
		byID[v.ID] = v
	}
	now := tx.Now()
	var out []emails.Notice
	var texts []vehicletext.CampaignText
	for _, n := range ns {
		txt := vehicletext.Campaign(l, n.Campaign, s.cfg.AppName, now, s.location(o))
		sec := emails.Notice{Heading: txt.Heading, Reason: txt.Reason, ToDo: txt.ToDo, DaysLeft: txt.DaysLeft}
		for _, cv := range n.Vehicles {
			v := byID[cv.VehicleID]
			link, err := s.links.Mint(ctx, tx, links.Mint{OwnerID: o.ID, VehicleID: &v.ID, Purpose: model.PurposeEmail, Source: model.SourceEmail, SourceRef: em.MessageID})
			if err != nil {
				return nil, nil, err
			}
			d := s.carData(l, v)
			sec.Cars = append(sec.Cars, emails.Car{Title: d["Car"].(string), Button: l.T(pick(len(n.Vehicles) > 1, "email.button_car", "email.button_one"), d), URL: link.URL})
		}
		out = append(out, sec)
		texts = append(texts, txt)
	}
	return out, texts, nil
}

// campaignSubject is the subject of an email that only carries notices,
// from its first (earliest cut-over) campaign.
func (s *Service) campaignSubject(l *i18n.Localizer, c model.Campaign, txt vehicletext.CampaignText) string {
	d := map[string]any{"Make": vehicletext.MakeName(c.Make), "App": s.cfg.AppName, "Date": txt.Date, "Days": txt.Days}
	switch {
	case txt.After:
		return l.T("campaign.subject_after", d)
	case txt.Days == 1:
		return l.T("campaign.subject_days_one", d)
	case txt.Days > 1 && txt.Days <= vehicletext.LastDays:
		return l.T("campaign.subject_days_many", d)
	}
	return l.T("campaign.subject_before", d)
}

// supportLine is "Questions? …" with the support address and page, when
// configured; a campaign email adds that a reply reaches a person when
// MAIL_REPLY_TO is set.
func (s *Service) supportLine(l *i18n.Localizer, campaignEmail bool) string {
	d := map[string]any{"URL": s.cfg.SupportURL, "Email": s.cfg.SupportEmail}
	line := ""
	switch {
	case s.cfg.SupportURL != "" && s.cfg.SupportEmail != "":
		line = l.T("support.questions_both", d)
	case s.cfg.SupportURL != "":
		line = l.T("support.questions_url", d)
	case s.cfg.SupportEmail != "":
		line = l.T("support.questions_email", d)
	}
	if campaignEmail && s.cfg.ReplyTo {
		if line == "" {
			return l.T("support.reply")
		}
		line += " " + l.T("support.reply_also")
	}
	return line
}

// NoticeSweepArgs turns owners with campaign notices due into OwnerArgs
// jobs: the same per-owner job as the breakage emails, so one owner's
// emails of both kinds are decided in one place, under one lock.
type NoticeSweepArgs struct{}

// Kind names the job.
func (NoticeSweepArgs) Kind() string { return "campaign_notice_sweep" }

// SweepNotices queues the email job of every owner with a campaign notice
// due before the next sweep, in batches, and returns how many it queued
// (an owner who already has a job keeps it).
func (s *Service) SweepNotices(ctx context.Context) (int, error) {
	if s.queue == nil {
		return 0, errNoQueue
	}
	horizon := s.store.Now().Add(2 * s.cfg.SweepEvery)
	var after int64
	total := 0
	for total < sweepLimit {
		ids, err := s.store.OwnersWithDueNotices(ctx, horizon, after, sweepPage)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		params := make([]river.InsertManyParams, len(ids))
		for i, id := range ids {
			params[i] = river.InsertManyParams{Args: OwnerArgs{OwnerID: id}, InsertOpts: s.ownerInsertOpts(time.Time{})}
		}
		if err := s.store.Tx(ctx, func(tx *store.Store) error { return s.queue.InsertManyTx(ctx, tx.DB(), params) }); err != nil {
			return total, err
		}
		total += len(ids)
		if len(ids) < sweepPage {
			return total, nil
		}
		after = ids[len(ids)-1]
	}
	return total, nil
}

// NoticePeriodic is the notice sweep, as often as the breakage sweep; it
// runs once at start so that notices due while the app was down go out.
func (s *Service) NoticePeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(s.cfg.SweepEvery), func() (river.JobArgs, *river.InsertOpts) {
		return NoticeSweepArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: liveStates}}
	}, &river.PeriodicJobOpts{RunOnStart: true})
}

// NoticeSweepWorker runs SweepNotices.
type NoticeSweepWorker struct {
	river.WorkerDefaults[NoticeSweepArgs]
	s *Service
}

// Work runs SweepNotices.
func (w *NoticeSweepWorker) Work(ctx context.Context, _ *river.Job[NoticeSweepArgs]) error {
	_, err := w.s.SweepNotices(ctx)
	return err
}
