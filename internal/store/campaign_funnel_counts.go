// Table campaign_funnel_counts: a campaign's vehicles by their one funnel
// step, kept up to date from the queue of changed vehicles
// (campaign_funnel_dirty, which only this file reads and writes).

package store

import (
	"context"
	"slices"
	"strings"

	"reconnect/internal/model"
)

// funnelCountLock is the PostgreSQL advisory lock class that serializes
// two recounts of one campaign (the second finds nothing left to do).
// SQLite has one connection, so its transactions are already one at a time.
const funnelCountLock = 0x66756e6e // "funn"

// inCampaign selects one vehicle's row of one campaign, for queueFunnel.
const inCampaign = "campaign_id = ? AND vehicle_id = ?"

// queueFunnel queues the campaign rows that where (over campaign_vehicles)
// selects for a recount: their step, or what it depends on, may have
// changed. A vehicle queued already stays queued once.
func (s *Store) queueFunnel(ctx context.Context, where string, args ...any) error {
	err := s.q(ctx).Exec(`INSERT INTO campaign_funnel_dirty (campaign_id, vehicle_id)
		SELECT campaign_id, vehicle_id FROM campaign_vehicles WHERE `+where+` ON CONFLICT DO NOTHING`, args...).Error
	return wrap(err, "queue funnel recount")
}

// MarkOwnerFunnelDirty queues every campaign row of the owner's vehicles
// for a recount: their address, subscription or a campaign email's outcome
// changed, and with it maybe their step (notified or unreachable).
func (s *Store) MarkOwnerFunnelDirty(ctx context.Context, ownerID int64) error {
	return s.queueFunnel(ctx, "owner_id = ?", ownerID)
}

// MarkVehicleFunnelDirty queues the vehicle's campaign rows for a recount
// when it is counted under another model or country than mdl and country.
func (s *Store) MarkVehicleFunnelDirty(ctx context.Context, vehicleID int64, mdl, country string) error {
	return s.queueFunnel(ctx, "vehicle_id = ? AND counted_step <> '' AND (counted_model <> ? OR counted_country <> ?)", vehicleID, mdl, country)
}

// RecountCampaignFunnel recounts every vehicle of the campaign: the
// counters then hold exactly what a pass over the cohort gives. For repairs
// and tests; the funnel's reader recounts only what changed
// (RefreshCampaignFunnel).
func (s *Store) RecountCampaignFunnel(ctx context.Context, campaignID int64) error {
	return s.Tx(ctx, func(tx *Store) error { return tx.recount(ctx, campaignID, true) })
}

// RefreshCampaignFunnel brings the campaign's counters up to date: each
// queued vehicle leaves the counters of what it was counted as and joins
// those of what it is now, in one transaction. With nothing queued it
// costs two primary-key lookups. A cohort never counted (just launched) is
// counted whole, in a few set-wise statements over its rows.
func (s *Store) RefreshCampaignFunnel(ctx context.Context, campaignID int64) error {
	var counted []int
	err := s.q(ctx).Raw("SELECT 1 FROM campaign_funnel_counts WHERE campaign_id = ? LIMIT 1", campaignID).Scan(&counted).Error
	if err != nil {
		return wrap(err, "funnel of campaign #%d", campaignID)
	}
	if len(counted) == 0 {
		var any []int
		if err := s.q(ctx).Raw("SELECT 1 FROM campaign_vehicles WHERE campaign_id = ? LIMIT 1", campaignID).Scan(&any).Error; err != nil || len(any) == 0 {
			return wrap(err, "funnel of campaign #%d", campaignID)
		}
		// Not through the queue: 200,000 rows in and out of it would leave
		// its index full of dead entries for every read until a vacuum.
		return s.Tx(ctx, func(tx *Store) error { return tx.recount(ctx, campaignID, true) })
	}
	var queued []int
	err = s.q(ctx).Raw("SELECT 1 FROM campaign_funnel_dirty WHERE campaign_id = ? LIMIT 1", campaignID).Scan(&queued).Error
	if err != nil || len(queued) == 0 {
		return wrap(err, "funnel of campaign #%d", campaignID)
	}
	return s.Tx(ctx, func(tx *Store) error { return tx.recount(ctx, campaignID, false) })
}

// counted is a group of campaign_vehicles as the counters know them.
const countedGroup = "counted_wave, counted_model, counted_country"

// taken selects the rows of campaign_vehicles (cv) a recount works on:
// every row of the campaign, or those it took from the queue (q), read from
// the queue so that a few changes cost a few primary-key lookups however
// large the cohort. The SQL has one parameter, the campaign's id.
type taken struct{ from, where, updateFrom string }

func takenRows(all bool) taken {
	if all {
		return taken{from: "campaign_vehicles cv", where: "cv.campaign_id = ?", updateFrom: "WHERE "}
	}
	return taken{
		from:       "campaign_funnel_dirty q JOIN campaign_vehicles cv ON cv.campaign_id = q.campaign_id AND cv.vehicle_id = q.vehicle_id",
		where:      "q.campaign_id = ? AND q.claimed",
		updateFrom: "FROM campaign_funnel_dirty q WHERE q.campaign_id = cv.campaign_id AND q.vehicle_id = cv.vehicle_id AND ",
	}
}

// recount moves the taken rows (all: every row of the campaign) from the
// counters of what they were counted as to those of what they are now.
func (s *Store) recount(ctx context.Context, campaignID int64, all bool) error {
	rows := takenRows(all)
	if s.postgres() {
		if err := s.q(ctx).Exec("SELECT pg_advisory_xact_lock(?, ?)", funnelCountLock, int32(campaignID)).Error; err != nil {
			return wrap(err, "lock funnel of campaign #%d", campaignID)
		}
	}
	exec := func(what, q string, args ...any) error {
		return wrap(s.q(ctx).Exec(q, args...).Error, "funnel of campaign #%d: %s", campaignID, what)
	}
	// Claim the queue (on PostgreSQL this also locks it, so a vehicle
	// queued again meanwhile waits for this recount and then stays queued
	// for the next).
	if err := exec("claim", "UPDATE campaign_funnel_dirty SET claimed = ? WHERE campaign_id = ?", true, campaignID); err != nil {
		return err
	}
	if err := s.addContributions(ctx, campaignID, rows, "-"); err != nil {
		return err
	}
	detail := `CASE WHEN cv.completed_at IS NULL AND cv.declined_at IS NOT NULL THEN cv.declined_reason
		WHEN cv.completed_at IS NULL AND cv.failed_at IS NOT NULL THEN cv.failed_error ELSE '' END`
	day := func(col string) string { return "COALESCE(" + s.utcDay("cv."+col) + ", '')" }
	if err := exec("recount", `UPDATE campaign_vehicles AS cv SET counted_step = `+funnelStepSQL()+`,
		counted_notice = COALESCE(`+attributedNoticeSQL()+`, ''), counted_detail = `+detail+`, counted_wave = cv.wave,
		counted_model = COALESCE((SELECT v.model FROM vehicles v WHERE v.id = cv.vehicle_id), ''),
		counted_country = COALESCE((SELECT v.country FROM vehicles v WHERE v.id = cv.vehicle_id), ''),
		counted_notified_day = `+day("notified_at")+`, counted_opened_day = `+day("opened_at")+`,
		counted_completed_day = `+day("completed_at")+`
		`+rows.updateFrom+rows.where, campaignID); err != nil {
		return err
	}
	if err := s.addContributions(ctx, campaignID, rows, ""); err != nil {
		return err
	}
	if err := exec("settle", "DELETE FROM campaign_funnel_dirty WHERE campaign_id = ? AND claimed = ?", campaignID, true); err != nil {
		return err
	}
	if err := exec("tidy counts", "DELETE FROM campaign_funnel_counts WHERE campaign_id = ? AND vehicles = 0", campaignID); err != nil {
		return err
	}
	return exec("tidy days", "DELETE FROM campaign_funnel_days WHERE campaign_id = ? AND notified = 0 AND opened = 0 AND completed = 0", campaignID)
}

// addContributions adds (sign "") or subtracts (sign "-") what the taken
// rows are counted as to the step counters and the days.
func (s *Store) addContributions(ctx context.Context, campaignID int64, rows taken, sign string) error {
	err := s.q(ctx).Exec(`INSERT INTO campaign_funnel_counts (campaign_id, wave, model, country, step, notice, detail, vehicles)
		SELECT cv.campaign_id, `+countedGroup+`, counted_step, counted_notice, counted_detail, `+sign+`COUNT(*)
		FROM `+rows.from+` WHERE `+rows.where+` AND cv.counted_step <> ''
		GROUP BY cv.campaign_id, `+countedGroup+`, counted_step, counted_notice, counted_detail
		ON CONFLICT (campaign_id, wave, model, country, step, notice, detail)
		DO UPDATE SET vehicles = campaign_funnel_counts.vehicles + excluded.vehicles`, campaignID).Error
	if err != nil {
		return wrap(err, "funnel of campaign #%d: counts", campaignID)
	}
	// campaign_funnel_days has a column per step of the chart, named after it.
	chart := []model.FunnelStep{model.StepNotified, model.StepOpened, model.StepCompleted}
	for _, st := range chart {
		col := string(st)
		vals := make([]string, len(chart))
		for i, other := range chart {
			vals[i] = "0"
			if other == st {
				vals[i] = sign + "COUNT(*)"
			}
		}
		err := s.q(ctx).Exec(`INSERT INTO campaign_funnel_days (campaign_id, wave, model, country, day, notified, opened, completed)
			SELECT cv.campaign_id, `+countedGroup+`, counted_`+col+`_day, `+strings.Join(vals, ", ")+`
			FROM `+rows.from+` WHERE `+rows.where+` AND cv.counted_`+col+`_day <> ''
			GROUP BY cv.campaign_id, `+countedGroup+`, counted_`+col+`_day
			ON CONFLICT (campaign_id, wave, model, country, day) DO UPDATE SET
				notified = campaign_funnel_days.notified + excluded.notified, opened = campaign_funnel_days.opened + excluded.opened,
				completed = campaign_funnel_days.completed + excluded.completed`, campaignID).Error
		if err != nil {
			return wrap(err, "funnel of campaign #%d: days %s", campaignID, col)
		}
	}
	return nil
}

// FunnelFilter narrows a campaign's funnel to one wave, model or country;
// the zero value keeps every vehicle.
type FunnelFilter struct {
	Wave    int
	Model   string
	Country string
}

// where narrows the counter tables.
func (f FunnelFilter) where() (string, []any) {
	q, args := "", []any{}
	if f.Wave > 0 {
		q, args = q+" AND wave = ?", append(args, f.Wave)
	}
	if f.Model != "" {
		q, args = q+" AND model = ?", append(args, f.Model)
	}
	if f.Country != "" {
		q, args = q+" AND country = ?", append(args, f.Country)
	}
	return q, args
}

// FunnelGroup counts a campaign's vehicles that share a step, a wave, a
// model, a country, (for completions) the notice step they are attributed
// to and (for declines and failures) the owner's reason or Connect's error.
// Notice is "" for "direct" (see NoticeCount.Key); Detail is "" for the
// other steps.
type FunnelGroup struct {
	Step     model.FunnelStep
	Wave     int
	Model    string
	Country  string
	Notice   string
	Detail   string
	Vehicles int64
}

// CampaignFunnelGroups reads the campaign's counters (narrowed by f), as
// of the last refresh (RefreshCampaignFunnel).
func (s *Store) CampaignFunnelGroups(ctx context.Context, campaignID int64, f FunnelFilter) ([]FunnelGroup, error) {
	where, args := f.where()
	rows, err := s.q(ctx).Raw(`SELECT step, wave, model, country, notice, detail, vehicles FROM campaign_funnel_counts
		WHERE campaign_id = ? AND vehicles <> 0`+where+` ORDER BY wave, model, country, step`, append([]any{campaignID}, args...)...).Rows()
	if err != nil {
		return nil, wrap(err, "funnel of campaign #%d", campaignID)
	}
	defer rows.Close()
	var out []FunnelGroup
	for rows.Next() {
		var g FunnelGroup
		var step string
		if err := rows.Scan(&step, &g.Wave, &g.Model, &g.Country, &g.Notice, &g.Detail, &g.Vehicles); err != nil {
			return nil, wrap(err, "funnel of campaign #%d: scan", campaignID)
		}
		g.Step = model.FunnelStep(step)
		out = append(out, g)
	}
	return out, wrap(rows.Err(), "funnel of campaign #%d", campaignID)
}

// FunnelFacets are the waves, models and countries of a campaign's
// cohort, sorted: the choices of the funnel's filters.
type FunnelFacets struct {
	Waves     []int
	Models    []string
	Countries []string
}

// CampaignFunnelFacets lists the distinct waves, models and countries of
// the campaign's counted vehicles, in one read of the counters.
func (s *Store) CampaignFunnelFacets(ctx context.Context, campaignID int64) (FunnelFacets, error) {
	gs, err := s.CampaignFunnelGroups(ctx, campaignID, FunnelFilter{})
	if err != nil {
		return FunnelFacets{}, err
	}
	return FacetsOf(gs), nil
}

// FacetsOf lists the distinct waves, models and countries of the groups.
func FacetsOf(gs []FunnelGroup) FunnelFacets {
	var out FunnelFacets
	for _, g := range gs {
		if g.Vehicles == 0 {
			continue
		}
		if !slices.Contains(out.Waves, g.Wave) {
			out.Waves = append(out.Waves, g.Wave)
		}
		if !slices.Contains(out.Models, g.Model) {
			out.Models = append(out.Models, g.Model)
		}
		if !slices.Contains(out.Countries, g.Country) {
			out.Countries = append(out.Countries, g.Country)
		}
	}
	slices.Sort(out.Waves)
	slices.Sort(out.Models)
	slices.Sort(out.Countries)
	return out
}

// sqlText quotes a constant of the code (never input) as an SQL string.
func sqlText(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// noticeEmails is the join from a vehicle's row (cv) to the emails that
// carried its campaign's notices to its owner.
const noticeEmails = `FROM campaign_notices n JOIN email_messages e ON e.message_id = n.email_message_id
	WHERE n.campaign_id = cv.campaign_id AND n.owner_id = cv.owner_id`

// funnelStepSQL is one vehicle's funnel step (model.FunnelPrecedence) as
// an SQL expression over cv (campaign_vehicles).
//
// notified_at is written with the email in the transaction that records
// it, before the mail server has it; so an owner counts as notified once
// one of the campaign's emails to them was accepted (status sent), or when
// no email was involved at all (the host's status API handed the message
// out). An owner whose campaign emails all failed for good (refused at
// sending, or bounced for good afterwards) is unreachable,
// as is one without an address or who unsubscribed.
func funnelStepSQL() string {
	// A permanent bounce reported later takes an accepted email back.
	accepted := `EXISTS (SELECT 1 ` + noticeEmails + ` AND e.status = ` + sqlText(EmailSent) + ` AND NOT e.bounce_permanent)`
	anyEmail := `EXISTS (SELECT 1 ` + noticeEmails + `)`
	failed := `(EXISTS (SELECT 1 ` + noticeEmails + ` AND (e.status = ` + sqlText(EmailFailed) + ` OR e.bounce_permanent)) AND NOT ` + accepted + `)`
	noAddress := `EXISTS (SELECT 1 FROM owners o WHERE o.id = cv.owner_id AND (COALESCE(o.email, '') = '' OR o.unsubscribed_at IS NOT NULL))`
	cond := map[model.FunnelStep]string{
		model.StepCompleted:   "cv.completed_at IS NOT NULL",
		model.StepDeclined:    "cv.declined_at IS NOT NULL",
		model.StepFailed:      "cv.failed_at IS NOT NULL",
		model.StepStarted:     "cv.started_at IS NOT NULL",
		model.StepOpened:      "cv.opened_at IS NOT NULL",
		model.StepNotified:    "cv.notified_at IS NOT NULL AND (" + accepted + " OR NOT " + anyEmail + ")",
		model.StepUnreachable: "cv.owner_id IS NULL OR " + noAddress + " OR " + failed,
	}
	var b strings.Builder
	b.WriteString("CASE")
	for _, st := range model.FunnelPrecedence {
		if c, ok := cond[st]; ok {
			b.WriteString(" WHEN " + c + " THEN " + sqlText(string(st)))
		}
	}
	b.WriteString(" ELSE " + sqlText(string(model.StepNotNotified)) + " END")
	return b.String()
}

// noticeKeySQL names a notice's step of the schedule as NoticeCount.Key
// does, over n (campaign_notices).
const noticeKeySQL = "n.kind || ':' || CAST(n.offset_seconds AS TEXT) || ':' || CAST(n.revision AS TEXT)"

// attributedNoticeSQL is the step (noticeKeySQL) of the campaign notice
// whose email link opened the session a vehicle completed in: the link of
// the last trip to Connect that fixed the car before its completion, when
// that link came from one of this campaign's emails. NULL (direct)
// otherwise, and for completions that came by another way than a Connect
// callback.
func attributedNoticeSQL() string {
	return `CASE WHEN cv.completed_at IS NOT NULL AND cv.completed_source = ` + sqlText(string(model.SourceCallback)) + ` THEN (
		SELECT ` + noticeKeySQL + ` FROM connect_states cs JOIN owner_links l ON l.id = cs.link_id
		JOIN campaign_notices n ON n.campaign_id = cv.campaign_id AND n.owner_id = l.owner_id AND n.email_message_id = l.source_ref
		WHERE cs.id = (SELECT MAX(cs2.id) FROM connect_states cs2 WHERE cs2.vehicle_id = cv.vehicle_id
			AND cs2.outcome = ` + sqlText(OutcomeFixed) + ` AND cs2.created_at <= cv.completed_at)
		AND l.source_ref <> '' ORDER BY n.id LIMIT 1) END`
}
