package model

import "slices"

// State is a vehicle's connection state; a vehicle is in exactly one.
type State string

// The connection states of the product brief.
const (
	StateConnected       State = "connected"
	StateNeedsReauth     State = "needs_reauth"
	StateNeedsOEMAction  State = "needs_oem_action"
	StateNeedsVirtualKey State = "needs_virtual_key"
	StateReconnecting    State = "reconnecting"
	StateDeclined        State = "declined"
)

// States lists every state in display order: those that need the owner first.
var States = []State{StateNeedsReauth, StateNeedsOEMAction, StateNeedsVirtualKey, StateReconnecting, StateDeclined, StateConnected}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// NeedsOwner reports whether the owner has something to do.
func (s State) NeedsOwner() bool {
	return s == StateNeedsReauth || s == StateNeedsOEMAction || s == StateNeedsVirtualKey || s == StateReconnecting
}

// Actions is what an owner may do about a vehicle in a given state; the owner
// page shows exactly these buttons and the handlers refuse anything else.
type Actions struct {
	// Reconnect: re-authenticate with the vehicle already chosen.
	Reconnect bool
	// Connect: a full Smartcar Connect, for when re-authentication cannot help.
	Connect bool
	// Decline: "I don't want to reconnect".
	Decline bool
	// PairKey: follow the vehicle's virtual-key pairing URL.
	PairKey bool
}

// Allows says what an owner may do about a vehicle in state s. A declined
// vehicle may be reconnected (the owner changed their mind); a connected one
// has nothing to do.
func (s State) Allows() Actions {
	switch s {
	case StateNeedsReauth, StateReconnecting:
		return Actions{Reconnect: true, Connect: true, Decline: true}
	case StateNeedsOEMAction:
		// The fix is at the carmaker; a fresh Connect would hit the same wall.
		return Actions{Reconnect: true, Decline: true}
	case StateNeedsVirtualKey:
		return Actions{Decline: true, PairKey: true}
	case StateDeclined:
		return Actions{Reconnect: true}
	}
	return Actions{}
}
