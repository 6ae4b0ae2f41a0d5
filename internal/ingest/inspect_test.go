package ingest_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"reconnect/internal/ingest"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/smartcar", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInspectChecksTheSignatureOverTheRawBytes(t *testing.T) {
	body := fixture(t, "webhook_v4_vehicle_error.json")
	tokens := []string{"new-amt", amt} // a rotation: both are accepted

	d, err := ingest.Inspect(body, sign(body), tokens, t0)
	if err != nil || d.Record.EventID != "e0c1a2b3-4d5e-4f60-8172-93a4b5c6d7e8" || d.Record.Source != store.InboxSmartcar ||
		!bytes.Equal(d.Record.Body, body) || d.Record.DeliveredAt == nil || d.Record.VehicleID != "b4e1f2a3-6c5d-4e7f-8a9b-0c1d2e3f4a5b" {
		t.Fatalf("a delivery signed with the older token: %+v %v", d.Record, err)
	}

	reserialised := bytes.ReplaceAll(body, []byte(`":`), []byte(`": `))
	for name, tc := range map[string]struct {
		body   []byte
		sig    string
		tokens []string
		reason string
	}{
		"missing":            {body, "", tokens, ingest.SigMissing},
		"forged":             {body, sign([]byte("other")), tokens, ingest.SigMismatch},
		"not hex":            {body, "zz", tokens, ingest.SigMismatch},
		"body re-serialised": {reserialised, sign(body), tokens, ingest.SigMismatch},
		"no token set":       {body, sign(body), nil, ingest.SigNotConfigured},
	} {
		_, err := ingest.Inspect(tc.body, tc.sig, tc.tokens, t0)
		var se *ingest.SignatureError
		if !errors.As(err, &se) || se.Reason != tc.reason {
			t.Errorf("%s: want signature error %q, got %v", name, tc.reason, err)
		}
	}
}

func TestInspectAnswersVerify(t *testing.T) {
	for _, name := range []string{"webhook_v4_verify.json", "webhook_v2_verify.json"} {
		body := fixture(t, name)
		ev, _ := smartcar.ParseWebhook(body)
		// Unsigned (Smartcar does not document that VERIFY is signed): the
		// answer uses the first token.
		d, err := ingest.Inspect(body, "", []string{amt, "old"}, t0)
		if err != nil || d.Challenge != smartcar.ChallengeResponse(amt, ev.Challenge) {
			t.Fatalf("%s unsigned: %+v %v", name, d, err)
		}
		// Signed with the second token: answered with that token.
		h := sign(body)
		d, err = ingest.Inspect(body, h, []string{"new", amt}, t0)
		if err != nil || d.Challenge != smartcar.ChallengeResponse(amt, ev.Challenge) {
			t.Fatalf("%s signed: %+v %v", name, d, err)
		}
	}
	// An unsigned VERIFY must not sign arbitrary bytes for a forger: a
	// challenge that could be a body is refused.
	forged := []byte(`{"eventId":"x","eventType":"VERIFY","data":{"challenge":"{\"eventId\":\"evil\"}"},"meta":{"version":"4.0"}}`)
	var se *ingest.SignatureError
	if _, err := ingest.Inspect(forged, "", []string{amt}, t0); !errors.As(err, &se) {
		t.Fatalf("an unsigned VERIFY with a JSON challenge was answered: %v", err)
	}
}

func TestInspectRefusesWhatIsNotAnEvent(t *testing.T) {
	for name, tc := range map[string]struct {
		body []byte
		want error
	}{
		"malformed JSON":      {[]byte(`{"eventId":`), ingest.ErrMalformed},
		"not an object":       {[]byte(`[1,2]`), ingest.ErrMalformed},
		"no type":             {[]byte(`{"eventId":"x"}`), ingest.ErrMalformed},
		"unknown type":        {[]byte(`{"eventId":"x","eventType":"VEHICLE_DISCONNECTED","vehicleId":"v","meta":{"version":"4.0"}}`), ingest.ErrUnknownType},
		"error without a car": {[]byte(`{"eventId":"x","eventType":"VEHICLE_ERROR","meta":{"version":"4.0"}}`), ingest.ErrMalformed},
	} {
		_, err := ingest.Inspect(tc.body, sign(tc.body), []string{amt}, t0)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: want %v, got %v", name, tc.want, err)
		}
	}
	// Legacy 2.0 events are accepted, with or without a vehicle.
	for _, name := range []string{"webhook_v2_event_based.json", "webhook_v2_schedule.json", "webhook_v4_vehicle_state.json"} {
		body := fixture(t, name)
		if d, err := ingest.Inspect(body, sign(body), []string{amt}, t0); err != nil || d.Record.EventID == "" {
			t.Errorf("%s: %+v %v", name, d.Record, err)
		}
	}
}
