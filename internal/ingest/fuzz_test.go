package ingest_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"reconnect/internal/ingest"
	"reconnect/internal/smartcar"
)

// FuzzInspect drives the receiver's whole parsing path: whatever the bytes
// and whether or not they are signed, it answers with one of the documented
// refusals or with a complete record, and never acknowledges an unsigned
// event.
func FuzzInspect(f *testing.F) {
	names, _ := filepath.Glob("../../testdata/smartcar/webhook_*.json")
	for _, n := range names {
		b := fixture(f, filepath.Base(n))
		f.Add(b, true)
		f.Add(b, false)
	}
	f.Add([]byte(`{"eventId":"x","eventType":"VERIFY","data":{"challenge":"{}"}}`), false)
	f.Add([]byte(`{"version":"2.0","eventName":"verify","payload":{"challenge":"abc"}}`), false)
	f.Add([]byte(`{"eventId":"x","eventType":"VEHICLE_ERROR","vehicleId":"v","data":{"errors":[{"type":"PERMISSION","signals":["a"]}]},"meta":{"version":"4.0","deliveredAt":"9e99"}}`), true)
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		sig := ""
		if signed {
			sig = sign(body)
		}
		d, err := ingest.Inspect(body, sig, []string{amt}, t0)
		if err != nil {
			var se *ingest.SignatureError
			if !errors.As(err, &se) && !errors.Is(err, ingest.ErrMalformed) && !errors.Is(err, ingest.ErrUnknownType) {
				t.Fatalf("undocumented refusal: %v", err)
			}
			return
		}
		if d.Event == nil {
			t.Fatal("accepted without an event")
		}
		if d.Event.Type == smartcar.EventVerify {
			if len(d.Challenge) != 64 {
				t.Fatalf("challenge answer %q", d.Challenge)
			}
			if !signed && bytes.ContainsAny([]byte(d.Event.Challenge), "{}\" \t\r\n") {
				t.Fatalf("answered an unsigned VERIFY whose challenge could be a body: %q", d.Event.Challenge)
			}
			return
		}
		if !signed {
			t.Fatal("accepted an unsigned event")
		}
		r := d.Record
		if r.EventID == "" || r.EventType == "" || !bytes.Equal(r.Body, body) || len(r.VehicleID) > 128 || r.ReceivedAt.IsZero() {
			t.Fatalf("incomplete record %+v", r)
		}
		if at := ingest.SenderTime(r.DeliveredAt, r.ReceivedAt); at != nil && at.After(r.ReceivedAt.Add(5*time.Minute)) {
			t.Fatalf("sender time %v lies in the future", at)
		}
	})
}

// FuzzParseReport: a host report is either refused with a field error or a
// malformed-body error, or accepted with a vehicle and a decoded error.
func FuzzParseReport(f *testing.F) {
	f.Add([]byte(`{"vehicle_id":"v","error":{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED"}}`))
	f.Add([]byte(`{"vehicle_id":"v","status_code":401,"error":"{\"error\":\"authentication_error\"}"}`))
	f.Add([]byte(`{"vehicle_id":"v","error":{"errors":[null]}}`))
	f.Add([]byte(`{"vehicle_id":"v","error":{"type":"X"},"occurred_at":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, e, err := ingest.ParseReport(body, t0)
		if err != nil {
			var fe *ingest.FieldError
			if !errors.As(err, &fe) && !errors.Is(err, ingest.ErrMalformedReport) {
				t.Fatalf("undocumented refusal: %v", err)
			}
			return
		}
		if r.VehicleID == "" || len(r.VehicleID) > 128 || e == nil || e.Type == "" {
			t.Fatalf("accepted %+v with %+v", r, e)
		}
		_ = smartcar.Classify(e)
	})
}
