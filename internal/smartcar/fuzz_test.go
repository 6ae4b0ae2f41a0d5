package smartcar

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"unicode/utf8"
)

func FuzzParseWebhook(f *testing.F) {
	for _, b := range fixtures(f, "webhook_*.json") {
		f.Add(b)
	}
	f.Add([]byte(`{"eventType":"VERIFY","data":{"challenge":1}}`))
	f.Add([]byte(`{"version":"2.0","eventName":"verify","payload":"x"}`))
	for _, c := range envelopeCases {
		if len(c.body) < 1000 {
			f.Add([]byte(c.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseWebhook(body)
		if err != nil {
			if ev != nil || !errors.Is(err, ErrMalformedWebhook) {
				t.Fatalf("error %v with event %+v", err, ev)
			}
			return
		}
		if ev.Type == "" || ev.EventID == "" || !bytes.Equal(ev.Raw, body) {
			t.Fatalf("incomplete event %+v", ev)
		}
		if ev.Type == EventVerify && ev.Challenge == "" {
			t.Fatal("VERIFY without a challenge")
		}
		again, err := ParseWebhook(body)
		if err != nil || again.EventID != ev.EventID {
			t.Fatalf("not deterministic: %q vs %+v, %v", ev.EventID, again, err)
		}
		for _, we := range ev.Errors {
			_ = Classify(we.AsError())
		}
		// What the receiver reads agrees with the whole parse.
		env, err := ParseWebhookEnvelope(body)
		if err != nil {
			t.Fatalf("envelope refused what ParseWebhook read: %v", err)
		}
		if !sameEnvelope(env, ev) {
			t.Fatalf("envelope %+v differs from event %+v", env, ev)
		}
	})
}

// sameEnvelope reports whether a and b agree on what the receiver reads.
func sameEnvelope(a, b *WebhookEvent) bool {
	return a.EventID == b.EventID && a.Type == b.Type && a.Version == b.Version && a.VehicleID == b.VehicleID &&
		a.Vehicle.ID == b.Vehicle.ID && a.Challenge == b.Challenge && a.DeliveredAt.Equal(b.DeliveredAt) &&
		a.WebhookID == b.WebhookID && a.Known() == b.Known() && bytes.Equal(a.Raw, b.Raw)
}

func TestEnvelopeReadsWhatTheWholeParseReads(t *testing.T) {
	bodies := fixtures(t, "webhook_*.json")
	bodies = append(bodies,
		[]byte(`{"eventId":"e","eventType":"VEHICLE_ERROR","data":{"vehicle":{"id":"v"}},"meta":{"version":"4.0","deliveredAt":"2026-01-02T03:04:05Z","webhookId":"w"}}`),
		[]byte(`{"eventType":"VEHICLE_STATE","vehicleId":"v","meta":{"version":"4.0"}}`))
	for _, body := range bodies {
		ev, err := ParseWebhook(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		env, err := ParseWebhookEnvelope(body)
		if err != nil || !sameEnvelope(env, ev) {
			t.Errorf("%.60s: envelope %+v, %v; whole %+v", body, env, err, ev)
		}
	}
	for _, body := range []string{`[1]`, `{"eventId":`, `{"eventId":"x"}`, `{"eventType":"VERIFY","data":{}}`} {
		if ev, err := ParseWebhookEnvelope([]byte(body)); !errors.Is(err, ErrMalformedWebhook) {
			t.Errorf("%s: got %+v, %v; want ErrMalformedWebhook", body, ev, err)
		}
	}
}

// BenchmarkParseWebhook compares the whole parse (when an event is
// applied) with the envelope the receiver reads, on a VEHICLE_ERROR.
func BenchmarkParseWebhook(b *testing.B) {
	body := fixture(b, "webhook_v4_vehicle_error.json")
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseWebhook(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("envelope", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseWebhookEnvelope(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	for _, b := range fixtures(f, "error_*") {
		f.Add(400, b)
	}
	f.Add(0, []byte(`{"errors":[null]}`))
	f.Add(429, []byte(`{"type":"RATE_LIMIT","resolution":[1]}`))
	f.Add(502, bytes.Repeat([]byte("a\xff"), 400))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := DecodeError(status, http.Header{"Retry-After": {"5"}}, body)
		if e == nil || e.Type == "" || e.Error() == "" || !bytes.Equal(e.Body, body) {
			t.Fatalf("bad error %+v", e)
		}
		if status != 0 && e.HTTPStatus != status {
			t.Fatalf("status %d became %d", status, e.HTTPStatus)
		}
		if e.Type == TypeUnknown && (!utf8.ValidString(e.Description) || len(e.Description) > maxDescription) {
			t.Fatalf("unsafe description %q", e.Description)
		}
		_ = Classify(e)
		fromBody, err := ErrorFromBody(body)
		if (err == nil) != (DecodeError(0, nil, body).Type != TypeUnknown) || err == nil && fromBody == nil {
			t.Fatalf("ErrorFromBody = %+v, %v", fromBody, err)
		}
	})
}

func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{
		"code=c0de&user_id=u1&state=s&external_id=e",
		"vehicle_id=sc4a1b01e5&state=0facda3319",
		"error=configuration_error&status_code=400&error_message=You+have+entered+a+test+mode+VIN",
		"error=vehicle_incompatible&vin=0SCAUDI012FE3B132&make=AUDI&model=A4&year=2019",
		"state=%ZZ&year=-1&status_code=99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // keeps what parsed, as net/http does
		cb := ParseCallback(q)
		if cb.Code != q.Get("code") || cb.State != q.Get("state") || string(cb.Error) != q.Get("error") {
			t.Fatalf("fields lost: %+v from %v", cb, q)
		}
		if cb.IsReauth() && cb.IsFullConnect() || cb.IsError() && (cb.IsReauth() || cb.IsFullConnect()) {
			t.Fatalf("ambiguous callback %+v", cb)
		}
		// Round trip: re-encoding what was understood yields the same callback.
		v := url.Values{}
		for k, s := range map[string]string{"code": cb.Code, "user_id": cb.UserID, "vehicle_id": cb.VehicleID,
			"external_id": cb.ExternalID, "state": cb.State, "error": string(cb.Error), "error_description": cb.ErrorDescription,
			"error_message": cb.ErrorMessage, "vin": cb.VIN, "make": cb.Make, "model": cb.Model} {
			if s != "" {
				v.Set(k, s)
			}
		}
		if cb.StatusCode != 0 {
			v.Set("status_code", strconv.Itoa(cb.StatusCode))
		}
		if cb.Year != 0 {
			v.Set("year", strconv.Itoa(cb.Year))
		}
		back, err := url.ParseQuery(v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if got := ParseCallback(back); got != cb {
			t.Fatalf("round trip %+v != %+v", got, cb)
		}
	})
}
