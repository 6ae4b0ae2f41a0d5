package ingest

import (
	"reconnect/internal/model"
	"reconnect/internal/smartcar"
)

// Outcome says what one input did to a vehicle's state; it is written on the
// timeline so staff can see why a car did or did not change.
type Outcome string

// The outcomes of an input.
const (
	// OutcomePrompt moved the vehicle into a broken state (or confirmed it).
	OutcomePrompt Outcome = "prompt"
	// OutcomeResolved returned a broken vehicle to connected.
	OutcomeResolved Outcome = "resolved"
	// OutcomeIgnored is an error the owner cannot and need not fix.
	OutcomeIgnored Outcome = "ignored"
	// OutcomeNoise is a per-signal PERMISSION error from a plan that lacks the
	// signal; the connection is fine.
	OutcomeNoise Outcome = "noise"
	// OutcomeRefreshFirst means the caller's own access token was refused.
	OutcomeRefreshFirst Outcome = "refresh_first"
	// OutcomeStale is older than the event that last decided the state.
	OutcomeStale Outcome = "stale"
	// OutcomeDeclined: the owner declined to reconnect; only they change that.
	OutcomeDeclined = Outcome(model.StateDeclined)
	// OutcomeUnrelated clears an error other than the one the vehicle has.
	OutcomeUnrelated Outcome = "unrelated"
	// OutcomeAlreadyConnected clears an error the vehicle does not have.
	OutcomeAlreadyConnected Outcome = "already_connected"
	// OutcomeSignals is a VEHICLE_STATE delivery: data, not a verdict.
	OutcomeSignals Outcome = "signals"
)

// verdict is one statement an input makes about the connection.
type verdict struct {
	class    smartcar.Classification
	resolved bool // a RESOLVED webhook entry: the error it names has cleared
	ok       bool // a call that succeeded
}

// decision is what a verdict does to a vehicle in a given state.
type decision struct {
	outcome Outcome
	// to is set when the state (or the reason) must change.
	to       model.State
	reason   string
	url      string
	change   bool
	decisive bool // the verdict is about the connection, so it moves the vehicle's event clock
}

// decide applies the product's rules to one verdict. It is pure, so the rules
// can be read and tested in one place:
//
//   - only errors that prove the connection is broken (KindPrompt) change the
//     state; the rest are recorded;
//   - RESOLVED, or a successful call, returns a broken or reconnecting vehicle
//     to connected, but only for the error it has (or when its reason is
//     unknown): clearing "asleep" does not fix "authentication failed";
//   - a declined vehicle stays declined whatever arrives: the owner said no,
//     and only the owner (or staff) changes that;
//   - an input older than the one that last decided the state is recorded
//     and changes nothing.
func decide(cur model.State, curReason string, v verdict, stale bool) decision {
	switch {
	case v.ok:
		return connectIfBroken(cur, stale)
	case v.resolved:
		if v.class.Kind != smartcar.KindPrompt {
			return decision{outcome: OutcomeIgnored}
		}
		if cur.NeedsOwner() && cur != model.StateReconnecting && curReason != "" && curReason != v.class.Reason {
			return decision{outcome: OutcomeUnrelated, decisive: true}
		}
		return connectIfBroken(cur, stale)
	}
	switch v.class.Kind {
	case smartcar.KindPrompt:
		switch {
		case stale:
			return decision{outcome: OutcomeStale, decisive: true}
		case cur == model.StateDeclined:
			return decision{outcome: OutcomeDeclined, decisive: true}
		}
		return decision{outcome: OutcomePrompt, to: v.class.State, reason: v.class.Reason,
			url: v.class.ResolutionURL, change: true, decisive: true}
	case smartcar.KindRefreshFirst:
		return decision{outcome: OutcomeRefreshFirst}
	}
	if v.class.Noise {
		return decision{outcome: OutcomeNoise}
	}
	return decision{outcome: OutcomeIgnored}
}

func connectIfBroken(cur model.State, stale bool) decision {
	switch {
	case stale:
		return decision{outcome: OutcomeStale, decisive: true}
	case cur == model.StateDeclined:
		return decision{outcome: OutcomeDeclined, decisive: true}
	case cur == model.StateConnected:
		return decision{outcome: OutcomeAlreadyConnected, decisive: true}
	}
	return decision{outcome: OutcomeResolved, to: model.StateConnected, change: true, decisive: true}
}

// recordedOnly reports whether every outcome left the connection alone
// because the input was not about it.
func recordedOnly(outs []Outcome) bool {
	if len(outs) == 0 {
		return false
	}
	for _, o := range outs {
		if o != OutcomeIgnored && o != OutcomeNoise && o != OutcomeRefreshFirst {
			return false
		}
	}
	return true
}
