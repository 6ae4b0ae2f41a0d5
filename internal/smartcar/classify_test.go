package smartcar

import (
	"strings"
	"testing"

	"reconnect/internal/model"
)

func TestClassifyEveryDocumentedError(t *testing.T) {
	ignore := Classification{Kind: KindIgnore}
	transient := Classification{Kind: KindIgnore, Transient: true}
	// The car answered, so the credentials work: a repair checked by this
	// call succeeded.
	carAnswered := Classification{Kind: KindIgnore, Transient: true, ConnectionWorks: true}
	prompt := func(state model.State) Classification { return Classification{Kind: KindPrompt, State: state} }
	// Every type and code of Smartcar's error table; "" stands for code null.
	table := []struct {
		typ   string
		codes []string
		want  Classification
	}{
		{"AUTHENTICATION", []string{""}, Classification{Kind: KindRefreshFirst}},
		{"BILLING", []string{"INVALID_PLAN", "VEHICLE_LIMIT", "VEHICLE_REQUEST_LIMIT", "ACCOUNT_SUSPENDED"}, ignore},
		{"COMPATIBILITY", []string{"MAKE_NOT_COMPATIBLE", "SMARTCAR_NOT_CAPABLE", "VEHICLE_NOT_CAPABLE", "PLATFORM_NOT_CAPABLE"}, ignore},
		{"CONNECTED_SERVICES_ACCOUNT", []string{"AUTHENTICATION_FAILED", "PERMISSION"}, prompt(model.StateNeedsReauth)},
		{"CONNECTED_SERVICES_ACCOUNT", []string{"ACCOUNT_ISSUE", "NO_VEHICLES", "SUBSCRIPTION", "VEHICLE_MISSING"}, prompt(model.StateNeedsOEMAction)},
		{"CONNECTED_SERVICES_ACCOUNT", []string{"VIRTUAL_KEY_REQUIRED"}, prompt(model.StateNeedsVirtualKey)},
		{"CONNECTED_SERVICES_ACCOUNT", []string{"SOMETHING_NEW"}, ignore},
		{"PERMISSION", []string{""}, ignore},
		{"RATE_LIMIT", []string{"SMARTCAR_API", "VEHICLE"}, transient},
		{"RESOURCE_NOT_FOUND", []string{"PATH", "VERSION", "VEHICLE_NOT_FOUND", "SIGNAL_NOT_FOUND"}, ignore},
		{"SERVER", []string{"INTERNAL", "MULTIPLE_RECORDS_FOUND", "RECORD_NOT_FOUND"}, transient},
		{"UPSTREAM", []string{"INVALID_DATA", "KNOWN_ISSUE", "NO_RESPONSE", "RATE_LIMIT", "UNKNOWN_ISSUE"}, transient},
		{"VALIDATION", []string{"", "PARAMETER", "INVALID_INPUT_FORMAT", "MISSING_PARAMETER"}, ignore},
		{"VEHICLE_STATE", strings.Fields("ASLEEP CHARGING_IN_PROGRESS CHARGING_PLUG_NOT_CONNECTED DOOR_OPEN FULLY_CHARGED " +
			"NOT_CHARGING CHARGE_FAULT HOOD_OPEN IGNITION_ON IN_MOTION REMOTE_ACCESS_DISABLED TRUNK_OPEN UNKNOWN " +
			"UNREACHABLE VEHICLE_OFFLINE_FOR_SERVICE"), carAnswered},
		{"invalid_grant", []string{""}, prompt(model.StateNeedsReauth)},
		{"invalid_client", []string{""}, ignore},
		{"unauthorized_client", []string{""}, ignore},
		{"authentication_error", []string{""}, Classification{Kind: KindRefreshFirst}},
		{"vehicle_state_error", []string{"VS_000"}, carAnswered},
	}
	for _, row := range table {
		for _, code := range row.codes {
			e := &Error{Type: row.typ, Code: code, Resolution: Resolution{Type: "REAUTHENTICATE", URL: "https://x.example/r"}}
			t.Run(e.Reason(), func(t *testing.T) {
				want := row.want
				want.Reason = e.Reason()
				if want.Kind == KindPrompt {
					want.ResolutionURL = e.Resolution.URL
				}
				if got := Classify(e); got != want {
					t.Errorf("Classify = %+v, want %+v", got, want)
				}
			})
		}
	}
}

func TestClassifyEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want Classification
	}{
		{"nil", nil, Classification{}},
		{"per-signal permission is noise", &Error{Type: "PERMISSION", Signals: []string{"charge-chargelimits"}},
			Classification{Kind: KindIgnore, Reason: "PERMISSION", Noise: true}},
		{"unknown 401", &Error{Type: TypeUnknown, HTTPStatus: 401}, Classification{Kind: KindRefreshFirst, Reason: TypeUnknown}},
		{"unknown 503", &Error{Type: TypeUnknown, HTTPStatus: 503}, Classification{Kind: KindIgnore, Reason: TypeUnknown, Transient: true}},
		{"unknown 429", &Error{Type: "SOMETHING", HTTPStatus: 429}, Classification{Kind: KindIgnore, Reason: "SOMETHING", Transient: true}},
		{"unknown 400", &Error{Type: TypeUnknown, HTTPStatus: 400}, Classification{Kind: KindIgnore, Reason: TypeUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestClassifyFixtures(t *testing.T) {
	tests := []struct {
		file      string
		state     model.State
		kind      Kind
		urlPrefix string
	}{
		{"error_v2_authentication_failed.json", model.StateNeedsReauth, KindPrompt, "https://connect.smartcar.com/oauth/reauthenticate?"},
		{"error_v2_resolution_string.json", "", KindIgnore, ""},
		{"error_v2_resolution_null.json", model.StateNeedsOEMAction, KindPrompt, ""},
		{"error_v2_virtual_key.json", model.StateNeedsVirtualKey, KindPrompt, "https://tesla.com/_ak/"},
		{"error_v2_vehicle_state_asleep.json", "", KindIgnore, ""},
		{"error_oauth_invalid_grant.json", model.StateNeedsReauth, KindPrompt, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := Classify(DecodeError(400, nil, fixture(t, tt.file)))
			if got.State != tt.state || got.Kind != tt.kind || !strings.HasPrefix(got.ResolutionURL, tt.urlPrefix) {
				t.Errorf("Classify = %+v", got)
			}
		})
	}
	for k, s := range map[Kind]string{KindIgnore: "ignore", KindPrompt: "prompt", KindRefreshFirst: "refresh_first"} {
		if k.String() != s {
			t.Errorf("%d.String() = %q", k, k.String())
		}
	}
}
