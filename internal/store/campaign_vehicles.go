// Table campaign_vehicles: a launched campaign's cohort and each vehicle's funnel.

package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"reconnect/internal/model"
)

// CampaignVehicle is one vehicle of a launched campaign and the clock of
// each step of its funnel (nil: not reached).
type CampaignVehicle struct {
	CampaignID      int64
	VehicleID       int64
	OwnerID         *int64
	JoinedAt        time.Time
	Wave            int
	ReleasedAt      time.Time
	NotifiedAt      *time.Time
	OpenedAt        *time.Time
	StartedAt       *time.Time
	CompletedAt     *time.Time
	CompletedSource model.Source
	DeclinedAt      *time.Time
	DeclinedReason  string
	FailedAt        *time.Time
	FailedError     string
}

// TableName pins the table.
func (CampaignVehicle) TableName() string { return "campaign_vehicles" }

// Open reports whether the vehicle still has something to do in the
// campaign: neither completed nor declined.
func (cv CampaignVehicle) Open() bool { return cv.CompletedAt == nil && cv.DeclinedAt == nil }

// openVehicle is the SQL of CampaignVehicle.Open; openVehicleCV the same
// after a "cv." qualifier.
const (
	openVehicle   = "completed_at IS NULL AND declined_at IS NULL"
	openVehicleCV = "completed_at IS NULL AND cv.declined_at IS NULL"
)

// Waves splits a cohort's owners in two: the first Keep owners are
// released at First, the rest at Later. Owners are ranked by their
// vehicles' highest priority, then by id, so the host decides who hears
// first and the order is stable. Vehicles without an owner are in the
// first wave (nobody is told about them).
type Waves struct {
	Keep         int64
	First, Later time.Time
}

// timeParam is a bound time whose type the database cannot infer (inside a
// CASE): PostgreSQL must be told; SQLite stores it as given.
func (s *Store) timeParam() string {
	if s.postgres() {
		return "CAST(? AS TIMESTAMPTZ)"
	}
	return "?"
}

// CountCohortOwners counts the distinct owners of the vehicles matching f.
func (s *Store) CountCohortOwners(ctx context.Context, f CohortFilter) (int64, error) {
	where, args := f.where()
	var n int64
	err := s.q(ctx).Raw("SELECT COUNT(DISTINCT v.owner_id) FROM vehicles v WHERE "+where, args...).Scan(&n).Error
	return n, wrap(err, "count cohort owners")
}

// SnapshotCohort copies every vehicle matching f into the campaign's
// cohort with its wave, in one statement; a vehicle already there is left
// alone. It returns how many joined.
func (s *Store) SnapshotCohort(ctx context.Context, campaignID int64, f CohortFilter, w Waves, at time.Time) (int64, error) {
	where, args := f.where()
	q := `INSERT INTO campaign_vehicles (campaign_id, vehicle_id, owner_id, joined_at, wave, released_at)
		SELECT ?, v.id, v.owner_id, ?, 1, ? FROM vehicles v WHERE ` + where + ` ON CONFLICT DO NOTHING`
	qargs := append([]any{campaignID, at, w.First}, args...)
	if w.Later.After(w.First) {
		// One pass ranks the owners and writes each vehicle with its wave:
		// cheaper than writing every row and then moving most of them.
		q = `INSERT INTO campaign_vehicles (campaign_id, vehicle_id, owner_id, joined_at, wave, released_at)
			SELECT ?, v.id, v.owner_id, ?,
				CASE WHEN r.rank IS NULL OR r.rank <= ? THEN 1 ELSE 2 END,
				CASE WHEN r.rank IS NULL OR r.rank <= ? THEN ` + s.timeParam() + ` ELSE ` + s.timeParam() + ` END
			FROM vehicles v LEFT JOIN (
				SELECT v.owner_id, ROW_NUMBER() OVER (ORDER BY MAX(v.priority) DESC, v.owner_id) AS rank
				FROM vehicles v WHERE ` + where + ` AND v.owner_id IS NOT NULL GROUP BY v.owner_id
			) r ON r.owner_id = v.owner_id
			WHERE ` + where + ` ON CONFLICT DO NOTHING`
		qargs = append([]any{campaignID, at, w.Keep, w.Keep, w.First, w.Later}, args...)
		qargs = append(qargs, args...)
	}
	res := s.q(ctx).Exec(q, qargs...)
	return res.RowsAffected, wrap(res.Error, "snapshot cohort of campaign #%d", campaignID)
}

// AddCampaignJoinEvents writes a timeline entry (kind, source), occurring
// at `at`, on every vehicle that joined the campaign's cohort at or before
// `at`, in one statement: the launch's record of who was included (a car
// that joins later writes its own).
func (s *Store) AddCampaignJoinEvents(ctx context.Context, campaignID int64, kind model.EventKind, source model.Source, detail string, at time.Time) error {
	err := s.q(ctx).Exec(`INSERT INTO vehicle_events (vehicle_id, owner_id, kind, source, detail, occurred_at, created_at)
		SELECT vehicle_id, owner_id, ?, ?, ?, ?, ? FROM campaign_vehicles WHERE campaign_id = ? AND joined_at <= ?`,
		kind, source, detail, at, s.now(), campaignID, at).Error
	return wrap(err, "timeline of campaign #%d's launch", campaignID)
}

// JoinCampaign adds one vehicle to a launched campaign (a late match),
// released at once. An existing row only takes the owner if it had none.
// joined is true when the row is new; ownerSet when it is new or has just
// taken its owner, so the owner may need notices.
func (s *Store) JoinCampaign(ctx context.Context, campaignID int64, v model.Vehicle, at time.Time) (joined, ownerSet bool, err error) {
	res := s.q(ctx).Exec(`INSERT INTO campaign_vehicles (campaign_id, vehicle_id, owner_id, joined_at, wave, released_at)
		VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING`, campaignID, v.ID, v.OwnerID, at, at)
	if res.Error != nil {
		return false, false, wrap(res.Error, "join vehicle #%d to campaign #%d", v.ID, campaignID)
	}
	if res.RowsAffected == 1 {
		return true, v.OwnerID != nil, s.queueFunnel(ctx, inCampaign, campaignID, v.ID)
	}
	if v.OwnerID == nil {
		return false, false, nil
	}
	res = s.q(ctx).Exec(`UPDATE campaign_vehicles SET owner_id = ? WHERE campaign_id = ? AND vehicle_id = ? AND (owner_id IS NULL OR owner_id <> ?)`,
		*v.OwnerID, campaignID, v.ID, *v.OwnerID)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, false, wrap(res.Error, "owner of vehicle #%d in campaign #%d", v.ID, campaignID)
	}
	return false, true, s.queueFunnel(ctx, inCampaign, campaignID, v.ID)
}

// CampaignVehicleOf reads one vehicle's row in a campaign.
func (s *Store) CampaignVehicleOf(ctx context.Context, campaignID, vehicleID int64) (CampaignVehicle, error) {
	var cv CampaignVehicle
	err := s.q(ctx).Where("campaign_id = ? AND vehicle_id = ?", campaignID, vehicleID).Take(&cv).Error
	return cv, wrap(err, "vehicle #%d in campaign #%d", vehicleID, campaignID)
}

// VehicleCampaign is a vehicle's membership of a live campaign.
type VehicleCampaign struct {
	Campaign model.Campaign
	Vehicle  CampaignVehicle
}

// LiveCampaignsOfVehicle lists the running and paused campaigns the
// vehicle is in, earliest cut-over first, open or not.
func (s *Store) LiveCampaignsOfVehicle(ctx context.Context, vehicleID int64) ([]VehicleCampaign, error) {
	var cvs []CampaignVehicle
	err := s.q(ctx).Where("vehicle_id = ? AND campaign_id IN (SELECT id FROM campaigns WHERE state IN ?)",
		vehicleID, []model.CampaignState{model.CampaignRunning, model.CampaignPaused}).Find(&cvs).Error
	if err != nil || len(cvs) == 0 {
		return nil, wrap(err, "campaigns of vehicle #%d", vehicleID)
	}
	return s.withCampaigns(ctx, cvs)
}

// LiveCampaignsOfVehicles is LiveCampaignsOfVehicle for several vehicles
// at once, keyed by vehicle id (vehicles in none are left out): one query
// for the memberships, and one for their campaigns when there are any. The
// owner's page asks it for all the owner's cars; a query per car was a
// third of the page's cost.
func (s *Store) LiveCampaignsOfVehicles(ctx context.Context, vehicleIDs []int64) (map[int64][]VehicleCampaign, error) {
	out := map[int64][]VehicleCampaign{}
	if len(vehicleIDs) == 0 {
		return out, nil
	}
	var cvs []CampaignVehicle
	err := s.q(ctx).Where("vehicle_id IN ? AND campaign_id IN (SELECT id FROM campaigns WHERE state IN ?)",
		vehicleIDs, []model.CampaignState{model.CampaignRunning, model.CampaignPaused}).Find(&cvs).Error
	if err != nil || len(cvs) == 0 {
		return out, wrap(err, "campaigns of %d vehicles", len(vehicleIDs))
	}
	var ids []int64
	for _, cv := range cvs {
		if !slices.Contains(ids, cv.CampaignID) {
			ids = append(ids, cv.CampaignID)
		}
	}
	var rows []campaignRow
	if err := s.q(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, wrap(err, "campaigns of %d vehicles", len(vehicleIDs))
	}
	byID := make(map[int64]model.Campaign, len(rows))
	for _, r := range rows {
		byID[r.ID] = r.campaign()
	}
	for _, cv := range cvs {
		if c, ok := byID[cv.CampaignID]; ok {
			out[cv.VehicleID] = append(out[cv.VehicleID], VehicleCampaign{Campaign: c, Vehicle: cv})
		}
	}
	for _, vcs := range out {
		sortByCutover(vcs)
	}
	return out, nil
}

// LiveCampaignsOfVIN lists the memberships in running and paused campaigns
// of other vehicles with this VIN: the same car under another Smartcar id
// (a carmaker's new platform may hand out new ids on a full Connect).
func (s *Store) LiveCampaignsOfVIN(ctx context.Context, vin string, except int64) ([]VehicleCampaign, error) {
	if strings.TrimSpace(vin) == "" {
		return nil, nil
	}
	var cvs []CampaignVehicle
	err := s.q(ctx).Where("vehicle_id IN (SELECT id FROM vehicles WHERE vin = ? AND id <> ?) AND campaign_id IN (SELECT id FROM campaigns WHERE state IN ?)",
		strings.ToUpper(vin), except, []model.CampaignState{model.CampaignRunning, model.CampaignPaused}).Find(&cvs).Error
	if err != nil || len(cvs) == 0 {
		return nil, wrap(err, "campaigns of VIN")
	}
	return s.withCampaigns(ctx, cvs)
}

func sortByCutover(vcs []VehicleCampaign) {
	for i := 1; i < len(vcs); i++ {
		for j := i; j > 0 && earlier(vcs[j].Campaign, vcs[j-1].Campaign); j-- {
			vcs[j], vcs[j-1] = vcs[j-1], vcs[j]
		}
	}
}

func earlier(a, b model.Campaign) bool {
	return a.CutoverAt.Before(b.CutoverAt) || (a.CutoverAt.Equal(b.CutoverAt) && a.ID < b.ID)
}

// CompleteCampaignVehicle marks the vehicle completed in the campaign, by
// source, unless it already is (or declined). done is false then.
func (s *Store) CompleteCampaignVehicle(ctx context.Context, campaignID, vehicleID int64, source model.Source, at time.Time) (done bool, err error) {
	res := s.q(ctx).Exec("UPDATE campaign_vehicles SET completed_at = ?, completed_source = ? WHERE campaign_id = ? AND vehicle_id = ? AND "+openVehicle,
		at, source, campaignID, vehicleID)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, wrap(res.Error, "complete vehicle #%d in campaign #%d", vehicleID, campaignID)
	}
	return true, s.queueFunnel(ctx, inCampaign, campaignID, vehicleID)
}

// DeclineCampaignVehicle marks the vehicle declined in the campaign with
// the owner's reason, unless it is already completed or declined.
func (s *Store) DeclineCampaignVehicle(ctx context.Context, campaignID, vehicleID int64, reason string, at time.Time) (done bool, err error) {
	res := s.q(ctx).Exec("UPDATE campaign_vehicles SET declined_at = ?, declined_reason = ? WHERE campaign_id = ? AND vehicle_id = ? AND "+openVehicle,
		at, Clip(reason, 200), campaignID, vehicleID)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, wrap(res.Error, "decline vehicle #%d in campaign #%d", vehicleID, campaignID)
	}
	return true, s.queueFunnel(ctx, inCampaign, campaignID, vehicleID)
}

// MarkCampaignStep records the first time an open vehicle reached a funnel
// step in the campaign: column is "opened_at" or "started_at".
func (s *Store) MarkCampaignStep(ctx context.Context, campaignID, vehicleID int64, column string, at time.Time) error {
	if column != "opened_at" && column != "started_at" {
		return wrap(ErrInvalid, "campaign step %q", column)
	}
	res := s.q(ctx).Exec("UPDATE campaign_vehicles SET "+column+" = ? WHERE campaign_id = ? AND vehicle_id = ? AND "+column+" IS NULL AND "+openVehicle,
		at, campaignID, vehicleID)
	if res.Error != nil || res.RowsAffected == 0 {
		return wrap(res.Error, "campaign #%d step %s of vehicle #%d", campaignID, column, vehicleID)
	}
	return s.queueFunnel(ctx, inCampaign, campaignID, vehicleID)
}

// FailCampaignVehicle records the latest failed repair attempt.
func (s *Store) FailCampaignVehicle(ctx context.Context, campaignID, vehicleID int64, errText string, at time.Time) error {
	res := s.q(ctx).Exec("UPDATE campaign_vehicles SET failed_at = ?, failed_error = ? WHERE campaign_id = ? AND vehicle_id = ? AND "+openVehicle,
		at, Clip(errText, 300), campaignID, vehicleID)
	if res.Error != nil || res.RowsAffected == 0 {
		return wrap(res.Error, "fail vehicle #%d in campaign #%d", vehicleID, campaignID)
	}
	return s.queueFunnel(ctx, inCampaign, campaignID, vehicleID)
}

// OpenCampaignVehiclesOfOwner lists the owner's vehicles in the campaign
// that are neither completed nor declined.
func (s *Store) OpenCampaignVehiclesOfOwner(ctx context.Context, campaignID, ownerID int64) ([]CampaignVehicle, error) {
	var cvs []CampaignVehicle
	// Sorted here, not in SQL, for the reason OpenVehiclesOfOwnerIn gives.
	err := s.q(ctx).Where("campaign_id = ? AND owner_id = ? AND "+openVehicle, campaignID, ownerID).Find(&cvs).Error
	slices.SortFunc(cvs, func(a, b CampaignVehicle) int { return cmp.Compare(a.VehicleID, b.VehicleID) })
	return cvs, wrap(err, "open vehicles of owner #%d in campaign #%d", ownerID, campaignID)
}

// FollowedVehicle is an owner's open vehicle in a campaign and whether the
// vehicle follows that campaign: of the running and paused campaigns it is
// open in, that one has the earliest cut-over (ties: the lower id).
type FollowedVehicle struct {
	CampaignVehicle
	Follows bool
}

// OpenVehiclesOfOwnerIn lists the owner's open vehicles in each of the
// campaigns, by campaign and vehicle id, each with whether it follows that
// campaign: in one statement what OpenCampaignVehiclesOfOwner and
// LiveCampaignsOfVehicle would tell in one per campaign and two per car.
func (s *Store) OpenVehiclesOfOwnerIn(ctx context.Context, ownerID int64, campaignIDs []int64) ([]FollowedVehicle, error) {
	if len(campaignIDs) == 0 {
		return nil, nil
	}
	var out []FollowedVehicle
	err := s.q(ctx).Raw(`SELECT cv.*, NOT EXISTS (SELECT 1 FROM campaign_vehicles o JOIN campaigns oc ON oc.id = o.campaign_id
			WHERE o.vehicle_id = cv.vehicle_id AND o.campaign_id <> cv.campaign_id AND o.completed_at IS NULL AND o.declined_at IS NULL
			AND oc.state IN ? AND (oc.cutover_at < c.cutover_at OR (oc.cutover_at = c.cutover_at AND oc.id < c.id))) AS follows
		FROM campaign_vehicles cv JOIN campaigns c ON c.id = cv.campaign_id
		WHERE cv.campaign_id IN ? AND cv.owner_id = ? AND cv.`+openVehicleCV,
		[]model.CampaignState{model.CampaignRunning, model.CampaignPaused}, campaignIDs, ownerID).Scan(&out).Error
	// Sorted here, not in SQL: with "ORDER BY cv.campaign_id, cv.vehicle_id"
	// SQLite walked the primary key (campaign_id, vehicle_id), which gives
	// that order without a sort, and so read every row of the campaign to
	// find the owner's, per email a cost growing with the cohort (most of
	// the sender's CPU at 20,000 owners). Without it, it seeks
	// campaign_vehicles_owner (campaign_id, owner_id) to the owner's rows.
	slices.SortFunc(out, func(a, b FollowedVehicle) int {
		return cmp.Or(cmp.Compare(a.CampaignID, b.CampaignID), cmp.Compare(a.VehicleID, b.VehicleID))
	})
	return out, wrap(err, "open vehicles of owner #%d in campaigns %v", ownerID, campaignIDs)
}

// MarkOwnerNotified records that the owner was told about the campaign at
// `at`, on each of their open vehicles not marked before.
func (s *Store) MarkOwnerNotified(ctx context.Context, campaignID, ownerID int64, at time.Time) error {
	res := s.q(ctx).Exec("UPDATE campaign_vehicles SET notified_at = ? WHERE campaign_id = ? AND owner_id = ? AND notified_at IS NULL AND "+openVehicle,
		at, campaignID, ownerID)
	if res.Error != nil || res.RowsAffected == 0 {
		return wrap(res.Error, "mark owner #%d notified in campaign #%d", ownerID, campaignID)
	}
	return s.queueFunnel(ctx, "campaign_id = ? AND owner_id = ?", campaignID, ownerID)
}

// FunnelCounts are a campaign's cumulative counts of vehicles by step.
type FunnelCounts struct {
	Vehicles  int64
	Notified  int64
	Opened    int64
	Started   int64
	Completed int64
	Declined  int64
	Failed    int64
}

// CampaignFunnel counts the campaign's vehicles that reached each step.
func (s *Store) CampaignFunnel(ctx context.Context, campaignID int64) (FunnelCounts, error) {
	var f FunnelCounts
	err := s.q(ctx).Raw(`SELECT COUNT(*) AS vehicles, COUNT(notified_at) AS notified, COUNT(opened_at) AS opened,
		COUNT(started_at) AS started, COUNT(completed_at) AS completed, COUNT(declined_at) AS declined, COUNT(failed_at) AS failed
		FROM campaign_vehicles WHERE campaign_id = ?`, campaignID).Scan(&f).Error
	return f, wrap(err, "funnel of campaign #%d", campaignID)
}

// CampaignVehicleRow is one line of the console's list of a campaign's
// vehicles: the vehicle, its owner's address, and its funnel.
type CampaignVehicleRow struct {
	CampaignVehicle
	SmartcarID string
	VIN        string
	Make       string
	Model      string
	Year       int
	State      model.State
	HostUserID string
	Email      string
}

// CampaignVehicles lists a campaign's vehicles by vehicle id, `limit` after
// the vehicle id `after`. A non-empty query keeps the vehicles whose VIN or
// Smartcar id starts with it, or whose owner's email address does.
func (s *Store) CampaignVehicles(ctx context.Context, campaignID int64, query string, after int64, limit int) ([]CampaignVehicleRow, error) {
	q := `SELECT cv.campaign_id, cv.vehicle_id, cv.owner_id, cv.joined_at, cv.wave, cv.released_at, cv.notified_at, cv.opened_at,
		cv.started_at, cv.completed_at, cv.completed_source, cv.declined_at, cv.declined_reason, cv.failed_at, cv.failed_error,
		v.smartcar_id, v.vin, v.make, v.model, v.year, v.state, COALESCE(o.host_user_id, ''), COALESCE(o.email, '')
		FROM campaign_vehicles cv JOIN vehicles v ON v.id = cv.vehicle_id LEFT JOIN owners o ON o.id = cv.owner_id
		WHERE cv.campaign_id = ? AND cv.vehicle_id > ?`
	args := []any{campaignID, after}
	if query = strings.TrimSpace(query); query != "" {
		// Prefix ranges rather than LIKE, as the console's search does.
		vin, id, email := strings.ToUpper(query), strings.ToLower(query), normalizeEmail(query)
		q += ` AND ((v.vin >= ? AND v.vin < ?) OR (v.smartcar_id >= ? AND v.smartcar_id < ?) OR (o.email >= ? AND o.email < ?))`
		args = append(args, vin, vin+maxRune, id, id+maxRune, email, email+maxRune)
	}
	q += " ORDER BY cv.vehicle_id LIMIT ?"
	args = append(args, limit)
	rows, err := s.q(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, wrap(err, "vehicles of campaign #%d", campaignID)
	}
	defer rows.Close()
	var out []CampaignVehicleRow
	for rows.Next() {
		var r CampaignVehicleRow
		var owner sql.NullInt64
		var notified, opened, started, completed, declined, failed sql.NullTime
		var source, state string
		if err := rows.Scan(&r.CampaignID, &r.VehicleID, &owner, &r.JoinedAt, &r.Wave, &r.ReleasedAt, &notified, &opened,
			&started, &completed, &source, &declined, &r.DeclinedReason, &failed, &r.FailedError,
			&r.SmartcarID, &r.VIN, &r.Make, &r.Model, &r.Year, &state, &r.HostUserID, &r.Email); err != nil {
			return nil, wrap(err, "vehicles of campaign #%d: scan", campaignID)
		}
		if owner.Valid {
			id := owner.Int64
			r.OwnerID = &id
		}
		r.NotifiedAt, r.OpenedAt, r.StartedAt = nullTime(notified), nullTime(opened), nullTime(started)
		r.CompletedAt, r.DeclinedAt, r.FailedAt = nullTime(completed), nullTime(declined), nullTime(failed)
		r.CompletedSource, r.State = model.Source(source), model.State(state)
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "vehicles of campaign #%d", campaignID)
}

// CampaignOwnerCounts are a launched campaign's owners: how many have a
// vehicle in its snapshot, and how many of them were sent a notice.
type CampaignOwnerCounts struct {
	Owners   int64
	Notified int64
}

// CampaignOwners counts the owners of a campaign's snapshot, and those told.
// An owner counts as told once any of their vehicles is marked notified.
func (s *Store) CampaignOwners(ctx context.Context, campaignID int64) (CampaignOwnerCounts, error) {
	var out CampaignOwnerCounts
	err := s.q(ctx).Raw(`SELECT COUNT(DISTINCT owner_id) AS owners,
		COUNT(DISTINCT CASE WHEN notified_at IS NOT NULL THEN owner_id END) AS notified
		FROM campaign_vehicles WHERE campaign_id = ?`, campaignID).Scan(&out).Error
	return out, wrap(err, "owners of campaign #%d", campaignID)
}

// CampaignExportRow is one vehicle of a campaign's CSV export.
type CampaignExportRow struct {
	HostUserID     string
	SmartcarID     string
	VIN            string
	Make           string
	Model          string
	Year           int
	Country        string
	Step           model.FunnelStep
	DeclinedReason string
	LastNoticeAt   *time.Time
	CompletedAt    *time.Time
}

// EachCampaignExportRow calls fn with each of the campaign's vehicles, by
// vehicle id, as the rows come from the database: one row in memory at a
// time, however large the cohort. An error from fn stops the walk.
func (s *Store) EachCampaignExportRow(ctx context.Context, campaignID int64, fn func(CampaignExportRow) error) error {
	q := `SELECT COALESCE(o.host_user_id, ''), v.smartcar_id, COALESCE(v.vin, ''), v.make, v.model, v.year, COALESCE(v.country, ''),
		CASE WHEN cv.counted_step <> '' AND NOT EXISTS (SELECT 1 FROM campaign_funnel_dirty q WHERE q.campaign_id = cv.campaign_id
			AND q.vehicle_id = cv.vehicle_id) THEN cv.counted_step ELSE ` + funnelStepSQL() + ` END, cv.declined_reason,
		(SELECT MAX(n.sent_at) FROM campaign_notices n WHERE n.campaign_id = cv.campaign_id AND n.owner_id = cv.owner_id AND n.status = ` + sqlText(string(NoticeSent)) + `),
		cv.completed_at
		FROM campaign_vehicles cv JOIN vehicles v ON v.id = cv.vehicle_id LEFT JOIN owners o ON o.id = cv.owner_id
		WHERE cv.campaign_id = ? ORDER BY cv.vehicle_id`
	rows, err := s.q(ctx).Raw(q, campaignID).Rows()
	if err != nil {
		return wrap(err, "export of campaign #%d", campaignID)
	}
	defer rows.Close()
	for rows.Next() {
		var r CampaignExportRow
		var step string
		var last, completed sql.NullTime
		if err := rows.Scan(&r.HostUserID, &r.SmartcarID, &r.VIN, &r.Make, &r.Model, &r.Year, &r.Country, &step,
			&r.DeclinedReason, &last, &completed); err != nil {
			return wrap(err, "export of campaign #%d: scan", campaignID)
		}
		r.Step, r.LastNoticeAt, r.CompletedAt = model.FunnelStep(step), nullTime(last), nullTime(completed)
		if err := fn(r); err != nil {
			return err
		}
	}
	return wrap(rows.Err(), "export of campaign #%d", campaignID)
}

// MarkCampaignOpenedByEmail records that a person continued a link from
// the email with this Message-ID about the vehicle: opened_at, the first
// time, in each campaign whose notice that email carried to the owner.
func (s *Store) MarkCampaignOpenedByEmail(ctx context.Context, ownerID, vehicleID int64, messageID string, at time.Time) error {
	if messageID == "" {
		return nil
	}
	res := s.q(ctx).Exec(`UPDATE campaign_vehicles SET opened_at = ? WHERE vehicle_id = ? AND owner_id = ? AND opened_at IS NULL AND `+openVehicle+`
		AND campaign_id IN (SELECT campaign_id FROM campaign_notices WHERE owner_id = ? AND email_message_id = ?)`,
		at, vehicleID, ownerID, ownerID, messageID)
	if res.Error != nil || res.RowsAffected == 0 {
		return wrap(res.Error, "campaign link of vehicle #%d opened", vehicleID)
	}
	return s.queueFunnel(ctx, "vehicle_id = ?", vehicleID)
}

// FailLiveCampaignVehicle records a failed trip to Connect (errText is
// Smartcar's error code) on the vehicle in every running or paused
// campaign it is open in.
func (s *Store) FailLiveCampaignVehicle(ctx context.Context, vehicleID int64, errText string, at time.Time) error {
	res := s.q(ctx).Exec(`UPDATE campaign_vehicles SET failed_at = ?, failed_error = ? WHERE vehicle_id = ? AND `+openVehicle+`
		AND campaign_id IN (SELECT id FROM campaigns WHERE state IN ?)`,
		at, Clip(errText, 300), vehicleID, []model.CampaignState{model.CampaignRunning, model.CampaignPaused})
	if res.Error != nil || res.RowsAffected == 0 {
		return wrap(res.Error, "failed trip of vehicle #%d in its campaigns", vehicleID)
	}
	return s.queueFunnel(ctx, "vehicle_id = ?", vehicleID)
}

// MarkCampaignVehicleNotified records that the vehicle's owner was told
// about the campaign another way than by email (the host's status API
// handed the campaign's message out), the first time.
func (s *Store) MarkCampaignVehicleNotified(ctx context.Context, campaignID, vehicleID int64, at time.Time) error {
	res := s.q(ctx).Exec("UPDATE campaign_vehicles SET notified_at = ? WHERE campaign_id = ? AND vehicle_id = ? AND notified_at IS NULL AND "+openVehicle,
		at, campaignID, vehicleID)
	if res.Error != nil || res.RowsAffected == 0 {
		return wrap(res.Error, "mark vehicle #%d notified in campaign #%d", vehicleID, campaignID)
	}
	return s.queueFunnel(ctx, inCampaign, campaignID, vehicleID)
}

// WaveHealth is how a campaign's last released wave went since Since: its
// emails (handed to SMTP with an answer: sent or failed), how many failed
// for good, bounced or drew a spam complaint, and its trips to Connect and
// those that ended in an error other than the owner's refusal.
type WaveHealth struct {
	Wave            int       `json:"wave"`
	Since           time.Time `json:"since"`
	Emails          int64     `json:"emails"`
	Failed          int64     `json:"failed"`
	Bounced         int64     `json:"bounced"`
	Complaints      int64     `json:"complaints"`
	ConnectAttempts int64     `json:"connect_attempts"`
	ConnectErrors   int64     `json:"connect_errors"`
}

// CampaignWaveHealth counts the last wave released by now (the highest
// wave number whose owners are released) from the later of its release
// and `after` (the campaign's last resume; zero: none). An email counts for
// the wave when it carried one of the campaign's notices to an owner of
// the wave; refused is the Connect error that is the owner's own choice
// and is not counted as an error.
func (s *Store) CampaignWaveHealth(ctx context.Context, campaignID int64, now, after time.Time, refused string) (WaveHealth, error) {
	var h WaveHealth
	var wave sql.NullInt64
	err := s.q(ctx).Raw(`SELECT MAX(wave) FROM campaign_vehicles WHERE campaign_id = ? AND released_at <= ?`, campaignID, now).Scan(&wave).Error
	if err != nil || !wave.Valid {
		return h, wrap(err, "last wave of campaign #%d", campaignID)
	}
	h.Wave = int(wave.Int64)
	// The earliest release, read as a column (SQLite returns an aggregate's
	// time as text).
	var first []CampaignVehicle
	if err := s.q(ctx).Where("campaign_id = ? AND wave = ?", campaignID, h.Wave).Order("released_at").Limit(1).Find(&first).Error; err != nil || len(first) == 0 {
		return h, wrap(err, "release of wave %d of campaign #%d", h.Wave, campaignID)
	}
	h.Since = first[0].ReleasedAt
	if after.After(h.Since) {
		h.Since = after
	}
	// From the wave's owners to their notices of the campaign to the
	// emails that carried them: each step an index lookup. An email that
	// carried several notices (or an owner with several cars) is counted
	// once.
	var emails struct{ Emails, Failed, Bounced, Complaints int64 }
	err = s.q(ctx).Raw(`SELECT COUNT(*) AS emails,
			COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS failed,
			COALESCE(SUM(CASE WHEN bounced_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS bounced,
			COALESCE(SUM(CASE WHEN complained_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS complaints
		FROM (SELECT DISTINCT e.id, e.status, e.bounced_at, e.complained_at
			FROM (SELECT DISTINCT owner_id FROM campaign_vehicles WHERE campaign_id = ? AND wave = ? AND owner_id IS NOT NULL) w
			JOIN campaign_notices n ON n.campaign_id = ? AND n.owner_id = w.owner_id AND n.email_message_id <> ''
			JOIN email_messages e ON e.message_id = n.email_message_id
			WHERE e.status IN (?, ?) AND e.attempted_at >= ?) x`,
		EmailFailed, campaignID, h.Wave, campaignID, EmailSent, EmailFailed, h.Since).Scan(&emails).Error
	if err != nil {
		return h, wrap(err, "emails of wave %d of campaign #%d", h.Wave, campaignID)
	}
	h.Emails, h.Failed, h.Bounced, h.Complaints = emails.Emails, emails.Failed, emails.Bounced, emails.Complaints
	var connect struct{ Attempts, Errors int64 }
	err = s.q(ctx).Raw(`SELECT
			COALESCE(SUM(CASE WHEN started_at >= ? THEN 1 ELSE 0 END), 0) AS attempts,
			COALESCE(SUM(CASE WHEN failed_at >= ? AND failed_error <> ? THEN 1 ELSE 0 END), 0) AS errors
		FROM campaign_vehicles WHERE campaign_id = ? AND wave = ?`,
		h.Since, h.Since, refused, campaignID, h.Wave).Scan(&connect).Error
	h.ConnectAttempts, h.ConnectErrors = connect.Attempts, connect.Errors
	return h, wrap(err, "Connect trips of wave %d of campaign #%d", h.Wave, campaignID)
}

// HoldUnreleased moves the release of the campaign's vehicles not released
// by `pausedAt` to `to` (when that is later), and the pending notices of
// their owners due before it to it: after an auto-pause the later wave
// waits a full hold again. It returns how many vehicles moved.
func (s *Store) HoldUnreleased(ctx context.Context, campaignID int64, pausedAt, to time.Time) (int64, error) {
	res := s.q(ctx).Exec(`UPDATE campaign_vehicles SET released_at = ? WHERE campaign_id = ? AND released_at > ? AND released_at < ?`,
		to, campaignID, pausedAt, to)
	if res.Error != nil || res.RowsAffected == 0 {
		return 0, wrap(res.Error, "hold the later wave of campaign #%d", campaignID)
	}
	err := s.q(ctx).Exec(`UPDATE campaign_notices SET due_at = ?, updated_at = ? WHERE campaign_id = ? AND status = ? AND due_at < ?
		AND owner_id IN (SELECT owner_id FROM campaign_vehicles WHERE campaign_id = ? AND released_at = ?)`,
		to, s.now(), campaignID, NoticePending, to, campaignID, to).Error
	return res.RowsAffected, wrap(err, "hold the later wave's notices of campaign #%d", campaignID)
}

// StuckVehicle is a vehicle whose owner left for Smartcar Connect for the
// campaign and has not completed (nor declined): someone for support to
// call, with what they need for it.
type StuckVehicle struct {
	VehicleID  int64
	OwnerID    *int64
	HostUserID string
	Name       string
	Email      string
	Phone      string
	Make       string
	Model      string
	Year       int
	VIN        string
	StartedAt  time.Time
	// FailedError is Connect's error of the last failed trip; "" when the
	// owner just did not come back.
	FailedError string
}

// StuckVehicles lists up to limit of the campaign's vehicles that were
// started and neither completed nor declined, the longest waiting first.
func (s *Store) StuckVehicles(ctx context.Context, campaignID int64, limit int) ([]StuckVehicle, error) {
	var out []StuckVehicle
	err := s.q(ctx).Raw(`SELECT cv.vehicle_id, cv.owner_id, COALESCE(o.host_user_id, '') AS host_user_id, COALESCE(o.name, '') AS name,
			COALESCE(o.email, '') AS email, COALESCE(o.phone, '') AS phone, v.make, v.model, v.year, v.vin,
			cv.started_at, cv.failed_error
		FROM campaign_vehicles cv JOIN vehicles v ON v.id = cv.vehicle_id LEFT JOIN owners o ON o.id = cv.owner_id
		WHERE cv.campaign_id = ? AND cv.started_at IS NOT NULL AND cv.`+openVehicle+`
		ORDER BY cv.started_at, cv.vehicle_id LIMIT ?`, campaignID, limit).Scan(&out).Error
	return out, wrap(err, "stuck vehicles of campaign #%d", campaignID)
}

// withCampaigns pairs each campaign row with its campaign, the earliest
// cut-over first.
func (s *Store) withCampaigns(ctx context.Context, cvs []CampaignVehicle) ([]VehicleCampaign, error) {
	out := make([]VehicleCampaign, 0, len(cvs))
	for _, cv := range cvs {
		c, err := s.CampaignByID(ctx, cv.CampaignID)
		if err != nil {
			return nil, err
		}
		out = append(out, VehicleCampaign{Campaign: c, Vehicle: cv})
	}
	sortByCutover(out)
	return out, nil
}
