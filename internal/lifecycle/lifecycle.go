// Package lifecycle is the one place where a vehicle's connection state
// changes. Every change is written with its timeline event, and the hooks
// (host webhooks, owner emails, campaigns) run inside the same transaction,
// so a change and its consequences commit together or not at all. Saving a
// vehicle's details (SaveVehicle) runs its own hooks the same way.
package lifecycle

import (
	"context"
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
	c := Change{Vehicle: v, From: from, Reason: ch.Reason, Source: ch.Source, At: v.StateChangedAt, PermissionsLost: ch.PermissionsLost}
	for _, h := range m.hooks {
		if err := h.StateChanged(ctx, tx, c); err != nil {
			return v, false, err
		}
	}
	return v, true, nil
}
