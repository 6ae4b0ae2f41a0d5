// Table campaign_notices: each notice a campaign owes an owner, written before it is sent.

package store

import (
	"context"
	"time"

	"reconnect/internal/model"
)

// NoticeStatus is where one campaign notice is.
type NoticeStatus string

// The notice statuses.
const (
	NoticePending   NoticeStatus = "pending"   // written, not sent yet
	NoticeSent      NoticeStatus = "sent"      // handed to the mail server
	NoticeSkipped   NoticeStatus = "skipped"   // due, but not sent (SkipReason says why)
	NoticeCancelled NoticeStatus = "cancelled" // withdrawn before it was due
)

// NoticeKind says what a campaign notice announces.
type NoticeKind string

// The notice kinds.
const (
	// NoticeScheduled is one step of the campaign's schedule: an offset
	// from the cut-over.
	NoticeScheduled NoticeKind = "scheduled"
	// NoticeNewDate tells an owner who was already told a date that the
	// cut-over moved.
	NoticeNewDate NoticeKind = "new_date"
	// NoticeFollowUp is one more notice staff sent ahead of the schedule
	// to the owners who have not finished.
	NoticeFollowUp NoticeKind = "follow_up"
)

// FollowUpRevision keeps staff's follow-ups apart from the schedule's
// steps in the unique key (which holds offsets from the cut-over): a
// follow-up's offset is the moment it was asked for.
const FollowUpRevision = -1

// Notice is one row of campaign_notices.
type Notice struct {
	ID         int64
	CampaignID int64
	OwnerID    int64
	Kind       NoticeKind
	// OffsetSeconds is the schedule step, seconds from the cut-over
	// (negative: before); for a new-date notice, 0.
	OffsetSeconds int64
	// Revision is 0 for the schedule and the cut-over's revision for a
	// new-date notice.
	Revision       int
	DueAt          time.Time
	Status         NoticeStatus
	SkipReason     string
	EmailMessageID string
	SentAt         *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TableName pins the table.
func (Notice) TableName() string { return "campaign_notices" }

// NoticePlan is one notice to write for an owner: which step and when.
type NoticePlan struct {
	Kind          NoticeKind
	OffsetSeconds int64
	Revision      int
	DueAt         time.Time
}

// ScheduleWaveNotices writes the notice p for every owner of the campaign's
// wave, in one statement. A notice that exists already (same campaign,
// owner, step and revision) is left alone, so a repeated launch writes each
// once.
func (s *Store) ScheduleWaveNotices(ctx context.Context, campaignID int64, wave int, p NoticePlan) error {
	now := s.now()
	err := s.q(ctx).Exec(`INSERT INTO campaign_notices (campaign_id, owner_id, kind, offset_seconds, revision, due_at, status, created_at, updated_at)
		SELECT ?, o.owner_id, ?, ?, ?, ?, ?, ?, ? FROM (SELECT DISTINCT owner_id FROM campaign_vehicles
		WHERE campaign_id = ? AND wave = ? AND owner_id IS NOT NULL) o
		WHERE TRUE ON CONFLICT DO NOTHING`, // WHERE: SQLite would read ON as a join's
		campaignID, p.Kind, p.OffsetSeconds, p.Revision, p.DueAt, NoticePending, now, now, campaignID, wave).Error
	return wrap(err, "schedule notices of campaign #%d", campaignID)
}

// ScheduleOwnerNotices writes notices for one owner; existing ones stay.
func (s *Store) ScheduleOwnerNotices(ctx context.Context, campaignID, ownerID int64, plans []NoticePlan) error {
	now := s.now()
	for _, p := range plans {
		err := s.q(ctx).Exec(`INSERT INTO campaign_notices (campaign_id, owner_id, kind, offset_seconds, revision, due_at, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			campaignID, ownerID, p.Kind, p.OffsetSeconds, p.Revision, p.DueAt, NoticePending, now, now).Error
		if err != nil {
			return wrap(err, "schedule notices of owner #%d in campaign #%d", ownerID, campaignID)
		}
	}
	return nil
}

// CountOwnerNotices counts the notices written for an owner in a campaign,
// whatever became of them.
func (s *Store) CountOwnerNotices(ctx context.Context, campaignID, ownerID int64) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&Notice{}).Where("campaign_id = ? AND owner_id = ?", campaignID, ownerID).Count(&n).Error
	return n, wrap(err, "count notices of owner #%d in campaign #%d", ownerID, campaignID)
}

// NoticesOfOwner lists an owner's notices in a campaign by due time.
func (s *Store) NoticesOfOwner(ctx context.Context, campaignID, ownerID int64) ([]Notice, error) {
	var ns []Notice
	err := s.q(ctx).Where("campaign_id = ? AND owner_id = ?", campaignID, ownerID).Order("due_at").Order("id").Find(&ns).Error
	return ns, wrap(err, "notices of owner #%d in campaign #%d", ownerID, campaignID)
}

// NoticeByID reads one notice.
func (s *Store) NoticeByID(ctx context.Context, id int64) (Notice, error) {
	var n Notice
	err := s.q(ctx).Take(&n, id).Error
	return n, wrap(err, "notice #%d", id)
}

// DueNotices lists pending notices due by now of running campaigns, oldest
// first. On PostgreSQL the rows are claimed (FOR UPDATE SKIP LOCKED) for the
// caller's transaction, so two senders never take the same one.
func (s *Store) DueNotices(ctx context.Context, now time.Time, limit int) ([]Notice, error) {
	var ns []Notice
	q := s.q(ctx).Where("status = ? AND due_at <= ? AND campaign_id IN (SELECT id FROM campaigns WHERE state = ?)", NoticePending, now, model.CampaignRunning).
		Order("due_at").Order("id").Limit(limit)
	err := s.claimRows(q).Find(&ns).Error
	return ns, wrap(err, "due notices")
}

// MarkNotice moves a pending notice to status (sent, skipped, cancelled)
// with the email's Message-ID or the skip reason; it returns false when the
// notice was no longer pending, so a repeat changes nothing.
func (s *Store) MarkNotice(ctx context.Context, id int64, status NoticeStatus, messageID, skipReason string, at time.Time) (bool, error) {
	up := map[string]any{"status": status, "updated_at": s.now()}
	switch status {
	case NoticeSent:
		up["sent_at"], up["email_message_id"] = at, Clip(messageID, 300)
	default:
		up["skip_reason"] = Clip(skipReason, 200)
	}
	res := s.q(ctx).Model(&Notice{}).Where("id = ? AND status = ?", id, NoticePending).Updates(up)
	if res.Error != nil || res.RowsAffected != 1 {
		return false, wrap(res.Error, "mark notice #%d %s", id, status)
	}
	if status == NoticeSent {
		return true, s.countNoticeSent(ctx, id)
	}
	return true, nil
}

// SkipNotices marks the pending notices among ids skipped for reason, in
// one statement; notices no longer pending are left alone.
func (s *Store) SkipNotices(ctx context.Context, ids []int64, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.q(ctx).Model(&Notice{}).Where("id IN ? AND status = ?", ids, NoticePending).
		Updates(map[string]any{"status": NoticeSkipped, "skip_reason": Clip(reason, 200), "updated_at": s.now()}).Error
	return wrap(err, "skip %d notices", len(ids))
}

// CancelOwnerNotices withdraws an owner's pending notices in a campaign.
func (s *Store) CancelOwnerNotices(ctx context.Context, campaignID, ownerID int64, reason string) (int64, error) {
	res := s.q(ctx).Model(&Notice{}).Where("campaign_id = ? AND owner_id = ? AND status = ?", campaignID, ownerID, NoticePending).
		Updates(map[string]any{"status": NoticeCancelled, "skip_reason": reason, "updated_at": s.now()})
	return res.RowsAffected, wrap(res.Error, "cancel notices of owner #%d in campaign #%d", ownerID, campaignID)
}

// CancelCampaignNotices withdraws every pending notice of a campaign of the
// given kind ("" for all kinds).
func (s *Store) CancelCampaignNotices(ctx context.Context, campaignID int64, kind NoticeKind, reason string) (int64, error) {
	q := s.q(ctx).Model(&Notice{}).Where("campaign_id = ? AND status = ?", campaignID, NoticePending)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	res := q.Updates(map[string]any{"status": NoticeCancelled, "skip_reason": reason, "updated_at": s.now()})
	return res.RowsAffected, wrap(res.Error, "cancel notices of campaign #%d", campaignID)
}

// RescheduleNotices moves the pending scheduled notices of one step to due,
// then holds back any that would now come before their owner's release (a
// later wave).
func (s *Store) RescheduleNotices(ctx context.Context, campaignID, offsetSeconds int64, due time.Time) error {
	err := s.q(ctx).Model(&Notice{}).Where("campaign_id = ? AND kind = ? AND status = ? AND offset_seconds = ?",
		campaignID, NoticeScheduled, NoticePending, offsetSeconds).Updates(map[string]any{"due_at": due, "updated_at": s.now()}).Error
	if err != nil {
		return wrap(err, "reschedule notices of campaign #%d", campaignID)
	}
	const release = `(SELECT MIN(cv.released_at) FROM campaign_vehicles cv WHERE cv.campaign_id = campaign_notices.campaign_id AND cv.owner_id = campaign_notices.owner_id)`
	err = s.q(ctx).Exec(`UPDATE campaign_notices SET due_at = `+release+` WHERE campaign_id = ? AND status = ? AND due_at < `+release,
		campaignID, NoticePending).Error
	return wrap(err, "hold notices of campaign #%d until release", campaignID)
}

// ScheduleToldOwners writes notice p for every owner of the campaign who
// was sent at least one notice and still has an open vehicle in it (a
// "new date" notice), in one statement.
func (s *Store) ScheduleToldOwners(ctx context.Context, campaignID int64, p NoticePlan) error {
	now := s.now()
	err := s.q(ctx).Exec(`INSERT INTO campaign_notices (campaign_id, owner_id, kind, offset_seconds, revision, due_at, status, created_at, updated_at)
		SELECT ?, t.owner_id, ?, ?, ?, ?, ?, ?, ? FROM (
			SELECT DISTINCT n.owner_id FROM campaign_notices n WHERE n.campaign_id = ? AND n.status = ?
			AND EXISTS (SELECT 1 FROM campaign_vehicles cv WHERE cv.campaign_id = n.campaign_id AND cv.owner_id = n.owner_id AND cv.`+openVehicleCV+`)
		) t WHERE TRUE ON CONFLICT DO NOTHING`,
		campaignID, p.Kind, p.OffsetSeconds, p.Revision, p.DueAt, NoticePending, now, now, campaignID, NoticeSent).Error
	return wrap(err, "notices to owners told of campaign #%d", campaignID)
}

// OwnerNoticesDue lists an owner's pending notices of running campaigns
// due at or before by, oldest first: the owner's email job reads them in
// the schedule's lock, so no second claim is needed.
func (s *Store) OwnerNoticesDue(ctx context.Context, ownerID int64, by time.Time) ([]Notice, error) {
	var ns []Notice
	err := s.q(ctx).Where("owner_id = ? AND status = ? AND due_at <= ? AND campaign_id IN (SELECT id FROM campaigns WHERE state = ?)",
		ownerID, NoticePending, by, model.CampaignRunning).Order("due_at").Order("id").Find(&ns).Error
	return ns, wrap(err, "due notices of owner #%d", ownerID)
}

// OwnersWithDueNotices lists owners with a pending notice of a running
// campaign due at or before by, by owner id after afterOwner, for the
// sweep that queues their email jobs.
func (s *Store) OwnersWithDueNotices(ctx context.Context, by time.Time, afterOwner int64, limit int) ([]int64, error) {
	var ids []int64
	err := s.q(ctx).Model(&Notice{}).Distinct("owner_id").
		Where("status = ? AND due_at <= ? AND owner_id > ? AND campaign_id IN (SELECT id FROM campaigns WHERE state = ?)",
			NoticePending, by, afterOwner, model.CampaignRunning).
		Order("owner_id").Limit(limit).Pluck("owner_id", &ids).Error
	return ids, wrap(err, "owners with due notices")
}

// ClaimNotices names the email that is about to carry these pending
// notices, before the SMTP conversation: a retry after a crash finds the
// email by it and sends that one again instead of a second.
func (s *Store) ClaimNotices(ctx context.Context, ids []int64, messageID string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.q(ctx).Model(&Notice{}).Where("id IN ? AND status = ?", ids, NoticePending).
		Updates(map[string]any{"email_message_id": Clip(messageID, 300), "updated_at": s.now()}).Error
	return wrap(err, "claim notices for %s", messageID)
}

// PostponeNotices moves pending notices to a later due time (quiet hours,
// the owner's minimum interval between emails).
func (s *Store) PostponeNotices(ctx context.Context, ids []int64, to time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.q(ctx).Model(&Notice{}).Where("id IN ? AND status = ? AND due_at < ?", ids, NoticePending, to).
		Updates(map[string]any{"due_at": to, "updated_at": s.now()}).Error
	return wrap(err, "postpone notices to %s", to)
}

// NextPendingNotice is the campaign's pending notice due first; ok is false
// when none is pending.
func (s *Store) NextPendingNotice(ctx context.Context, campaignID int64) (n Notice, ok bool, err error) {
	var ns []Notice
	err = s.q(ctx).Where("campaign_id = ? AND status = ?", campaignID, NoticePending).Order("due_at").Order("id").Limit(1).Find(&ns).Error
	if err != nil || len(ns) == 0 {
		return Notice{}, false, wrap(err, "next notice of campaign #%d", campaignID)
	}
	return ns[0], true, nil
}

// CampaignsOfEmail lists the campaigns whose notices the email with this
// Message-ID carried.
func (s *Store) CampaignsOfEmail(ctx context.Context, messageID string) ([]int64, error) {
	var ids []int64
	err := s.q(ctx).Model(&Notice{}).Distinct("campaign_id").Where("email_message_id = ?", messageID).Order("campaign_id").Pluck("campaign_id", &ids).Error
	return ids, wrap(err, "campaigns of email %s", messageID)
}

// ScheduleFollowUp writes the notice p for every owner with a car of the
// campaign that is released by p.DueAt and neither completed nor declined,
// in one statement; it returns how many owners got one (an owner who
// already has this very notice is left alone).
func (s *Store) ScheduleFollowUp(ctx context.Context, campaignID int64, p NoticePlan) (int64, error) {
	now := s.now()
	res := s.q(ctx).Exec(`INSERT INTO campaign_notices (campaign_id, owner_id, kind, offset_seconds, revision, due_at, status, created_at, updated_at)
		SELECT ?, o.owner_id, ?, ?, ?, ?, ?, ?, ? FROM (SELECT DISTINCT owner_id FROM campaign_vehicles
		WHERE campaign_id = ? AND owner_id IS NOT NULL AND released_at <= ? AND `+openVehicle+`) o
		WHERE TRUE ON CONFLICT DO NOTHING`,
		campaignID, p.Kind, p.OffsetSeconds, p.Revision, p.DueAt, NoticePending, now, now, campaignID, p.DueAt)
	return res.RowsAffected, wrap(res.Error, "follow-up of campaign #%d", campaignID)
}
