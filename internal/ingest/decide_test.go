package ingest

// The detection rules, one input at a time. decide and plan are unexported
// and pure, so this file sits inside the package: the end-to-end tests prove
// the pipeline, these prove each rule and the order in which they apply.

import (
	"encoding/json"
	"testing"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

const (
	reasonAuth    = "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED"
	reasonSub     = "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION"
	reauthURL     = "https://connect.smartcar.com/oauth/reauthenticate?vehicle_id=v1"
	virtualKeyURL = "https://tesla.com/_ak/example"
)

// classify reads an error the way the pipeline does, so the cases below use
// the reasons and kinds real inputs produce.
func classify(typ, code string, signals ...string) smartcar.Classification {
	e := &smartcar.Error{Type: typ, Code: code, Signals: signals}
	switch {
	case typ == "CONNECTED_SERVICES_ACCOUNT" && code == "AUTHENTICATION_FAILED":
		e.Resolution.URL = reauthURL
	case code == "VIRTUAL_KEY_REQUIRED":
		e.Resolution.URL = virtualKeyURL
	}
	return smartcar.Classify(e)
}

var (
	authFailed   = classify("CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED")
	subscription = classify("CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION")
	virtualKey   = classify("CONNECTED_SERVICES_ACCOUNT", "VIRTUAL_KEY_REQUIRED")
	deadRefresh  = classify("invalid_grant", "")
	asleep       = classify("VEHICLE_STATE", "ASLEEP")
	rateLimited  = classify("RATE_LIMIT", "VEHICLE")
	signalNoise  = classify("PERMISSION", "", "odometer")
	bareScope    = classify("PERMISSION", "")
	ourToken     = classify("AUTHENTICATION", "")
)

func errorIn(c smartcar.Classification) verdict    { return verdict{class: c} }
func resolvedIn(c smartcar.Classification) verdict { return verdict{class: c, resolved: true} }

var callSucceeded = verdict{ok: true}

func TestDecide(t *testing.T) {
	toConnected := decision{outcome: OutcomeResolved, to: model.StateConnected, change: true, decisive: true}
	cases := []struct {
		name   string
		cur    model.State
		reason string
		v      verdict
		stale  bool
		want   decision
	}{
		// Errors that prove the connection broke.
		{"an authentication failure moves a connected vehicle to needs_reauth with Smartcar's re-auth URL",
			model.StateConnected, "", errorIn(authFailed), false,
			decision{outcome: OutcomePrompt, to: model.StateNeedsReauth, reason: reasonAuth, url: reauthURL, change: true, decisive: true}},
		{"a subscription error moves a connected vehicle to needs_oem_action",
			model.StateConnected, "", errorIn(subscription), false,
			decision{outcome: OutcomePrompt, to: model.StateNeedsOEMAction, reason: reasonSub, change: true, decisive: true}},
		{"a virtual-key error moves a connected vehicle to needs_virtual_key with the pairing URL",
			model.StateConnected, "", errorIn(virtualKey), false,
			decision{outcome: OutcomePrompt, to: model.StateNeedsVirtualKey, reason: "CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED", url: virtualKeyURL, change: true, decisive: true}},
		{"a dead refresh token moves a connected vehicle to needs_reauth",
			model.StateConnected, "", errorIn(deadRefresh), false,
			decision{outcome: OutcomePrompt, to: model.StateNeedsReauth, reason: "invalid_grant", change: true, decisive: true}},
		{"a new broken reason replaces the reason of a vehicle that is already broken",
			model.StateNeedsReauth, reasonAuth, errorIn(subscription), false,
			decision{outcome: OutcomePrompt, to: model.StateNeedsOEMAction, reason: reasonSub, change: true, decisive: true}},
		{"an error during a trip through Connect moves a reconnecting vehicle back to broken",
			model.StateReconnecting, reasonAuth, errorIn(authFailed), false,
			decision{outcome: OutcomePrompt, to: model.StateNeedsReauth, reason: reasonAuth, url: reauthURL, change: true, decisive: true}},
		{"a stale authentication failure changes nothing but still counts as about the connection",
			model.StateConnected, "", errorIn(authFailed), true,
			decision{outcome: OutcomeStale, decisive: true}},
		{"an authentication failure leaves a declined vehicle declined",
			model.StateDeclined, "declined:sold", errorIn(authFailed), false,
			decision{outcome: OutcomeDeclined, decisive: true}},
		{"a stale error for a declined vehicle is reported as stale: staleness is judged first",
			model.StateDeclined, "declined:sold", errorIn(authFailed), true,
			decision{outcome: OutcomeStale, decisive: true}},

		// Errors that say nothing about the connection.
		{"an asleep vehicle is ignored and does not move the event clock",
			model.StateConnected, "", errorIn(asleep), false, decision{outcome: OutcomeIgnored}},
		{"a rate limit is ignored even for a broken vehicle",
			model.StateNeedsReauth, reasonAuth, errorIn(rateLimited), false, decision{outcome: OutcomeIgnored}},
		{"a per-signal PERMISSION error is noise",
			model.StateConnected, "", errorIn(signalNoise), false, decision{outcome: OutcomeNoise}},
		{"a PERMISSION error without signals is ignored, not noise and not a prompt",
			model.StateConnected, "", errorIn(bareScope), false, decision{outcome: OutcomeIgnored}},
		{"noise stays noise when stale: only connection verdicts are judged for age",
			model.StateConnected, "", errorIn(signalNoise), true, decision{outcome: OutcomeNoise}},
		{"our own refused access token asks to refresh first and changes nothing",
			model.StateConnected, "", errorIn(ourToken), false, decision{outcome: OutcomeRefreshFirst}},
		{"refresh-first wins over declined: the caller's token is not the owner's choice",
			model.StateDeclined, "declined:sold", errorIn(ourToken), false, decision{outcome: OutcomeRefreshFirst}},

		// RESOLVED entries.
		{"RESOLVED for the vehicle's own reason returns it to connected",
			model.StateNeedsReauth, reasonAuth, resolvedIn(authFailed), false, toConnected},
		{"RESOLVED for another reason leaves a broken vehicle alone as unrelated",
			model.StateNeedsReauth, reasonAuth, resolvedIn(subscription), false,
			decision{outcome: OutcomeUnrelated, decisive: true}},
		{"RESOLVED for another reason is unrelated for needs_virtual_key too",
			model.StateNeedsVirtualKey, "CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED", resolvedIn(authFailed), false,
			decision{outcome: OutcomeUnrelated, decisive: true}},
		{"RESOLVED for any prompting reason returns a broken vehicle whose reason is unknown",
			model.StateNeedsOEMAction, "", resolvedIn(subscription), false, toConnected},
		{"RESOLVED returns a reconnecting vehicle to connected whatever reason it carries",
			model.StateReconnecting, reasonAuth, resolvedIn(subscription), false, toConnected},
		{"RESOLVED for an error the vehicle does not have is already_connected when connected",
			model.StateConnected, "", resolvedIn(authFailed), false,
			decision{outcome: OutcomeAlreadyConnected, decisive: true}},
		{"RESOLVED of an ignorable error is ignored even for a broken vehicle",
			model.StateNeedsReauth, reasonAuth, resolvedIn(asleep), false, decision{outcome: OutcomeIgnored}},
		{"RESOLVED of noise is ignored, not noise",
			model.StateConnected, "", resolvedIn(signalNoise), false, decision{outcome: OutcomeIgnored}},
		{"a stale RESOLVED for the vehicle's own reason changes nothing",
			model.StateNeedsReauth, reasonAuth, resolvedIn(authFailed), true,
			decision{outcome: OutcomeStale, decisive: true}},
		{"a stale RESOLVED for another reason is unrelated before it is stale",
			model.StateNeedsReauth, reasonAuth, resolvedIn(subscription), true,
			decision{outcome: OutcomeUnrelated, decisive: true}},
		{"RESOLVED leaves a declined vehicle declined",
			model.StateDeclined, "declined:not_mine", resolvedIn(authFailed), false,
			decision{outcome: OutcomeDeclined, decisive: true}},

		// Successful calls.
		{"a successful call returns a broken vehicle to connected whatever its reason",
			model.StateNeedsOEMAction, reasonSub, callSucceeded, false, toConnected},
		{"a successful call returns a reconnecting vehicle to connected",
			model.StateReconnecting, reasonAuth, callSucceeded, false, toConnected},
		{"a successful call for a connected vehicle is already_connected",
			model.StateConnected, "", callSucceeded, false, decision{outcome: OutcomeAlreadyConnected, decisive: true}},
		{"a successful call leaves a declined vehicle declined",
			model.StateDeclined, "declined:stopped_using", callSucceeded, false, decision{outcome: OutcomeDeclined, decisive: true}},
		{"a stale successful call changes nothing",
			model.StateNeedsReauth, reasonAuth, callSucceeded, true, decision{outcome: OutcomeStale, decisive: true}},
		{"a successful call wins over a classification it happens to carry",
			model.StateNeedsReauth, reasonAuth, verdict{ok: true, class: asleep}, false, toConnected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := decide(tc.cur, tc.reason, tc.v, tc.stale)
			if got != tc.want {
				t.Fatalf("decide(%s, %q, %+v, stale=%v)\n got %+v\nwant %+v", tc.cur, tc.reason, tc.v, tc.stale, got, tc.want)
			}
		})
	}
}

// Whatever arrives, only the owner takes a vehicle out of declined: no
// verdict may plan a change for it.
func TestDecideNeverMovesADeclinedVehicle(t *testing.T) {
	verdicts := []verdict{callSucceeded}
	for _, c := range []smartcar.Classification{authFailed, subscription, virtualKey, deadRefresh, asleep, rateLimited, signalNoise, bareScope, ourToken} {
		verdicts = append(verdicts, errorIn(c), resolvedIn(c))
	}
	for _, v := range verdicts {
		for _, stale := range []bool{false, true} {
			if d := decide(model.StateDeclined, "declined:sold", v, stale); d.change || d.to != "" {
				t.Errorf("a declined vehicle would change on %+v (stale=%v): %+v", v, stale, d)
			}
		}
	}
}

func TestRecordedOnly(t *testing.T) {
	cases := []struct {
		name string
		outs []Outcome
		want bool
	}{
		{"no outcome at all is not recorded-only: a delivery with nothing in it is still a delivery", nil, false},
		{"ignored alone is recorded-only", []Outcome{OutcomeIgnored}, true},
		{"noise alone is recorded-only", []Outcome{OutcomeNoise}, true},
		{"refresh-first alone is recorded-only", []Outcome{OutcomeRefreshFirst}, true},
		{"ignored, noise and refresh-first together are recorded-only", []Outcome{OutcomeIgnored, OutcomeNoise, OutcomeRefreshFirst}, true},
		{"one prompt among ignored errors is about the connection", []Outcome{OutcomeIgnored, OutcomePrompt}, false},
		{"a stale verdict is about the connection", []Outcome{OutcomeStale}, false},
		{"signals are data, not an ignored error", []Outcome{OutcomeSignals}, false},
		{"noise with signals is not recorded-only", []Outcome{OutcomeNoise, OutcomeSignals}, false},
		{"an unrelated RESOLVED is about the connection", []Outcome{OutcomeUnrelated}, false},
		{"declined is about the connection", []Outcome{OutcomeDeclined}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := recordedOnly(tc.outs); got != tc.want {
				t.Fatalf("recordedOnly(%v) = %v, want %v", tc.outs, got, tc.want)
			}
		})
	}
}

// plan is where the ordering rule meets the clock: an event is stale when it
// is strictly older than the vehicle's state gate, so one at the very same
// instant still applies.
func TestPlanOrdering(t *testing.T) {
	created := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	gate := created.Add(time.Hour)
	ptr := func(t time.Time) *time.Time { return &t }

	type vehicleAt struct {
		state       model.State
		reason      string
		changedAt   time.Time
		lastEventAt *time.Time
	}
	type want struct {
		outcomes []Outcome
		kind     model.EventKind
		state    model.State
		reason   string
		changes  int
		clock    *time.Time // the vehicle's LastEventAt after the plan
	}
	cases := []struct {
		name     string
		vehicle  vehicleAt
		at       time.Time
		kind     model.EventKind
		verdicts []verdict
		want     want
	}{
		{"an error at exactly the last deciding event's time applies",
			vehicleAt{model.StateConnected, "", created, ptr(gate)}, gate, model.EventWebhookReceived,
			[]verdict{errorIn(authFailed)},
			want{[]Outcome{OutcomePrompt}, model.EventWebhookReceived, model.StateNeedsReauth, reasonAuth, 1, ptr(gate)}},
		{"an error one nanosecond before the last deciding event is stale and keeps the clock",
			vehicleAt{model.StateConnected, "", created, ptr(gate)}, gate.Add(-time.Nanosecond), model.EventWebhookReceived,
			[]verdict{errorIn(authFailed)},
			want{[]Outcome{OutcomeStale}, model.EventWebhookReceived, model.StateConnected, "", 0, ptr(gate)}},
		{"a RESOLVED at exactly the time of the owner's last change applies",
			vehicleAt{model.StateNeedsReauth, reasonAuth, gate, nil}, gate, model.EventWebhookReceived,
			[]verdict{resolvedIn(authFailed)},
			want{[]Outcome{OutcomeResolved}, model.EventWebhookReceived, model.StateConnected, "", 1, ptr(gate)}},
		{"a RESOLVED older than the owner's last change is stale",
			vehicleAt{model.StateNeedsReauth, reasonAuth, gate, nil}, gate.Add(-time.Second), model.EventWebhookReceived,
			[]verdict{resolvedIn(authFailed)},
			want{[]Outcome{OutcomeStale}, model.EventWebhookReceived, model.StateNeedsReauth, reasonAuth, 0, nil}},
		{"the newer of the state change and the last event is the gate",
			vehicleAt{model.StateNeedsReauth, reasonAuth, gate, ptr(gate.Add(-time.Minute))}, gate.Add(-time.Second), model.EventWebhookReceived,
			[]verdict{resolvedIn(authFailed)},
			want{[]Outcome{OutcomeStale}, model.EventWebhookReceived, model.StateNeedsReauth, reasonAuth, 0, ptr(gate.Add(-time.Minute))}},
		{"an event older than the vehicle's creation still applies: creation says nothing about the connection",
			vehicleAt{model.StateConnected, "", created, nil}, created.Add(-time.Hour), model.EventWebhookReceived,
			[]verdict{errorIn(subscription)},
			want{[]Outcome{OutcomePrompt}, model.EventWebhookReceived, model.StateNeedsOEMAction, reasonSub, 1, ptr(created.Add(-time.Hour))}},
		{"a repeated error confirms the state without planning a change, and moves the clock",
			vehicleAt{model.StateNeedsReauth, reasonAuth, gate, ptr(gate)}, gate.Add(time.Minute), model.EventWebhookReceived,
			[]verdict{errorIn(authFailed)},
			want{[]Outcome{OutcomePrompt}, model.EventWebhookReceived, model.StateNeedsReauth, reasonAuth, 0, ptr(gate.Add(time.Minute))}},
		{"a RESOLVED and a new error in one delivery: the second is judged against the state the first left",
			vehicleAt{model.StateNeedsReauth, reasonAuth, gate, ptr(gate)}, gate.Add(time.Minute), model.EventWebhookReceived,
			[]verdict{resolvedIn(authFailed), errorIn(subscription)},
			want{[]Outcome{OutcomeResolved, OutcomePrompt}, model.EventWebhookReceived, model.StateNeedsOEMAction, reasonSub, 2, ptr(gate.Add(time.Minute))}},
		{"a new error and then its RESOLVED in one delivery leave the vehicle connected",
			vehicleAt{model.StateConnected, "", created, ptr(gate)}, gate.Add(time.Minute), model.EventWebhookReceived,
			[]verdict{errorIn(authFailed), resolvedIn(authFailed)},
			want{[]Outcome{OutcomePrompt, OutcomeResolved}, model.EventWebhookReceived, model.StateConnected, "", 2, ptr(gate.Add(time.Minute))}},
		{"only ignorable errors are recorded as error_ignored and leave the clock alone",
			vehicleAt{model.StateConnected, "", created, ptr(gate)}, gate.Add(time.Minute), model.EventErrorReported,
			[]verdict{errorIn(asleep), errorIn(signalNoise), errorIn(ourToken)},
			want{[]Outcome{OutcomeIgnored, OutcomeNoise, OutcomeRefreshFirst}, model.EventErrorIgnored, model.StateConnected, "", 0, ptr(gate)}},
		{"a health check that failed harmlessly keeps its own kind",
			vehicleAt{model.StateConnected, "", created, ptr(gate)}, gate.Add(time.Minute), model.EventHealthCheck,
			[]verdict{errorIn(asleep)},
			want{[]Outcome{OutcomeIgnored}, model.EventHealthCheck, model.StateConnected, "", 0, ptr(gate)}},
		{"a declined vehicle stays declined and the clock still moves",
			vehicleAt{model.StateDeclined, "declined:sold", gate, ptr(gate)}, gate.Add(time.Minute), model.EventHealthCheck,
			[]verdict{callSucceeded},
			want{[]Outcome{OutcomeDeclined}, model.EventHealthCheck, model.StateDeclined, "declined:sold", 0, ptr(gate.Add(time.Minute))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tv := &store.TrackedVehicle{LastEventAt: tc.vehicle.lastEventAt}
			tv.ID, tv.State, tv.Reason = 7, tc.vehicle.state, tc.vehicle.reason
			tv.CreatedAt, tv.StateChangedAt = created, tc.vehicle.changedAt
			o := &observation{inbox: store.InboxEvent{EventID: "evt-1"}, source: model.SourceWebhook, kind: tc.kind,
				eventType: "VEHICLE_ERROR", at: tc.at, verdicts: tc.verdicts}
			clock := &store.EventClock{}
			ev, changes := plan(tv, o, clock)

			var detail struct {
				Outcomes []Outcome `json:"outcomes"`
			}
			if err := json.Unmarshal([]byte(ev.Detail), &detail); err != nil {
				t.Fatalf("detail %q: %v", ev.Detail, err)
			}
			if !equalOutcomes(detail.Outcomes, tc.want.outcomes) {
				t.Errorf("outcomes %v, want %v", detail.Outcomes, tc.want.outcomes)
			}
			if ev.Kind != tc.want.kind || ev.Source != model.SourceWebhook || !ev.OccurredAt.Equal(tc.at) || ev.VehicleID == nil || *ev.VehicleID != 7 {
				t.Errorf("timeline entry %+v, want kind %s at %s", ev, tc.want.kind, tc.at)
			}
			if tv.State != tc.want.state || tv.Reason != tc.want.reason {
				t.Errorf("vehicle left %s %q, want %s %q", tv.State, tv.Reason, tc.want.state, tc.want.reason)
			}
			if len(changes) != tc.want.changes {
				t.Fatalf("%d changes planned, want %d: %+v", len(changes), tc.want.changes, changes)
			}
			if n := len(changes); n > 0 {
				last := changes[n-1].change
				if last.To != tc.want.state || last.Reason != tc.want.reason || !last.At.Equal(tc.at) || last.Source != model.SourceWebhook {
					t.Errorf("last change %+v", last)
				}
				if !tv.StateChangedAt.Equal(tc.at) {
					t.Errorf("state changed at %s, want the event's time %s", tv.StateChangedAt, tc.at)
				}
			}
			switch {
			case tc.want.clock == nil && tv.LastEventAt != nil:
				t.Errorf("clock moved to %s", tv.LastEventAt)
			case tc.want.clock != nil && (tv.LastEventAt == nil || !tv.LastEventAt.Equal(*tc.want.clock)):
				t.Errorf("clock at %v, want %s", tv.LastEventAt, tc.want.clock)
			}
			// The clock written back is the event's own time, and only when
			// the event was about the connection and not stale.
			writes := tc.want.clock != nil && tc.want.clock.Equal(tc.at)
			if writes != (clock.LastEventAt != nil) || (writes && !clock.LastEventAt.Equal(tc.at)) {
				t.Errorf("clock written %v, want written=%v", clock.LastEventAt, writes)
			}
		})
	}
}

func equalOutcomes(a, b []Outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
