package smartcar

import (
	"errors"
	"strings"
	"testing"
	"time"

	"reconnect/internal/model"
)

const (
	vectorChallenge = "9baf5a7464bd86740ad5a06e439dcf535a075022ed2c92d74efacf646d79328e"
	vectorPizza     = "4c05a8da471f05156ad717baa4017acd13a3a809850b9ca7d3301dcaaa854f70"
)

func TestChallengeResponse(t *testing.T) {
	if got := ChallengeResponse("amt", "challenge"); got != vectorChallenge {
		t.Errorf("ChallengeResponse = %s", got)
	}
	// One SDK swaps key and message; that answer (checked independently
	// with Python's hmac module) must not be ours.
	if got := ChallengeResponse("challenge", "amt"); got == vectorChallenge || !strings.HasPrefix(got, "7ab7c126") {
		t.Errorf("swapped = %s", got)
	}
}

func TestVerifySignature(t *testing.T) {
	pizza := []byte(`{"pizza":"pasta"}`)
	forged := "5" + vectorPizza[1:]
	tests := []struct {
		name   string
		body   []byte
		sig    string
		tokens []string
		want   bool
	}{
		{"published vector", pizza, vectorPizza, []string{"amt"}, true},
		{"header whitespace", pizza, " " + vectorPizza + "\n", []string{"amt"}, true},
		{"re-serialised body", []byte(`{"pizza": "pasta"}`), vectorPizza, []string{"amt"}, false},
		{"forged", pizza, forged, []string{"amt"}, false},
		{"wrong token", pizza, vectorPizza, []string{"other"}, false},
		{"rotation, old first", pizza, vectorPizza, []string{"new", "amt"}, true},
		{"rotation, empty slot skipped", pizza, vectorPizza, []string{"", "amt"}, true},
		{"no tokens", pizza, vectorPizza, nil, false},
		{"empty token never matches", pizza, ChallengeResponse("", string(pizza)), []string{""}, false},
		{"empty signature", pizza, "", []string{"amt"}, false},
		{"non-hex", pizza, strings.Repeat("zz", 32), []string{"amt"}, false},
		{"truncated", pizza, vectorPizza[:62], []string{"amt"}, false},
		{"odd length", pizza, vectorPizza[:63], []string{"amt"}, false},
		{"prefix of a longer mac", pizza, vectorPizza + "00", []string{"amt"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(tt.body, tt.sig, tt.tokens...); got != tt.want {
				t.Errorf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
	if ChallengeResponse("amt", `{"pizza": "pasta"}`)[:8] != "04040b71" {
		t.Error("space-after-colon vector changed")
	}
}

func TestVerifySignatureOnFixture(t *testing.T) {
	body := fixture(t, "webhook_v4_vehicle_error.json")
	sig := ChallengeResponse("amt-token", string(body))
	if !VerifySignature(body, sig, "amt-token") {
		t.Error("a fixture signed over its raw bytes failed")
	}
	if VerifySignature([]byte(strings.TrimSpace(string(body))), sig, "amt-token") {
		t.Error("a body missing its trailing newline still verified")
	}
}

func TestParseWebhook(t *testing.T) {
	const (
		vehicle = "b4e1f2a3-6c5d-4e7f-8a9b-0c1d2e3f4a5b"
		user    = "93b3ca2a-ea20-4e2b-8e8d-2a4b8f1e7c3d"
	)
	tests := []struct {
		file  string
		check func(t *testing.T, ev *WebhookEvent)
	}{
		{"webhook_v4_verify.json", func(t *testing.T, ev *WebhookEvent) {
			if ev.Type != EventVerify || ev.Challenge != "3b6a1f0e-7c2d-4e9a-8b5f-0d4c2e1a9b73" || ev.Version != "4.0" ||
				ev.VehicleID != "" || ev.WebhookName != "Reconnect" ||
				!ev.DeliveredAt.Equal(time.Date(2025, 7, 31, 19, 38, 42, 332e6, time.UTC)) {
				t.Errorf("%+v", ev)
			}
		}},
		{"webhook_v4_vehicle_state.json", func(t *testing.T, ev *WebhookEvent) {
			want := WebhookVehicle{ID: vehicle, Make: "TESLA", Model: "Model 3", Year: 2022, Mode: "live", PowertrainType: "BEV"}
			if ev.Type != EventVehicleState || ev.VehicleID != vehicle || ev.UserID != user || ev.ExternalID != "owner-42" ||
				ev.Vehicle != want || ev.Mode != ModeLive || ev.SignalCount != 2 || len(ev.Triggers) != 1 ||
				ev.Triggers[0] != "FIRST_DELIVERY" || !ev.DeliveredAt.Equal(time.UnixMilli(1754003922332)) {
				t.Errorf("%+v", ev)
			}
		}},
		{"webhook_v4_vehicle_error.json", func(t *testing.T, ev *WebhookEvent) {
			if ev.Type != EventVehicleError || len(ev.Errors) != 1 || ev.Vehicle.VIN != "WVGZZZE2ZPP012345" {
				t.Fatalf("%+v", ev)
			}
			we := ev.Errors[0]
			if we.State != ErrorStateError || we.StatusCode != 400 || we.RequestID == "" || we.Resolution.Type != "REAUTHENTICATE" || len(we.Signals) != 0 {
				t.Errorf("%+v", we)
			}
			c := Classify(we.AsError())
			if c.State != model.StateNeedsReauth || !strings.Contains(c.ResolutionURL, "vehicle_id="+vehicle) {
				t.Errorf("classified %+v", c)
			}
		}},
		{"webhook_v4_vehicle_error_resolved.json", func(t *testing.T, ev *WebhookEvent) {
			if len(ev.Errors) != 1 || ev.Errors[0].State != ErrorStateResolved || !ev.DeliveredAt.Equal(time.Unix(1700000000, 0)) || ev.ExternalID != "" {
				t.Errorf("%+v", ev)
			}
		}},
		{"webhook_v4_vehicle_error_permission.json", func(t *testing.T, ev *WebhookEvent) {
			we := ev.Errors[0]
			if ev.Vehicle.Year != 2022 || strings.Join(we.Signals, ",") != "charge-chargelimits,closure-islocked" ||
				!ev.DeliveredAt.Equal(time.UnixMilli(1754004100000)) {
				t.Errorf("%+v", ev)
			}
			if c := Classify(we.AsError()); c.Kind != KindIgnore || !c.Noise {
				t.Errorf("per-signal PERMISSION classified %+v", c)
			}
		}},
		{"webhook_v2_verify.json", func(t *testing.T, ev *WebhookEvent) {
			if ev.Type != EventVerify || ev.Version != "2.0" || ev.Challenge != "5f0b2e1c-9d8a-4b7c-a6e5-d4c3b2a1f0e9" ||
				ev.WebhookID != "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" || !strings.HasPrefix(ev.EventID, "sha256:") {
				t.Errorf("%+v", ev)
			}
		}},
		{"webhook_v2_event_based.json", func(t *testing.T, ev *WebhookEvent) {
			if ev.Type != "eventBased" || ev.EventID != "6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a" ||
				ev.VehicleID != "36ab27d0-fd9d-4455-823a-ce30af709ffc" || ev.LegacyEventType != "CHARGING_STARTED" ||
				ev.Mode != ModeLive || ev.EventTime.IsZero() {
				t.Errorf("%+v", ev)
			}
		}},
		{"webhook_v2_schedule.json", func(t *testing.T, ev *WebhookEvent) {
			if ev.Type != "schedule" || ev.Mode != ModeTest || !strings.HasPrefix(ev.EventID, "sha256:") {
				t.Errorf("%+v", ev)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := fixture(t, tt.file)
			ev, err := ParseWebhook(body)
			if err != nil {
				t.Fatal(err)
			}
			if !ev.Known() || string(ev.Raw) != string(body) || ev.EventID == "" {
				t.Errorf("known=%v raw kept=%v id=%q", ev.Known(), string(ev.Raw) == string(body), ev.EventID)
			}
			tt.check(t, ev)
		})
	}
}

func TestParseWebhookUnknownAndMalformed(t *testing.T) {
	ev, err := ParseWebhook([]byte(`{"eventId":"e1","eventType":"VEHICLE_DISCONNECTED","vehicleId":"v1","meta":{"version":"4.0"}}`))
	if err != nil || ev.Known() || ev.Type != "VEHICLE_DISCONNECTED" || ev.VehicleID != "v1" {
		t.Errorf("unknown type: %+v, %v", ev, err)
	}
	if ev, _ := ParseWebhook([]byte(`{"version":"3.0","eventName":"schedule"}`)); ev == nil || ev.Known() {
		t.Errorf("schedule outside 2.0 counted as known: %+v", ev)
	}

	malformed := map[string]string{
		"not json":          `eventType=VERIFY`,
		"truncated":         `{"eventId":"e1","eventType":"VER`,
		"array":             `[{"eventType":"VERIFY"}]`,
		"null":              `null`,
		"no type":           `{"eventId":"e1","data":{}}`,
		"verify, no answer": `{"eventId":"e1","eventType":"VERIFY","data":{}}`,
		"wrong field type":  `{"eventId":7,"eventType":"VEHICLE_STATE"}`,
		"2.0 verify, empty": `{"version":"2.0","eventName":"verify","payload":{}}`,
	}
	for name, body := range malformed {
		t.Run(name, func(t *testing.T) {
			if ev, err := ParseWebhook([]byte(body)); !errors.Is(err, ErrMalformedWebhook) {
				t.Errorf("got %+v, %v; want ErrMalformedWebhook", ev, err)
			}
		})
	}
}

func TestParseWebhookDerivedIDIsStable(t *testing.T) {
	body := fixture(t, "webhook_v2_verify.json")
	a, _ := ParseWebhook(body)
	b, _ := ParseWebhook(append([]byte(nil), body...))
	other, _ := ParseWebhook([]byte(`{"version":"2.0","eventName":"verify","payload":{"challenge":"x"}}`))
	if a.EventID != b.EventID || a.EventID == other.EventID {
		t.Errorf("ids %q %q %q", a.EventID, b.EventID, other.EventID)
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		raw  string
		want time.Time
	}{
		{`"2025-07-31T19:38:42.332Z"`, time.Date(2025, 7, 31, 19, 38, 42, 332e6, time.UTC)},
		{`"2025-07-31T21:38:42+02:00"`, time.Date(2025, 7, 31, 19, 38, 42, 0, time.UTC)},
		{`1754003922332`, time.UnixMilli(1754003922332)},
		{`"1754003922332"`, time.UnixMilli(1754003922332)},
		{`1700000000`, time.Unix(1700000000, 0)},
		{`"1700000000"`, time.Unix(1700000000, 0)},
		{`1700000000.5`, time.Unix(1700000000, 5e8)},
		{`100000000000`, time.Unix(1e11, 0)},
		{`100000000001`, time.UnixMilli(100000000001)},
		{`null`, time.Time{}},
		{`""`, time.Time{}},
		{`"yesterday"`, time.Time{}},
		{`1e300`, time.Time{}},
		{`"NaN"`, time.Time{}},
		{`{"a":1}`, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := parseTimestamp([]byte(tt.raw)); !got.Equal(tt.want) {
				t.Errorf("parseTimestamp = %v, want %v", got, tt.want)
			}
		})
	}
}

// meta.sequence orders one webhook's events for a vehicle when Smartcar
// sends it; a value that is not a whole, non-negative number is treated as
// absent rather than refusing the event.
func TestParseWebhookSequence(t *testing.T) {
	for _, tc := range []struct {
		meta string
		want *int64
	}{
		{`"sequence":42`, ptr(int64(42))},
		{`"sequence":"43"`, ptr(int64(43))},
		{`"sequence":0`, ptr(int64(0))},
		{`"sequence":null`, nil},
		{`"sequence":-1`, nil},
		{`"sequence":1.5`, nil},
		{`"sequence":"x"`, nil},
		{`"other":1`, nil},
	} {
		body := []byte(`{"eventId":"e","eventType":"VEHICLE_ERROR","vehicleId":"v","data":{"errors":[]},"meta":{"version":"4.0","webhookId":"wh",` + tc.meta + `}}`)
		ev, err := ParseWebhook(body)
		if err != nil {
			t.Fatalf("%s: %v", tc.meta, err)
		}
		switch {
		case tc.want == nil && ev.Sequence != nil:
			t.Errorf("%s: sequence %d, want none", tc.meta, *ev.Sequence)
		case tc.want != nil && (ev.Sequence == nil || *ev.Sequence != *tc.want):
			t.Errorf("%s: sequence %v, want %d", tc.meta, ev.Sequence, *tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
