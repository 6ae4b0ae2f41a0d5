package smartcar

import "reconnect/internal/model"

// Kind is what the caller should do about an error.
type Kind int

const (
	// KindIgnore records the error without prompting the owner.
	KindIgnore Kind = iota
	// KindPrompt moves the vehicle into Classification.State and prompts the owner.
	KindPrompt
	// KindRefreshFirst means our own token is bad: refresh it, and only
	// classify the refresh error (invalid_grant means needs_reauth) if that fails.
	KindRefreshFirst
)

// String implements fmt.Stringer.
func (k Kind) String() string {
	switch k {
	case KindPrompt:
		return "prompt"
	case KindRefreshFirst:
		return "refresh_first"
	default:
		return "ignore"
	}
}

// Classification is the product's reading of one Smartcar error.
type Classification struct {
	State         model.State // "" unless Kind is KindPrompt
	Kind          Kind
	Reason        string // stable TYPE:CODE key, e.g. CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED
	ResolutionURL string // partial re-auth or virtual-key URL, when Smartcar sent one
	Transient     bool   // likely to clear on its own; retrying later makes sense
	Noise         bool   // a per-signal PERMISSION error that says nothing about the connection
	// ConnectionWorks: the error itself proves Smartcar reached the
	// carmaker with these credentials (the car is asleep, offline or busy),
	// so a repair checked by this call succeeded.
	ConnectionWorks bool
}

// Classify maps a Smartcar error onto the product's vehicle states.
// Only errors that prove the connection itself is broken prompt the owner;
// everything else is recorded, because a false prompt costs owner trust.
func Classify(e *Error) Classification {
	if e == nil {
		return Classification{}
	}
	c := Classification{Kind: KindIgnore, Reason: e.Reason()}
	prompt := func(state model.State) Classification {
		c.Kind, c.State = KindPrompt, state
		c.ResolutionURL = e.Resolution.URL
		return c
	}
	switch e.Type {
	case "CONNECTED_SERVICES_ACCOUNT":
		switch e.Code {
		case "AUTHENTICATION_FAILED", "PERMISSION":
			return prompt(model.StateNeedsReauth)
		case "SUBSCRIPTION", "ACCOUNT_ISSUE", "VEHICLE_MISSING", "NO_VEHICLES":
			return prompt(model.StateNeedsOEMAction)
		case "VIRTUAL_KEY_REQUIRED":
			return prompt(model.StateNeedsVirtualKey)
		}
		// An undocumented account code is recorded, not guessed at.
		return c
	case "PERMISSION":
		// PERMISSION:null carries REAUTHENTICATE, but Smartcar also raises it
		// per signal for scopes the plan or vehicle does not allow while data
		// keeps flowing. With signals it is known noise; without them it still
		// only means one scope is missing, not that the connection broke, so
		// it is recorded for staff and never prompts the owner.
		c.Noise = len(e.Signals) > 0
		return c
	// Lower-case types are the legacy v1 shape, which the API still sends
	// for some failures.
	case "AUTHENTICATION", "authentication_error":
		c.Kind = KindRefreshFirst
		return c
	case "invalid_grant":
		// The refresh token is dead or revoked: only the owner can mint a new one.
		return prompt(model.StateNeedsReauth)
	case "VEHICLE_STATE", "vehicle_state_error":
		// Every VEHICLE_STATE code (asleep, unreachable, in motion, remote
		// access disabled…) comes from the carmaker answering about the car.
		c.Transient, c.ConnectionWorks = true, true
		return c
	case "RATE_LIMIT", "UPSTREAM", "SERVER", "rate_limit_error":
		c.Transient = true
		return c
	case "BILLING", "COMPATIBILITY", "VALIDATION", "RESOURCE_NOT_FOUND":
		return c
	}
	// Unknown shapes: a 401 still means our token, and 429/5xx still pass.
	switch {
	case e.HTTPStatus == 401 && e.Type == TypeUnknown:
		c.Kind = KindRefreshFirst
	case e.HTTPStatus == 429 || e.HTTPStatus >= 500:
		c.Transient = true
	}
	return c
}
