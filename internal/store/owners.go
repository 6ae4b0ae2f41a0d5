// Table owners: the host app's users whose vehicles we watch.

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"reconnect/internal/model"

	"gorm.io/gorm/clause"
)

// OwnerInput is what the host app tells us about an owner.
type OwnerInput struct {
	HostUserID string
	Email      string
	Name       string
	Locale     string
	TimeZone   string
	// Phone is E.164 ("+4930123456") or empty; the caller checks it.
	Phone string
}

// UpsertOwner creates the owner or updates its details, keyed by host user id.
func (s *Store) UpsertOwner(ctx context.Context, in OwnerInput) (model.Owner, error) {
	if strings.TrimSpace(in.HostUserID) == "" {
		return model.Owner{}, fmt.Errorf("store: upsert owner: host user id: %w", ErrInvalid)
	}
	now := s.now()
	o := model.Owner{
		HostUserID: in.HostUserID, AuditID: newAuditID(), Email: normalizeEmail(in.Email), Name: in.Name,
		Locale: in.Locale, TimeZone: in.TimeZone, Phone: in.Phone, CreatedAt: now, UpdatedAt: now,
	}
	err := s.q(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "host_user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"email", "name", "locale", "time_zone", "phone", "updated_at"}),
	}).Create(&o).Error
	if err != nil {
		return model.Owner{}, wrap(err, "upsert owner %s", in.HostUserID)
	}
	o, err = s.OwnerByHostID(ctx, in.HostUserID)
	if err != nil {
		return o, err
	}
	// A new or emptied address may move their vehicles between the
	// funnel's unreachable and notified steps.
	return o, s.MarkOwnerFunnelDirty(ctx, o.ID)
}

// OwnerByHostID finds an owner by the host app's user id.
func (s *Store) OwnerByHostID(ctx context.Context, hostUserID string) (model.Owner, error) {
	var o model.Owner
	err := s.q(ctx).Where("host_user_id = ?", hostUserID).Take(&o).Error
	return o, wrap(err, "owner %s", hostUserID)
}

// The owner's page reads one owner and their vehicles on every view, so
// OwnerByID and queryVehicles (vehicles.go) scan by hand: GORM's
// reflection-based scan was the largest single cost of the page.
const ownerColumns = "id, host_user_id, audit_id, email, name, locale, time_zone, phone, unsubscribed_at, created_at, updated_at"

func scanOwner(r scanner) (model.Owner, error) {
	var ow ownerScan
	err := r.Scan(ow.dest()...)
	return ow.owner(), err
}

// ownerScan is an owners row being scanned: dest for Scan, then owner.
type ownerScan struct {
	o     model.Owner
	unsub sql.NullTime
}

func (s *ownerScan) dest() []any {
	o := &s.o
	return []any{&o.ID, &o.HostUserID, &o.AuditID, &o.Email, &o.Name, &o.Locale, &o.TimeZone, &o.Phone, &s.unsub, &o.CreatedAt, &o.UpdatedAt}
}

func (s *ownerScan) owner() model.Owner {
	s.o.UnsubscribedAt = nullTime(s.unsub)
	return s.o
}

// OwnerPage is what the owner's page shows of the database: the owner, their
// vehicles in VehiclesByOwner's order, and which of those are in a running
// or paused campaign (the only ones whose campaign needs looking up). One
// query reads all three, where three or more read them before.
type OwnerPage struct {
	Owner    model.Owner
	Vehicles []model.Vehicle
	// InCampaign holds the ids of the vehicles in a live campaign.
	InCampaign map[int64]bool
}

// ownerPageQuery joins the owner to their vehicles, each with whether it is
// in a live campaign. An owner without vehicles has no row: OwnerByID reads
// them then. It is written per dialect and run on GORM's pool of prepared
// statements directly: GORM's Raw parses the text for its "?" on every
// call, which is a tenth of the page's query.
var ownerPageQuery = map[bool]string{
	false: ownerPageSelect("?", "?", "?"),
	true:  ownerPageSelect("$1", "$2", "$3"),
}

func ownerPageSelect(running, paused, owner string) string {
	return "SELECT " + prefixed("o.", ownerColumns) + ", " + prefixed("v.", vehicleColumns) +
		", EXISTS (SELECT 1 FROM campaign_vehicles cv JOIN campaigns c ON c.id = cv.campaign_id WHERE cv.vehicle_id = v.id AND c.state IN (" + running + ", " + paused + "))" +
		" FROM owners o JOIN vehicles v ON v.owner_id = o.id WHERE o.id = " + owner + " ORDER BY v.id"
}

// prefixed qualifies each column of a comma-separated list with a table alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + c
	}
	return strings.Join(cols, ", ")
}

// OwnerPageOf reads an owner's page (see OwnerPage); ErrNotFound when there
// is no such owner.
func (s *Store) OwnerPageOf(ctx context.Context, ownerID int64) (OwnerPage, error) {
	p := OwnerPage{InCampaign: map[int64]bool{}}
	rows, err := s.q(ctx).Statement.ConnPool.QueryContext(ctx, ownerPageQuery[s.postgres()], string(model.CampaignRunning), string(model.CampaignPaused), ownerID)
	if err != nil {
		return p, wrap(err, "owner page #%d", ownerID)
	}
	defer rows.Close()
	for rows.Next() {
		var ow ownerScan
		var vs vehicleScan
		var live bool
		if err := rows.Scan(append(append(ow.dest(), vs.dest()...), &live)...); err != nil {
			return p, wrap(err, "owner page #%d", ownerID)
		}
		p.Owner = ow.owner()
		v := vs.vehicle()
		p.Vehicles = append(p.Vehicles, v)
		if live {
			p.InCampaign[v.ID] = true
		}
	}
	if err := rows.Err(); err != nil {
		return p, wrap(err, "owner page #%d", ownerID)
	}
	if len(p.Vehicles) == 0 {
		p.Owner, err = s.OwnerByID(ctx, ownerID)
		return p, err
	}
	sortForOwner(p.Vehicles)
	return p, nil
}

// OwnerByID finds an owner by our id.
func (s *Store) OwnerByID(ctx context.Context, id int64) (model.Owner, error) {
	rows, err := s.q(ctx).Raw("SELECT "+ownerColumns+" FROM owners WHERE id = ?", id).Rows()
	if err != nil {
		return model.Owner{}, wrap(err, "owner #%d", id)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return model.Owner{}, wrap(err, "owner #%d", id)
		}
		return model.Owner{}, wrap(sql.ErrNoRows, "owner #%d", id)
	}
	o, err := scanOwner(rows)
	return o, wrap(err, "owner #%d", id)
}

// unsubscribeOwner turns the owner's emails off as of now; false when they
// were off already (nothing is written then).
func (s *Store) unsubscribeOwner(ctx context.Context, id int64, now time.Time) (bool, error) {
	res := s.q(ctx).Model(&model.Owner{}).Where("id = ? AND unsubscribed_at IS NULL", id).
		Updates(map[string]any{"unsubscribed_at": now, "updated_at": now})
	if res.Error != nil || res.RowsAffected == 0 {
		return false, wrap(res.Error, "unsubscribe owner #%d", id)
	}
	return true, s.MarkOwnerFunnelDirty(ctx, id)
}

// UnsubscribeOwner turns the owner's emails off as of now (a spam
// complaint, say); false when they were off already.
func (s *Store) UnsubscribeOwner(ctx context.Context, id int64) (bool, error) {
	return s.unsubscribeOwner(ctx, id, s.now())
}

// OwnerByEmail finds the owner with that address (case-insensitive).
func (s *Store) OwnerByEmail(ctx context.Context, email string) (model.Owner, error) {
	var o model.Owner
	err := s.q(ctx).Where("email = ?", normalizeEmail(email)).Order("id").Take(&o).Error
	return o, wrap(err, "owner by email")
}

// AuditIDsOfOwner lists the audit pseudonyms of the owners someone names
// by email address (case-insensitive) or host user id: the rows the audit
// log holds about them carry these. An erased owner keeps theirs, but no
// longer their address or host user id.
func (s *Store) AuditIDsOfOwner(ctx context.Context, emailOrHostID string) ([]string, error) {
	ids := []string{}
	err := s.q(ctx).Model(&model.Owner{}).Where("email = ? OR host_user_id = ?", normalizeEmail(emailOrHostID), emailOrHostID).
		Order("id").Pluck("audit_id", &ids).Error
	return ids, wrap(err, "owner pseudonyms")
}

// OwnerIDsByHostIDs maps host user ids to owner ids, for the ones that exist.
func (s *Store) OwnerIDsByHostIDs(ctx context.Context, hostIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(hostIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ID         int64
		HostUserID string
	}
	err := s.q(ctx).Model(&model.Owner{}).Select("id, host_user_id").Where("host_user_id IN ?", hostIDs).Scan(&rows).Error
	for _, r := range rows {
		out[r.HostUserID] = r.ID
	}
	return out, wrap(err, "owners by host ids")
}
