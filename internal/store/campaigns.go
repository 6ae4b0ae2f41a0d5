// Table campaigns: planned carmaker migrations, their rules and schedule.

package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"reconnect/internal/model"
)

// campaignRow is a campaigns row: the lists and the message are JSON text,
// the durations seconds.
type campaignRow struct {
	ID                int64
	Name              string
	State             model.CampaignState
	Make              string
	Models            string
	YearFrom          int
	YearTo            int
	Countries         string
	HasVehicleList    bool
	Reason            model.CampaignReason
	CustomMessage     string
	CutoverAt         time.Time
	CutoverRevision   int
	BreaksConnections bool
	RepairFlow        model.RepairFlow
	NoticeOffsets     string
	FirstWave         int
	WaveHold          int64
	IdempotencyKey    *string
	RequestHash       string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	LaunchedAt        *time.Time
	PausedAt          *time.Time
	FinishedAt        *time.Time
	CancelledAt       *time.Time
	PauseReason       model.PauseReason
	PauseDetail       string
	ResumedAt         *time.Time
}

func (campaignRow) TableName() string { return "campaigns" }

func toCampaignRow(c model.Campaign) campaignRow {
	offsets := make([]int64, len(c.NoticeOffsets))
	for i, d := range c.NoticeOffsets {
		offsets[i] = int64(d / time.Second)
	}
	r := campaignRow{
		ID: c.ID, Name: c.Name, State: c.State, Make: c.Make, Models: jsonText(c.Models, "[]"),
		YearFrom: c.YearFrom, YearTo: c.YearTo, Countries: jsonText(c.Countries, "[]"), HasVehicleList: c.HasVehicleList,
		Reason: c.Reason, CustomMessage: jsonText(c.CustomMessage, "{}"), CutoverAt: c.CutoverAt.UTC(),
		CutoverRevision: c.CutoverRevision, BreaksConnections: c.BreaksConnections, RepairFlow: c.RepairFlow,
		NoticeOffsets: jsonText(offsets, "[]"), FirstWave: c.FirstWave, WaveHold: int64(c.WaveHold / time.Second),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, LaunchedAt: c.LaunchedAt, PausedAt: c.PausedAt,
		FinishedAt: c.FinishedAt, CancelledAt: c.CancelledAt,
		PauseReason: c.PauseReason, PauseDetail: c.PauseDetail, ResumedAt: c.ResumedAt,
	}
	if c.IdempotencyKey != "" {
		k := c.IdempotencyKey
		r.IdempotencyKey = &k
	}
	return r
}

func (r campaignRow) campaign() model.Campaign {
	c := model.Campaign{
		ID: r.ID, Name: r.Name, State: r.State, Make: r.Make, YearFrom: r.YearFrom, YearTo: r.YearTo,
		HasVehicleList: r.HasVehicleList, Reason: r.Reason, CutoverAt: r.CutoverAt.UTC(), CutoverRevision: r.CutoverRevision,
		BreaksConnections: r.BreaksConnections, RepairFlow: r.RepairFlow, FirstWave: r.FirstWave,
		WaveHold: time.Duration(r.WaveHold) * time.Second, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		LaunchedAt: r.LaunchedAt, PausedAt: r.PausedAt, FinishedAt: r.FinishedAt, CancelledAt: r.CancelledAt,
		PauseReason: r.PauseReason, PauseDetail: r.PauseDetail, ResumedAt: r.ResumedAt,
	}
	if r.IdempotencyKey != nil {
		c.IdempotencyKey = *r.IdempotencyKey
	}
	_ = json.Unmarshal([]byte(r.Models), &c.Models)
	_ = json.Unmarshal([]byte(r.Countries), &c.Countries)
	_ = json.Unmarshal([]byte(r.CustomMessage), &c.CustomMessage)
	var offsets []int64
	_ = json.Unmarshal([]byte(r.NoticeOffsets), &offsets)
	for _, o := range offsets {
		c.NoticeOffsets = append(c.NoticeOffsets, time.Duration(o)*time.Second)
	}
	return c
}

func jsonText(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

// CreateCampaign inserts a draft. requestHash is a digest of the request
// that created it, kept beside its idempotency key. When another campaign
// already holds the key, nothing is written and the error is ErrConflict:
// the caller compares hashes with CampaignByIdempotencyKey.
func (s *Store) CreateCampaign(ctx context.Context, c model.Campaign, requestHash string) (model.Campaign, error) {
	now := s.now()
	c.ID, c.State, c.CreatedAt, c.UpdatedAt = 0, model.CampaignDraft, now, now
	r := toCampaignRow(c)
	r.RequestHash = requestHash
	// DO NOTHING rather than a unique violation: on PostgreSQL a violation
	// would abort the caller's transaction.
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if res.Error != nil {
		return model.Campaign{}, wrap(res.Error, "create campaign %q", c.Name)
	}
	if res.RowsAffected == 0 {
		return model.Campaign{}, fmt.Errorf("store: create campaign: idempotency key in use: %w", ErrConflict)
	}
	return r.campaign(), nil
}

// CampaignByIdempotencyKey finds the campaign created with key, and the
// digest of the request that created it.
func (s *Store) CampaignByIdempotencyKey(ctx context.Context, key string) (model.Campaign, string, error) {
	var r campaignRow
	err := s.q(ctx).Where("idempotency_key = ?", key).Take(&r).Error
	return r.campaign(), r.RequestHash, wrap(err, "campaign by idempotency key")
}

// CampaignByID finds a campaign.
func (s *Store) CampaignByID(ctx context.Context, id int64) (model.Campaign, error) {
	var r campaignRow
	err := s.q(ctx).Take(&r, id).Error
	return r.campaign(), wrap(err, "campaign #%d", id)
}

// CampaignsByIDs reads the campaigns with these ids, in one statement, by
// id; an id that names no campaign is left out.
func (s *Store) CampaignsByIDs(ctx context.Context, ids []int64) ([]model.Campaign, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rs []campaignRow
	if err := s.q(ctx).Where("id IN ?", ids).Order("id").Find(&rs).Error; err != nil {
		return nil, wrap(err, "campaigns %v", ids)
	}
	out := make([]model.Campaign, len(rs))
	for i, r := range rs {
		out[i] = r.campaign()
	}
	return out, nil
}

// LaunchSettled reports whether the launch's deferred writes (timeline
// entries, notices) of the campaign have committed.
func (s *Store) LaunchSettled(ctx context.Context, id int64) (bool, error) {
	var n int64
	err := s.q(ctx).Raw("SELECT COUNT(*) FROM campaigns WHERE id = ? AND launch_settled_at IS NOT NULL", id).Scan(&n).Error
	return n > 0, wrap(err, "launch of campaign #%d settled", id)
}

// MarkLaunchSettled records that the launch's deferred writes committed,
// in their transaction.
func (s *Store) MarkLaunchSettled(ctx context.Context, id int64, at time.Time) error {
	err := s.q(ctx).Exec("UPDATE campaigns SET launch_settled_at = ? WHERE id = ?", at, id).Error
	return wrap(err, "settle launch of campaign #%d", id)
}

// LockCampaign reads a campaign and, on PostgreSQL, locks its row for the
// rest of the caller's transaction, so that two instances launching,
// pausing or rescheduling it take turns.
func (s *Store) LockCampaign(ctx context.Context, id int64) (model.Campaign, error) {
	var r campaignRow
	err := s.lockRow(s.q(ctx)).Take(&r, id).Error
	return r.campaign(), wrap(err, "lock campaign #%d", id)
}

// Campaigns lists campaigns newest first, a page at a time.
func (s *Store) Campaigns(ctx context.Context, p Page) ([]model.Campaign, error) {
	var rs []campaignRow
	if err := p.scope(s.q(ctx)).Find(&rs).Error; err != nil {
		return nil, wrap(err, "list campaigns")
	}
	out := make([]model.Campaign, len(rs))
	for i, r := range rs {
		out[i] = r.campaign()
	}
	return out, nil
}

// LiveCampaigns lists running and paused campaigns, earliest cut-over first.
func (s *Store) LiveCampaigns(ctx context.Context) ([]model.Campaign, error) {
	var rs []campaignRow
	err := s.q(ctx).Where("state IN ?", []model.CampaignState{model.CampaignRunning, model.CampaignPaused}).
		Order("cutover_at").Order("id").Find(&rs).Error
	if err != nil {
		return nil, wrap(err, "live campaigns")
	}
	out := make([]model.Campaign, len(rs))
	for i, r := range rs {
		out[i] = r.campaign()
	}
	return out, nil
}

// SaveCampaignRules writes a campaign's definition (everything but its
// state, clocks and idempotency key).
func (s *Store) SaveCampaignRules(ctx context.Context, c model.Campaign) (model.Campaign, error) {
	r := toCampaignRow(c)
	err := s.q(ctx).Model(&campaignRow{}).Where("id = ?", c.ID).Updates(map[string]any{
		"name": r.Name, "make": r.Make, "models": r.Models, "year_from": r.YearFrom, "year_to": r.YearTo,
		"countries": r.Countries, "has_vehicle_list": r.HasVehicleList, "reason": r.Reason, "custom_message": r.CustomMessage,
		"cutover_at": r.CutoverAt, "cutover_revision": r.CutoverRevision, "breaks_connections": r.BreaksConnections,
		"repair_flow": r.RepairFlow, "notice_offsets": r.NoticeOffsets, "first_wave": r.FirstWave, "wave_hold": r.WaveHold,
		"updated_at": s.now(),
	}).Error
	if err != nil {
		return model.Campaign{}, wrap(err, "save campaign #%d", c.ID)
	}
	return s.CampaignByID(ctx, c.ID)
}

// campaignClock names the column that records when a campaign entered a state.
var campaignClock = map[model.CampaignState]string{
	model.CampaignRunning:   "launched_at",
	model.CampaignPaused:    "paused_at",
	model.CampaignFinished:  "finished_at",
	model.CampaignCancelled: "cancelled_at",
}

// MoveCampaign changes a campaign's state from `from` to `to` at `at`, only
// if it is in `from` now: the conditional update is what makes two
// instances (or a retried request) move it once. moved is false when it was
// not in `from`. Entering running sets launched_at the first time only (a
// resume keeps it); entering paused sets paused_at, leaving it clears it.
func (s *Store) MoveCampaign(ctx context.Context, id int64, from, to model.CampaignState, at time.Time) (moved bool, err error) {
	up := map[string]any{"state": to, "updated_at": s.now()}
	if col := campaignClock[to]; col != "" {
		up[col] = at
	}
	if from == model.CampaignPaused && to == model.CampaignRunning {
		delete(up, "launched_at")
		up["resumed_at"] = at
	}
	if to != from {
		// A pause is staff's until SetCampaignPause says it was automatic.
		up["pause_reason"], up["pause_detail"] = "", ""
	}
	if to != model.CampaignPaused {
		up["paused_at"] = nil
	}
	res := s.q(ctx).Model(&campaignRow{}).Where("id = ? AND state = ?", id, from).Updates(up)
	if res.Error != nil {
		return false, wrap(res.Error, "move campaign #%d to %s", id, to)
	}
	return res.RowsAffected == 1, nil
}

// CohortFilter is a campaign's rules as a query on vehicles: every rule
// that is set must hold.
type CohortFilter struct {
	Make      string
	Models    []string
	YearFrom  int
	YearTo    int
	Countries []string
	// ListOf narrows to the saved vehicle list of this campaign
	// (campaign_targets); Refs to these Smartcar ids or VINs instead.
	ListOf int64
	Refs   []string
}

// CohortFilterOf is the filter of a saved campaign.
func CohortFilterOf(c model.Campaign) CohortFilter {
	f := CohortFilter{Make: c.Make, Models: c.Models, YearFrom: c.YearFrom, YearTo: c.YearTo, Countries: c.Countries}
	if c.HasVehicleList {
		f.ListOf = c.ID
	}
	return f
}

// where renders the filter over the vehicles table aliased v.
func (f CohortFilter) where() (string, []any) {
	conds := []string{"v.make = ?"}
	args := []any{f.Make}
	if len(f.Models) > 0 {
		conds, args = append(conds, "v.model IN ?"), append(args, f.Models)
	}
	if f.YearFrom > 0 {
		conds, args = append(conds, "v.year >= ?"), append(args, f.YearFrom)
	}
	if f.YearTo > 0 {
		conds, args = append(conds, "v.year <= ?"), append(args, f.YearTo)
	}
	if len(f.Countries) > 0 {
		conds, args = append(conds, "v.country IN ?"), append(args, f.Countries)
	}
	switch {
	case f.ListOf != 0:
		conds = append(conds, "(v.smartcar_id IN (SELECT ref FROM campaign_targets WHERE campaign_id = ?) OR v.vin IN (SELECT UPPER(ref) FROM campaign_targets WHERE campaign_id = ?))")
		args = append(args, f.ListOf, f.ListOf)
	case f.Refs != nil && len(f.Refs) == 0:
		conds = append(conds, "1 = 0")
	case f.Refs != nil:
		upper := make([]string, len(f.Refs))
		for i, r := range f.Refs {
			upper[i] = strings.ToUpper(r)
		}
		conds = append(conds, "(v.smartcar_id IN ? OR v.vin IN ?)")
		args = append(args, f.Refs, upper)
	}
	return strings.Join(conds, " AND "), args
}

// Matches reports whether vehicle v satisfies the filter (a late join).
func (s *Store) Matches(ctx context.Context, f CohortFilter, vehicleID int64) (bool, error) {
	where, args := f.where()
	var n int64
	err := s.q(ctx).Raw("SELECT COUNT(*) FROM vehicles v WHERE v.id = ? AND "+where, append([]any{vehicleID}, args...)...).Scan(&n).Error
	return n > 0, wrap(err, "match vehicle #%d", vehicleID)
}

// CohortCounts describes a cohort: how many vehicles and distinct owners,
// the vehicles by connection state, and how many cannot be told (no owner,
// or an owner without an email address).
type CohortCounts struct {
	Vehicles int64
	Owners   int64
	ByState  map[model.State]int64
	NoOwner  int64
	NoEmail  int64
}

// CountCohort counts the vehicles matching f now (a draft's preview).
func (s *Store) CountCohort(ctx context.Context, f CohortFilter) (CohortCounts, error) {
	where, args := f.where()
	return s.countCohort(ctx, "vehicles v LEFT JOIN owners o ON o.id = v.owner_id WHERE "+where, args)
}

// CountCampaignCohort counts a launched campaign's snapshot, by the
// vehicles' current states.
func (s *Store) CountCampaignCohort(ctx context.Context, campaignID int64) (CohortCounts, error) {
	return s.countCohort(ctx, "campaign_vehicles cv JOIN vehicles v ON v.id = cv.vehicle_id LEFT JOIN owners o ON o.id = v.owner_id WHERE cv.campaign_id = ?", []any{campaignID})
}

func (s *Store) countCohort(ctx context.Context, from string, args []any) (CohortCounts, error) {
	out := CohortCounts{ByState: map[model.State]int64{}}
	rows, err := s.q(ctx).Raw(`SELECT v.state, COUNT(*),
		SUM(CASE WHEN v.owner_id IS NULL THEN 1 ELSE 0 END),
		SUM(CASE WHEN v.owner_id IS NOT NULL AND o.email = '' THEN 1 ELSE 0 END)
		FROM `+from+` GROUP BY v.state`, args...).Rows()
	if err != nil {
		return out, wrap(err, "count cohort")
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n, noOwner, noEmail int64
		if err := rows.Scan(&st, &n, &noOwner, &noEmail); err != nil {
			return out, wrap(err, "count cohort: scan")
		}
		out.ByState[model.State(st)] = n
		out.Vehicles += n
		out.NoOwner += noOwner
		out.NoEmail += noEmail
	}
	if err := rows.Err(); err != nil {
		return out, wrap(err, "count cohort")
	}
	err = s.q(ctx).Raw("SELECT COUNT(DISTINCT v.owner_id) FROM "+from, args...).Scan(&out.Owners).Error
	return out, wrap(err, "count cohort owners")
}

// SetCampaignPause records why a campaign that was just paused paused
// itself, and the numbers (JSON) that tripped it.
func (s *Store) SetCampaignPause(ctx context.Context, id int64, reason model.PauseReason, detail string) error {
	err := s.q(ctx).Model(&campaignRow{}).Where("id = ?", id).
		Updates(map[string]any{"pause_reason": reason, "pause_detail": detail, "updated_at": s.now()}).Error
	return wrap(err, "pause reason of campaign #%d", id)
}

// RunningCampaignIDs lists the running campaigns, for the periodic safety
// check.
func (s *Store) RunningCampaignIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.q(ctx).Model(&campaignRow{}).Where("state = ?", model.CampaignRunning).Order("id").Pluck("id", &ids).Error
	return ids, wrap(err, "running campaigns")
}

// AutoPausedCampaigns lists the campaigns that are paused because they
// paused themselves, newest first.
func (s *Store) AutoPausedCampaigns(ctx context.Context) ([]model.Campaign, error) {
	var rows []campaignRow
	err := s.q(ctx).Where("state = ? AND pause_reason <> ''", model.CampaignPaused).Order("id DESC").Limit(100).Find(&rows).Error
	out := make([]model.Campaign, len(rows))
	for i, r := range rows {
		out[i] = r.campaign()
	}
	return out, wrap(err, "auto-paused campaigns")
}
