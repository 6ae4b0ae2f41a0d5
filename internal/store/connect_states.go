// Table connect_states: the one-time state of each trip to Smartcar Connect.

package store

import (
	"context"
	"fmt"
	"time"

	"reconnect/internal/model"
)

// Connect flows. FlowConnect is the model's full-Connect repair flow;
// FlowReauth keeps its older stored spelling ("reauth", where a campaign's
// flow says model.FlowReauthenticate), since rows written before a release
// must still read back.
const (
	FlowReauth  = "reauth"
	FlowConnect = string(model.FlowConnect)
)

// How a trip ended, stored on its state.
const (
	OutcomeFixed      = "fixed"
	OutcomeFailed     = "failed"
	OutcomeUnverified = "unverified"
)

// ConnectState binds one trip to Smartcar Connect to the browser session that
// started it. The `state` value itself is stored only as a hash.
type ConnectState struct {
	ID         int64
	StateHash  string
	SessionID  string
	OwnerID    int64
	VehicleID  *int64
	LinkID     *int64
	Flow       string
	PrevState  model.State
	PrevReason string
	ExpiresAt  time.Time
	UsedAt     *time.Time
	// Outcome is how the trip ended ("" until it has).
	Outcome string
	// PrevScopes is the space-separated grant the car had before a full
	// Connect; Smartcar may grant less than was asked.
	PrevScopes string
	CreatedAt  time.Time
}

// CreateConnectState stores a new one-time state.
func (s *Store) CreateConnectState(ctx context.Context, cs ConnectState) (ConnectState, error) {
	if cs.StateHash == "" || cs.SessionID == "" || cs.OwnerID == 0 {
		return ConnectState{}, fmt.Errorf("store: create connect state: %w", ErrInvalid)
	}
	cs.CreatedAt = s.now()
	return cs, wrap(s.q(ctx).Create(&cs).Error, "create connect state")
}

// ConnectStateByHash finds a state, used or not.
func (s *Store) ConnectStateByHash(ctx context.Context, hash string) (ConnectState, error) {
	var cs ConnectState
	err := s.q(ctx).Where("state_hash = ?", hash).Take(&cs).Error
	return cs, wrap(err, "connect state")
}

// ConsumeConnectState marks the state used; false if it was already used
// (a replayed callback), so a state is acted on at most once.
func (s *Store) ConsumeConnectState(ctx context.Context, id int64) (bool, error) {
	res := s.q(ctx).Model(&ConnectState{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", s.now())
	if res.Error != nil {
		return false, wrap(res.Error, "consume connect state #%d", id)
	}
	return res.RowsAffected == 1, nil
}

// LatestConnectState returns the newest trip started for a vehicle, used or
// not.
func (s *Store) LatestConnectState(ctx context.Context, vehicleID int64) (ConnectState, error) {
	var cs ConnectState
	err := s.q(ctx).Where("vehicle_id = ?", vehicleID).Order("id DESC").Take(&cs).Error
	return cs, wrap(err, "latest connect state of vehicle #%d", vehicleID)
}

// SetConnectStateOutcome records how the trip of a used state ended.
func (s *Store) SetConnectStateOutcome(ctx context.Context, id int64, outcome string) error {
	return wrap(s.q(ctx).Model(&ConnectState{}).Where("id = ?", id).Update("outcome", outcome).Error, "connect state #%d outcome", id)
}
