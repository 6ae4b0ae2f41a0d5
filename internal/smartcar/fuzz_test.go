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
	})
}

func FuzzDecodeError(f *testing.F) {
	for _, b := range fixtures(f, "error_*") {
		f.Add(400, b)
	}
	f.Add(0, []byte(`{"errors":[null]}`))
	f.Add(429, []byte(`{"type":"RATE_LIMIT","resolution":[1]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := DecodeError(status, http.Header{"Retry-After": {"5"}}, body)
		if e == nil || e.Type == "" || e.Error() == "" || !bytes.Equal(e.Body, body) {
			t.Fatalf("bad error %+v", e)
		}
		if status != 0 && e.HTTPStatus != status {
			t.Fatalf("status %d became %d", status, e.HTTPStatus)
		}
		if e.Type == TypeUnknown && (!utf8.ValidString(e.Description) || len(e.Description) > maxDescription+len(string(utf8.RuneError))) {
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
