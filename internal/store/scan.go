package store

import (
	"context"
	"database/sql"
	"time"

	"reconnect/internal/model"
)

// The owner's page reads one owner and their vehicles on every view. These
// two queries scan by hand: GORM's reflection-based scan was the largest
// single cost of the page.
const (
	ownerColumns   = "id, host_user_id, email, name, locale, time_zone, unsubscribed_at, created_at, updated_at"
	vehicleColumns = "id, smartcar_id, owner_id, smartcar_user_id, external_id, make, model, year, vin, nickname, state, reason, reason_detail, resolution_url, state_changed_at, last_signal_at, snoozed_until, created_at, updated_at"
)

type scanner interface{ Scan(dest ...any) error }

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

func scanOwner(r scanner) (model.Owner, error) {
	var o model.Owner
	var unsub sql.NullTime
	err := r.Scan(&o.ID, &o.HostUserID, &o.Email, &o.Name, &o.Locale, &o.TimeZone, &unsub, &o.CreatedAt, &o.UpdatedAt)
	o.UnsubscribedAt = nullTime(unsub)
	return o, err
}

func scanVehicle(r scanner) (model.Vehicle, error) {
	var v model.Vehicle
	var owner sql.NullInt64
	var signal, snoozed sql.NullTime
	var state string
	err := r.Scan(&v.ID, &v.SmartcarID, &owner, &v.SmartcarUserID, &v.ExternalID, &v.Make, &v.Model, &v.Year, &v.VIN,
		&v.Nickname, &state, &v.Reason, &v.ReasonDetail, &v.ResolutionURL, &v.StateChangedAt, &signal, &snoozed, &v.CreatedAt, &v.UpdatedAt)
	v.State = model.State(state)
	if owner.Valid {
		id := owner.Int64
		v.OwnerID = &id
	}
	v.LastSignalAt, v.SnoozedUntil = nullTime(signal), nullTime(snoozed)
	return v, err
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

func (s *Store) queryVehicles(ctx context.Context, where string, args ...any) ([]model.Vehicle, error) {
	rows, err := s.q(ctx).Raw("SELECT "+vehicleColumns+" FROM vehicles WHERE "+where, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []model.Vehicle
	for rows.Next() {
		v, err := scanVehicle(rows)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}
