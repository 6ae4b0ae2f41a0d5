package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"reconnect/internal/model"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// VehicleInput is what the host app (or a Connect callback) tells us about a
// vehicle. Empty fields leave stored values alone.
type VehicleInput struct {
	SmartcarID     string
	OwnerID        *int64
	SmartcarUserID string
	ExternalID     string
	Make           string
	Model          string
	Year           int
	VIN            string
	Nickname       string
}

// UpsertVehicle creates the vehicle (connected) or updates its details. The
// connection state is never changed here: only SetState changes it.
func (s *Store) UpsertVehicle(ctx context.Context, in VehicleInput) (model.Vehicle, error) {
	if strings.TrimSpace(in.SmartcarID) == "" {
		return model.Vehicle{}, fmt.Errorf("store: upsert vehicle: smartcar id: %w", ErrInvalid)
	}
	var out model.Vehicle
	err := s.Tx(ctx, func(tx *Store) error {
		var v model.Vehicle
		err := tx.q(ctx).Where("smartcar_id = ?", in.SmartcarID).Take(&v).Error
		now := tx.now()
		if err == gorm.ErrRecordNotFound {
			v = model.Vehicle{
				SmartcarID: in.SmartcarID, OwnerID: in.OwnerID, SmartcarUserID: in.SmartcarUserID,
				ExternalID: in.ExternalID, Make: strings.ToUpper(in.Make), Model: in.Model, Year: in.Year,
				VIN: strings.ToUpper(in.VIN), Nickname: in.Nickname, State: model.StateConnected,
				StateChangedAt: now, CreatedAt: now, UpdatedAt: now,
			}
			if err := tx.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&v).Error; err != nil {
				return wrap(err, "create vehicle %s", in.SmartcarID)
			}
			if v.ID == 0 { // lost a race with a concurrent insert: update instead
				return tx.q(ctx).Where("smartcar_id = ?", in.SmartcarID).Take(&out).Error
			}
			out = v
			return tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: model.EventVehicleAdded, Source: model.SourceAPI, ToState: v.State})
		}
		if err != nil {
			return wrap(err, "find vehicle %s", in.SmartcarID)
		}
		up := map[string]any{"updated_at": now}
		set := func(col, val string) {
			if val != "" {
				up[col] = val
			}
		}
		set("smartcar_user_id", in.SmartcarUserID)
		set("external_id", in.ExternalID)
		set("make", strings.ToUpper(in.Make))
		set("model", in.Model)
		set("vin", strings.ToUpper(in.VIN))
		set("nickname", in.Nickname)
		if in.Year != 0 {
			up["year"] = in.Year
		}
		if in.OwnerID != nil {
			up["owner_id"] = *in.OwnerID
		}
		if err := tx.q(ctx).Model(&model.Vehicle{}).Where("id = ?", v.ID).Updates(up).Error; err != nil {
			return wrap(err, "update vehicle %s", in.SmartcarID)
		}
		return wrap(tx.q(ctx).Take(&out, v.ID).Error, "reload vehicle %s", in.SmartcarID)
	})
	return out, err
}

// VehicleBySmartcarID finds a vehicle by its Smartcar id.
func (s *Store) VehicleBySmartcarID(ctx context.Context, id string) (model.Vehicle, error) {
	var v model.Vehicle
	err := s.q(ctx).Where("smartcar_id = ?", id).Take(&v).Error
	return v, wrap(err, "vehicle %s", id)
}

// VehicleByID finds a vehicle by our id.
func (s *Store) VehicleByID(ctx context.Context, id int64) (model.Vehicle, error) {
	var v model.Vehicle
	err := s.q(ctx).Take(&v, id).Error
	return v, wrap(err, "vehicle #%d", id)
}

// ownerOrder ranks states so that vehicles needing the owner lead.
var ownerOrder = map[model.State]int{model.StateNeedsReauth: 0, model.StateNeedsOEMAction: 1, model.StateNeedsVirtualKey: 2, model.StateReconnecting: 3, model.StateConnected: 4, model.StateDeclined: 5}

// VehiclesByOwner lists an owner's vehicles, those that need the owner first.
// The few rows are sorted here rather than by an SQL CASE, which SQLite had to
// parse and sort on every page view.
func (s *Store) VehiclesByOwner(ctx context.Context, ownerID int64) ([]model.Vehicle, error) {
	vs, err := s.queryVehicles(ctx, "owner_id = ? ORDER BY id", ownerID)
	if err != nil {
		return nil, wrap(err, "vehicles of owner #%d", ownerID)
	}
	sort.SliceStable(vs, func(i, j int) bool { return ownerOrder[vs[i].State] < ownerOrder[vs[j].State] })
	return vs, nil
}

// StateChange moves a vehicle to a new state and says why.
type StateChange struct {
	To            model.State
	Reason        string
	ReasonDetail  string
	ResolutionURL string
	Source        model.Source
	Detail        string // recorded on the timeline event
	At            time.Time
}

// SetState changes the vehicle's state and records the change on its timeline
// in the same transaction. It returns the vehicle after the change and the
// state it had before; changed is false when the vehicle was already in that
// state with that reason (nothing is written then).
func (s *Store) SetState(ctx context.Context, vehicleID int64, ch StateChange) (v model.Vehicle, from model.State, changed bool, err error) {
	if !ch.To.Valid() {
		return model.Vehicle{}, "", false, fmt.Errorf("store: set state %q: %w", ch.To, ErrInvalid)
	}
	err = s.Tx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Take(&v, vehicleID).Error; err != nil {
			return wrap(err, "vehicle #%d", vehicleID)
		}
		from = v.State
		if v.State == ch.To && v.Reason == ch.Reason {
			return nil
		}
		at := ch.At
		if at.IsZero() {
			at = tx.now()
		}
		res := tx.q(ctx).Model(&model.Vehicle{}).Where("id = ?", v.ID).Updates(map[string]any{
			"state": ch.To, "reason": ch.Reason, "reason_detail": ch.ReasonDetail,
			"resolution_url": ch.ResolutionURL, "state_changed_at": at, "updated_at": tx.now(),
		})
		if res.Error != nil {
			return wrap(res.Error, "update state of vehicle #%d", v.ID)
		}
		v.State, v.Reason, v.ReasonDetail, v.ResolutionURL, v.StateChangedAt = ch.To, ch.Reason, ch.ReasonDetail, ch.ResolutionURL, at
		changed = true
		return tx.AddEvent(ctx, model.Event{
			VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: model.EventStateChanged, Source: ch.Source,
			FromState: from, ToState: ch.To, Detail: ch.Detail, OccurredAt: at,
		})
	})
	return v, from, changed, err
}

// CountByState returns how many vehicles are in each state.
func (s *Store) CountByState(ctx context.Context) (map[model.State]int64, error) {
	var rows []struct {
		State model.State
		N     int64
	}
	err := s.q(ctx).Model(&model.Vehicle{}).Select("state, count(*) AS n").Group("state").Scan(&rows).Error
	out := map[model.State]int64{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, wrap(err, "count by state")
}

// Snooze holds reminders for a vehicle back until the given time.
func (s *Store) Snooze(ctx context.Context, vehicleID int64, until time.Time) error {
	return wrap(s.q(ctx).Model(&model.Vehicle{}).Where("id = ?", vehicleID).Updates(map[string]any{"snoozed_until": until, "updated_at": s.now()}).Error, "snooze vehicle #%d", vehicleID)
}
