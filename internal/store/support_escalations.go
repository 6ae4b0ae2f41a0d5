// Table support_escalations: owners who need a person, one row per episode
// of a broken car.

package store

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm/clause"

	"reconnect/internal/model"
)

type escalationRow struct {
	ID             int64
	VehicleID      int64
	OwnerID        *int64
	CampaignID     *int64
	Reason         model.EscalationReason
	FailedAttempts int
	EpisodeEventID int64
	RaisedAt       time.Time
	ResolvedAt     *time.Time
}

// TableName pins the table.
func (escalationRow) TableName() string { return "support_escalations" }

func (r escalationRow) model() model.Escalation {
	return model.Escalation{ID: r.ID, VehicleID: r.VehicleID, OwnerID: r.OwnerID, CampaignID: r.CampaignID, Reason: r.Reason,
		FailedAttempts: r.FailedAttempts, EpisodeEventID: r.EpisodeEventID, RaisedAt: r.RaisedAt.UTC(), ResolvedAt: r.ResolvedAt}
}

// brokenStates are the states in which a car waits for its owner (not the
// owner's own trip to Connect).
var brokenStates = []model.State{model.StateNeedsReauth, model.StateNeedsOEMAction, model.StateNeedsVirtualKey}

// waitingStates are brokenStates and the owner's trip to Connect: an
// escalated owner stays in the queue while they try again.
var waitingStates = []model.State{model.StateNeedsReauth, model.StateNeedsOEMAction, model.StateNeedsVirtualKey, model.StateReconnecting}

// episodeStart is the SQL of the car's current episode, for a row whose
// vehicle id is vehicleCol: the id of its latest break from connected, 0
// when none.
func episodeStart(vehicleCol string) string {
	return "COALESCE((SELECT MAX(b.id) FROM vehicle_events b WHERE b.vehicle_id = " + vehicleCol +
		" AND b.kind = '" + string(model.EventStateChanged) + "' AND b.from_state = '" + string(model.StateConnected) +
		"' AND b.to_state IN ('" + string(model.StateNeedsReauth) + "', '" + string(model.StateNeedsOEMAction) + "', '" +
		string(model.StateNeedsVirtualKey) + "')), 0)"
}

// OpenEscalation records that e's owner needs a person in the episode
// e.EpisodeEventID, unless the car already has an escalation in it (once
// per episode). A car's escalation from an earlier episode (it was
// reconnected since) is closed first. opened says whether this call
// recorded it. e.RaisedAt is set from the store's clock when zero.
func (s *Store) OpenEscalation(ctx context.Context, e model.Escalation) (out model.Escalation, opened bool, err error) {
	if !e.Reason.Valid() {
		return e, false, wrap(ErrInvalid, "escalation reason %q", e.Reason)
	}
	if e.RaisedAt.IsZero() {
		e.RaisedAt = s.now()
	}
	err = s.Tx(ctx, func(tx *Store) error {
		err := tx.q(ctx).Model(&escalationRow{}).Where("vehicle_id = ? AND resolved_at IS NULL AND episode_event_id <> ?", e.VehicleID, e.EpisodeEventID).
			Update("resolved_at", e.RaisedAt.UTC()).Error
		if err != nil {
			return wrap(err, "close past escalations of vehicle #%d", e.VehicleID)
		}
		row := escalationRow{VehicleID: e.VehicleID, OwnerID: e.OwnerID, CampaignID: e.CampaignID, Reason: e.Reason,
			FailedAttempts: e.FailedAttempts, EpisodeEventID: e.EpisodeEventID, RaisedAt: e.RaisedAt.UTC()}
		res := tx.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return wrap(res.Error, "escalate vehicle #%d", e.VehicleID)
		}
		out, opened = row.model(), res.RowsAffected == 1
		return nil
	})
	return out, opened, err
}

// Episode is where the car's current episode stands: the id of the
// timeline entry of the latest break from connected that started it (0 when
// none is kept), and how many of the owner's trips to Connect failed since
// (an error from Connect, or a result we could not verify). Two indexed
// reads of the car's own timeline.
func (s *Store) Episode(ctx context.Context, vehicleID int64) (start int64, failed int, err error) {
	var first sql.NullInt64
	err = s.q(ctx).Table("vehicle_events").Select("MAX(id)").
		Where("vehicle_id = ? AND kind = ? AND from_state = ? AND to_state IN ?", vehicleID, model.EventStateChanged, model.StateConnected, brokenStates).
		Row().Scan(&first)
	if err != nil {
		return 0, 0, wrap(err, "episode of vehicle #%d", vehicleID)
	}
	var n int64
	err = s.q(ctx).Table("vehicle_events").Where("vehicle_id = ? AND id > ? AND kind IN ?", vehicleID, first.Int64,
		[]model.EventKind{model.EventReconnectFailed, model.EventReconnectUnverified}).Count(&n).Error
	return first.Int64, int(n), wrap(err, "failed attempts of vehicle #%d", vehicleID)
}

// EscalationCandidate is a broken car whose owner was told everything the
// schedule had, without an open escalation yet.
type EscalationCandidate struct {
	VehicleID  int64
	OwnerID    *int64
	CampaignID *int64
}

// RemindersExhausted lists at most limit broken cars whose owner's email
// schedule is active with at least emails sent (the first email and every
// reminder), the car having been broken when the last went out; and broken
// cars in a running or paused campaign whose owner has been sent notices
// and has none pending. Cars escalated in their current episode are left
// out.
func (s *Store) RemindersExhausted(ctx context.Context, emails, limit int) ([]EscalationCandidate, error) {
	noOpen := "NOT EXISTS (SELECT 1 FROM support_escalations se WHERE se.vehicle_id = v.id AND se.resolved_at IS NULL AND se.episode_event_id = " +
		episodeStart("v.id") + ")"
	var out []EscalationCandidate
	err := s.q(ctx).Table("owner_notifications AS n").Select("v.id AS vehicle_id, v.owner_id").
		Joins("JOIN vehicles v ON v.owner_id = n.owner_id").
		Where("n.active = ? AND n.sent_count >= ? AND n.last_sent_at IS NOT NULL AND v.state IN ? AND v.state_changed_at <= n.last_sent_at",
			true, emails, brokenStates).
		Where(noOpen).Order("v.id").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, wrap(err, "owners past their last reminder")
	}
	if len(out) >= limit {
		return out, nil
	}
	var camp []EscalationCandidate
	err = s.q(ctx).Table("campaign_vehicles AS cv").Select("cv.vehicle_id, cv.owner_id, cv.campaign_id").
		Joins("JOIN campaigns c ON c.id = cv.campaign_id").
		Joins("JOIN vehicles v ON v.id = cv.vehicle_id").
		Where("c.state IN ? AND cv.completed_at IS NULL AND cv.declined_at IS NULL AND v.state IN ?", liveCampaignStates, brokenStates).
		Where("EXISTS (SELECT 1 FROM campaign_notices cn WHERE cn.campaign_id = cv.campaign_id AND cn.owner_id = cv.owner_id AND cn.status = ?)", NoticeSent).
		Where("NOT EXISTS (SELECT 1 FROM campaign_notices cn WHERE cn.campaign_id = cv.campaign_id AND cn.owner_id = cv.owner_id AND cn.status = ?)", NoticePending).
		Where(noOpen).Order("cv.vehicle_id").Limit(limit - len(out)).Scan(&camp).Error
	if err != nil {
		return nil, wrap(err, "owners past their last campaign notice")
	}
	seen := map[int64]bool{}
	for _, c := range out {
		seen[c.VehicleID] = true
	}
	for _, c := range camp {
		if !seen[c.VehicleID] {
			out = append(out, c)
		}
	}
	return out, nil
}

// LiveCampaignOf is the running or paused campaign the car is in and has
// not completed or declined, the newest when several; nil when none.
func (s *Store) LiveCampaignOf(ctx context.Context, vehicleID int64) (*int64, error) {
	var ids []int64
	err := s.q(ctx).Table("campaign_vehicles AS cv").Joins("JOIN campaigns c ON c.id = cv.campaign_id").
		Where("cv.vehicle_id = ? AND c.state IN ? AND cv.completed_at IS NULL AND cv.declined_at IS NULL", vehicleID, liveCampaignStates).
		Order("cv.campaign_id DESC").Limit(1).Pluck("cv.campaign_id", &ids).Error
	if err != nil || len(ids) == 0 {
		return nil, wrap(err, "live campaign of vehicle #%d", vehicleID)
	}
	return &ids[0], nil
}

// QueueRow is one owner in the "Needs a person" queue: the escalation, the
// car and its owner.
type QueueRow struct {
	EscalationID   int64
	Reason         model.EscalationReason
	FailedAttempts int
	RaisedAt       time.Time
	CampaignID     *int64
	VehicleID      int64
	Make, Model    string
	Year           int
	State          model.State
	OwnerID        *int64
	HostUserID     string
	Email          string
	Name           string
}

// EscalationQueue lists the escalations of the cars' current episodes
// whose car still waits for its owner (a car reconnected since has left),
// newest first, by page (ids below p.Before); campaignID narrows it to one
// campaign's cars when not 0 (raised in it, or in its cohort since).
func (s *Store) EscalationQueue(ctx context.Context, campaignID int64, p Page) ([]QueueRow, error) {
	q := s.q(ctx).Table("support_escalations AS se").
		Select(`se.id AS escalation_id, se.reason, se.failed_attempts, se.raised_at, se.campaign_id, v.id AS vehicle_id,
			v.make, v.model, v.year, v.state, se.owner_id, o.host_user_id, o.email, o.name`).
		Joins("JOIN vehicles v ON v.id = se.vehicle_id").
		Joins("LEFT JOIN owners o ON o.id = se.owner_id").
		Where("se.resolved_at IS NULL AND v.state IN ?", waitingStates).
		Where("se.episode_event_id = " + episodeStart("se.vehicle_id"))
	if campaignID != 0 {
		// The campaign it was raised in, or one the car has joined since.
		q = q.Where("(se.campaign_id = ? OR EXISTS (SELECT 1 FROM campaign_vehicles cv WHERE cv.vehicle_id = se.vehicle_id AND cv.campaign_id = ?))",
			campaignID, campaignID)
	}
	if p.Before > 0 {
		q = q.Where("se.id < ?", p.Before)
	}
	var out []QueueRow
	err := q.Order("se.id DESC").Limit(p.limit()).Scan(&out).Error
	for i := range out {
		out[i].RaisedAt = out[i].RaisedAt.UTC()
	}
	return out, wrap(err, "needs-a-person queue")
}
