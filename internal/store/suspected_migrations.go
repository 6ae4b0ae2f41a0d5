// Table suspected_migrations: makes whose cars broke together, as if the
// carmaker had migrated without telling anyone.

package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"reconnect/internal/model"
)

type suspectedMigrationRow struct {
	ID             int64
	Make           string
	Day            string
	VehicleCount   int
	ConnectedCount int
	FirstError     string
	FirstBreakAt   time.Time
	RaisedAt       time.Time
}

// TableName pins the table.
func (suspectedMigrationRow) TableName() string { return "suspected_migrations" }

func (r suspectedMigrationRow) model() model.SuspectedMigration {
	return model.SuspectedMigration{ID: r.ID, Make: r.Make, Day: r.Day, VehicleCount: r.VehicleCount, ConnectedCount: r.ConnectedCount,
		FirstError: r.FirstError, FirstBreakAt: r.FirstBreakAt.UTC(), RaisedAt: r.RaisedAt.UTC()}
}

// newBreaks is the SQL (over vehicle_events AS e) of "a working car newly
// needed re-authentication". It is spelled out, not bound, so that the
// planners of both databases use the partial index vehicle_events_breaks.
var newBreaks = "e.kind = '" + string(model.EventStateChanged) + "' AND e.to_state = '" + string(model.StateNeedsReauth) +
	"' AND e.from_state = '" + string(model.StateConnected) + "'"

// liveCampaignStates are the campaigns that cover their cohort's cars.
var liveCampaignStates = []model.CampaignState{model.CampaignRunning, model.CampaignPaused}

// MigrationCandidate is a make with at least the asked number of cars that
// newly needed re-authentication since a time, none of them in a live
// campaign.
type MigrationCandidate struct {
	Make string
	// Vehicles counts distinct cars.
	Vehicles int
}

// CountBreaks counts the cars that moved from connected to needs_reauth at
// or after since, of every make: an index-only count over the partial
// index, so that a quiet hour costs the check almost nothing.
func (s *Store) CountBreaks(ctx context.Context, since time.Time) (int, error) {
	var n int64
	err := s.q(ctx).Table("vehicle_events AS e").Where(newBreaks).Where("e.occurred_at >= ?", since.UTC()).Count(&n).Error
	return int(n), wrap(err, "count breaks")
}

// MigrationCandidates lists the makes with at least minVehicles cars that
// moved from connected to needs_reauth at or after since, leaving out the
// makes in skip and, when inCampaigns, the cars of running or paused
// campaigns (a campaign covering them means staff already know). One
// grouped query over the partial index of breaks; without inCampaigns it
// spares the campaign lookup for every car.
func (s *Store) MigrationCandidates(ctx context.Context, since time.Time, minVehicles int, skip []string, inCampaigns bool) ([]MigrationCandidate, error) {
	var rows []struct {
		Make     string
		Vehicles int
	}
	q := s.q(ctx).Table("vehicle_events AS e").
		Select("v.make AS make, COUNT(DISTINCT e.vehicle_id) AS vehicles").
		Joins("JOIN vehicles v ON v.id = e.vehicle_id").
		Where(newBreaks).Where("e.occurred_at >= ?", since.UTC())
	if len(skip) > 0 {
		q = q.Where("v.make NOT IN ?", skip)
	}
	if inCampaigns {
		q = q.Where(`NOT EXISTS (SELECT 1 FROM campaign_vehicles cv JOIN campaigns c ON c.id = cv.campaign_id
			WHERE cv.vehicle_id = e.vehicle_id AND c.state IN ?)`, liveCampaignStates)
	}
	err := q.Group("v.make").Having("COUNT(DISTINCT e.vehicle_id) >= ?", minVehicles).Order("v.make").Scan(&rows).Error
	if err != nil {
		return nil, wrap(err, "migration candidates")
	}
	out := make([]MigrationCandidate, 0, len(rows))
	for _, r := range rows {
		out = append(out, MigrationCandidate{Make: r.Make, Vehicles: r.Vehicles})
	}
	return out, nil
}

// MakesRaisedOn lists the makes already raised on day (YYYY-MM-DD, UTC).
func (s *Store) MakesRaisedOn(ctx context.Context, day string) ([]string, error) {
	var out []string
	err := s.q(ctx).Model(&suspectedMigrationRow{}).Where("day = ?", day).Pluck("make", &out).Error
	return out, wrap(err, "makes raised on %s", day)
}

// FirstBreak is the earliest car of carMake that newly needed
// re-authentication at or after since: when, and the reason the car gives
// (its stored reason, with the detail when there is one).
func (s *Store) FirstBreak(ctx context.Context, carMake string, since time.Time) (at time.Time, reason string, err error) {
	var row struct {
		OccurredAt   time.Time
		Reason       string
		ReasonDetail string
	}
	err = s.q(ctx).Table("vehicle_events AS e").
		Select("e.occurred_at, v.reason, v.reason_detail").
		Joins("JOIN vehicles v ON v.id = e.vehicle_id").
		Where(newBreaks).Where("e.occurred_at >= ? AND v.make = ?", since.UTC(), carMake).
		Order("e.occurred_at").Order("e.id").Limit(1).Take(&row).Error
	if err != nil {
		return time.Time{}, "", wrap(err, "first break of %s", carMake)
	}
	reason = row.Reason
	if row.ReasonDetail != "" && row.ReasonDetail != row.Reason {
		reason += ": " + row.ReasonDetail
	}
	return row.OccurredAt.UTC(), Clip(reason, 300), nil
}

// ConnectedOfMake counts the cars of carMake that are connected now.
func (s *Store) ConnectedOfMake(ctx context.Context, carMake string) (int, error) {
	var n int64
	err := s.q(ctx).Model(&model.Vehicle{}).Where("make = ? AND state = ?", carMake, model.StateConnected).Count(&n).Error
	return int(n), wrap(err, "connected cars of %s", carMake)
}

// RaiseSuspectedMigration stores m unless its make was already raised on
// its day (any instance, any time that day); raised says whether this call
// stored it. m.Day and m.RaisedAt are set from the store's clock when empty.
func (s *Store) RaiseSuspectedMigration(ctx context.Context, m model.SuspectedMigration) (out model.SuspectedMigration, raised bool, err error) {
	if m.RaisedAt.IsZero() {
		m.RaisedAt = s.now()
	}
	if m.Day == "" {
		m.Day = m.RaisedAt.UTC().Format(time.DateOnly)
	}
	row := suspectedMigrationRow{Make: m.Make, Day: m.Day, VehicleCount: m.VehicleCount, ConnectedCount: m.ConnectedCount,
		FirstError: Clip(m.FirstError, 300), FirstBreakAt: m.FirstBreakAt.UTC(), RaisedAt: m.RaisedAt.UTC()}
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return m, false, wrap(res.Error, "raise suspected migration of %s", m.Make)
	}
	return row.model(), res.RowsAffected == 1, nil
}

// SuspectedMigrationByID reads one alert.
func (s *Store) SuspectedMigrationByID(ctx context.Context, id int64) (model.SuspectedMigration, error) {
	var row suspectedMigrationRow
	err := s.q(ctx).Where("id = ?", id).Take(&row).Error
	return row.model(), wrap(err, "suspected migration #%d", id)
}

// OpenSuspectedMigrations lists the alerts raised at or after since whose
// make has no running or paused campaign yet, newest first, at most limit.
func (s *Store) OpenSuspectedMigrations(ctx context.Context, since time.Time, limit int) ([]model.SuspectedMigration, error) {
	var rows []suspectedMigrationRow
	err := s.q(ctx).Table("suspected_migrations AS m").Select("m.*").
		Where("m.raised_at >= ?", since.UTC()).
		Where("NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.make = m.make AND c.state IN ?)", liveCampaignStates).
		Order("m.raised_at DESC").Order("m.id DESC").Limit(limit).Scan(&rows).Error
	out := make([]model.SuspectedMigration, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.model())
	}
	return out, wrap(err, "open suspected migrations")
}
