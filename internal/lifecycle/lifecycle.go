// Package lifecycle is the one place where a vehicle's connection state
// changes. Every change is written with its timeline event, and the hooks
// (host webhooks, owner emails, campaigns) run inside the same transaction,
// so a change and its consequences commit together or not at all. Saving a
// vehicle's details (SaveVehicle) runs its own hooks the same way.
package lifecycle

import (
	"context"
	"errors"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Change describes a state change that happened.
type Change struct {
	Vehicle model.Vehicle // after the change
	From    model.State
	Reason  string
	Source  model.Source
	At      time.Time
	// PermissionsLost: scopes the car no longer has after this change.
	PermissionsLost []string
}

// Hook reacts to a change inside the transaction that made it; it typically
// enqueues jobs with jobs.Queue.InsertTx(ctx, tx.DB(), …).
type Hook interface {
	StateChanged(ctx context.Context, tx *store.Store, ch Change) error
}

// HookFunc adapts a function to Hook.
type HookFunc func(ctx context.Context, tx *store.Store, ch Change) error

// StateChanged calls f.
func (f HookFunc) StateChanged(ctx context.Context, tx *store.Store, ch Change) error {
	return f(ctx, tx, ch)
}

// VehicleHook reacts to a vehicle's details being saved (created, or its
// make, model, year, country or owner told to us again) inside the
// transaction that saved them: a migration campaign takes in a car that
// matches it from the moment the car is known.
type VehicleHook interface {
	VehicleSaved(ctx context.Context, tx *store.Store, v model.Vehicle) error
}

// Machine applies state changes and runs the hooks.
type Machine struct {
	store        *store.Store
	hooks        []Hook
	vehicleHooks []VehicleHook
	ownerHooks   []OwnerHook
}

// New returns a machine over the store.
func New(s *store.Store, hooks ...Hook) *Machine {
	return &Machine{store: s, hooks: hooks}
}

// AddHook registers a hook; call it while wiring the app, before serving.
func (m *Machine) AddHook(h Hook) { m.hooks = append(m.hooks, h) }

// AddVehicleHook registers a hook on saved vehicle details; call it while
// wiring the app, before serving.
func (m *Machine) AddVehicleHook(h VehicleHook) { m.vehicleHooks = append(m.vehicleHooks, h) }

// SaveVehicle creates or updates a vehicle's details (never its state: see
// store.UpsertVehicle) within tx (or its own transaction when tx is nil)
// and runs the vehicle hooks in the same transaction.
func (m *Machine) SaveVehicle(ctx context.Context, tx *store.Store, in store.VehicleInput) (v model.Vehicle, err error) {
	if tx == nil {
		err = m.store.Tx(ctx, func(tx *store.Store) error {
			v, err = m.SaveVehicle(ctx, tx, in)
			return err
		})
		return v, err
	}
	if v, err = tx.UpsertVehicle(ctx, in); err != nil {
		return v, err
	}
	for _, h := range m.vehicleHooks {
		if err := h.VehicleSaved(ctx, tx, v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// Transition changes the vehicle's state within tx (or its own transaction
// when tx is nil). changed is false when nothing changed; hooks run only on
// a real change.
func (m *Machine) Transition(ctx context.Context, tx *store.Store, vehicleID int64, ch store.StateChange) (v model.Vehicle, changed bool, err error) {
	if tx == nil {
		err = m.store.Tx(ctx, func(tx *store.Store) error {
			v, changed, err = m.Transition(ctx, tx, vehicleID, ch)
			return err
		})
		return v, changed, err
	}
	v, from, changed, err := tx.SetState(ctx, vehicleID, ch)
	if err != nil || !changed {
		return v, changed, err
	}
	if err := m.changed(ctx, tx, v, from, ch); err != nil {
		return v, false, err
	}
	return v, true, nil
}

// TransitionFrom is Transition within tx for a caller that has read the
// vehicle in tx (and locked it, on PostgreSQL) and knows it stands at
// state from with reason fromReason: the change is then written without
// reading the vehicle again (store.SetStateFrom). Should the vehicle stand
// elsewhere by now, it is Transition.
func (m *Machine) TransitionFrom(ctx context.Context, tx *store.Store, vehicleID int64, from model.State, fromReason string, ch store.StateChange) (v model.Vehicle, changed bool, err error) {
	v, ok, err := tx.SetStateFrom(ctx, vehicleID, from, fromReason, ch)
	if err != nil {
		return v, false, err
	}
	if !ok {
		return m.Transition(ctx, tx, vehicleID, ch)
	}
	if err := m.changed(ctx, tx, v, from, ch); err != nil {
		return v, false, err
	}
	return v, true, nil
}

// Step is one change for TransitionsFrom: TransitionFrom's arguments, and
// the vehicle's owner as read with it (nil: none).
type Step struct {
	VehicleID  int64
	OwnerID    *int64
	From       model.State
	FromReason string
	Change     store.StateChange
}

// TransitionsFrom makes steps within tx as TransitionFrom would one by
// one, but writes them in rounds: each round's changes in one statement
// and their timeline entries in another (store.SetStatesFrom), then each
// change's hooks. A round holds at most one change per vehicle and per
// owner, and never one that would overtake an earlier step of its vehicle
// or owner: each owner's changes (and each car's) keep the steps' order,
// and a hook sees every other car of the owner as it stood when that
// change was made, as it would one by one; only changes of different
// owners may come in another order than the steps'. A
// step whose vehicle no longer stands where it was read goes through
// Transition. Applying a burst of webhooks on PostgreSQL, this turns two
// round trips per change into two per round.
func (m *Machine) TransitionsFrom(ctx context.Context, tx *store.Store, steps []Step) error {
	for len(steps) > 0 {
		var round []Step
		var rest []Step
		vehicles, owners := map[int64]bool{}, map[int64]bool{}
		for _, st := range steps {
			free := !vehicles[st.VehicleID] && (st.OwnerID == nil || !owners[*st.OwnerID])
			// Taken or not, the step holds its vehicle and owner for the
			// round: a later step of either waits for the next one.
			vehicles[st.VehicleID] = true
			if st.OwnerID != nil {
				owners[*st.OwnerID] = true
			}
			if free {
				round = append(round, st)
			} else {
				rest = append(rest, st)
			}
		}
		chs := make([]store.StateFrom, len(round))
		for i, st := range round {
			chs[i] = store.StateFrom{VehicleID: st.VehicleID, From: st.From, FromReason: st.FromReason, Change: st.Change}
		}
		vs, ok, err := tx.SetStatesFrom(ctx, chs)
		if err != nil {
			return err
		}
		for i, st := range round {
			if !ok[i] {
				if _, _, err := m.Transition(ctx, tx, st.VehicleID, st.Change); err != nil {
					return err
				}
				continue
			}
			if err := m.changed(ctx, tx, vs[i], st.From, st.Change); err != nil {
				return err
			}
		}
		steps = rest
	}
	return nil
}

// changed runs the hooks on a change that was written.
func (m *Machine) changed(ctx context.Context, tx *store.Store, v model.Vehicle, from model.State, ch store.StateChange) error {
	c := Change{Vehicle: v, From: from, Reason: ch.Reason, Source: ch.Source, At: v.StateChangedAt, PermissionsLost: ch.PermissionsLost}
	for _, h := range m.hooks {
		if err := h.StateChanged(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}

// OwnerChange describes a car that changed hands, or seems to have.
type OwnerChange struct {
	Vehicle model.Vehicle // after the change
	// From is the owner the car had; To the owner it has now, nil when not
	// known (a new Smartcar user and no host owner named yet) and, for a
	// car the owner declined as sold or not theirs, still From.
	From, To  *int64
	Suspected bool
	Cause     model.OwnerChangeCause
	Source    model.Source
	At        time.Time
}

// OwnerHook reacts to a car changing hands inside the transaction that
// recorded it: the previous owner's emails and campaign notices about the
// car end, and the host is told.
type OwnerHook interface {
	OwnerChanged(ctx context.Context, tx *store.Store, ch OwnerChange) error
}

// AddOwnerHook registers a hook on cars changing hands; call it while
// wiring the app, before serving.
func (m *Machine) AddOwnerHook(h OwnerHook) { m.ownerHooks = append(m.ownerHooks, h) }

// OwnerMove is what ChangeOwner is told.
type OwnerMove struct {
	// To is the new owner, nil when only a new Smartcar user is known: the
	// car then leaves its owner and waits for the host (or the Smartcar
	// user's external id) to name the next one.
	To *int64
	// ExternalID is the host's id for the new owner, as the car will carry it.
	ExternalID string
	Cause      model.OwnerChangeCause
	Source     model.Source
}

// ChangeOwner records that a car changed hands within tx (or its own
// transaction when tx is nil): never silently. The car goes to its new
// owner (or to nobody while the new owner is unknown); each owner's
// timeline gets its own entry, so that each keeps only what happened while
// the car was theirs; and the owner hooks run. A decline as sold or not
// theirs moves nothing: it is a suspicion until someone else connects the
// car. changed is false when the car already belongs to To.
func (m *Machine) ChangeOwner(ctx context.Context, tx *store.Store, vehicleID int64, mv OwnerMove) (v model.Vehicle, changed bool, err error) {
	if tx == nil {
		err = m.store.Tx(ctx, func(tx *store.Store) error {
			v, changed, err = m.ChangeOwner(ctx, tx, vehicleID, mv)
			return err
		})
		return v, changed, err
	}
	// Locked: a concurrent change of hands of the same car waits and then
	// finds it already moved, so it is recorded once.
	if v, err = tx.VehicleForUpdate(ctx, vehicleID); err != nil {
		return v, false, err
	}
	from, at := v.OwnerID, tx.Now()
	declined := mv.Cause == model.OwnerChangeSold || mv.Cause == model.OwnerChangeNotMine
	ch := OwnerChange{From: from, To: mv.To, Cause: mv.Cause, Source: mv.Source, At: at, Suspected: mv.To == nil || declined}
	switch {
	case declined:
		ch.To = from
		v, err = tx.MarkOwnerChanged(ctx, v.ID, at)
	case from == nil || (mv.To != nil && *mv.To == *from):
		// A car without an owner that gets one is joined, not moved.
		return v, false, nil
	default:
		v, err = tx.MoveVehicle(ctx, v.ID, mv.To, mv.ExternalID, at)
	}
	if err != nil {
		return v, false, err
	}
	ch.Vehicle = v
	kind := model.EventOwnerChanged
	if ch.Suspected {
		kind = model.EventOwnerChangeSuspected
	}
	detail := `{"cause":"` + string(mv.Cause) + `"}`
	es := []model.Event{{VehicleID: &v.ID, OwnerID: from, Kind: kind, Source: mv.Source, Detail: detail, OccurredAt: at}}
	if !declined && mv.To != nil {
		es = append(es, model.Event{VehicleID: &v.ID, OwnerID: mv.To, Kind: kind, Source: mv.Source, Detail: detail, OccurredAt: at})
	}
	if err := tx.AddEvents(ctx, es); err != nil {
		return v, false, err
	}
	for _, h := range m.ownerHooks {
		if err := h.OwnerChanged(ctx, tx, ch); err != nil {
			return v, false, err
		}
	}
	return v, true, nil
}

// SaveOwnedVehicle saves a car's details for owner in.OwnerID, as the host
// (vehicle PUT) or the owner's full Connect tells them: a car that belongs
// to another owner changes hands first (see ChangeOwner), by cause and
// source, and is then saved.
func (m *Machine) SaveOwnedVehicle(ctx context.Context, tx *store.Store, in store.VehicleInput, cause model.OwnerChangeCause, source model.Source) (v model.Vehicle, err error) {
	if tx == nil {
		err = m.store.Tx(ctx, func(tx *store.Store) error {
			v, err = m.SaveOwnedVehicle(ctx, tx, in, cause, source)
			return err
		})
		return v, err
	}
	if in.OwnerID != nil {
		old, err := tx.VehicleBySmartcarID(ctx, in.SmartcarID)
		switch {
		case err == nil && old.OwnerID != nil && *old.OwnerID != *in.OwnerID:
			if _, _, err := m.ChangeOwner(ctx, tx, old.ID, OwnerMove{To: in.OwnerID, ExternalID: in.ExternalID, Cause: cause, Source: source}); err != nil {
				return v, err
			}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return v, err
		}
	}
	return m.SaveVehicle(ctx, tx, in)
}
