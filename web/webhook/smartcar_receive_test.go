package webhook_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/ingest"
	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/web/webtest"
)

func TestSmartcarWebhookRefusesWhatItCannotTrust(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		body := webtest.VehicleErrorBody("e1", "v1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		unknown := []byte(`{"eventId":"e9","eventType":"VEHICLE_DISCONNECTED","vehicleId":"v","meta":{"version":"4.0"}}`)
		big := append(bytes.Repeat([]byte(" "), ingest.MaxWebhookBody), body...)
		for name, tc := range map[string]struct {
			body       []byte
			sig        string
			status     int
			code       string
			msgContain string
		}{
			"no signature":     {body, "", 401, "invalid_signature", "missing"},
			"forged signature": {body, webtest.Sign([]byte("something else")), 401, "invalid_signature", "mismatch"},
			"malformed JSON":   {[]byte(`{"eventId":`), webtest.Sign([]byte(`{"eventId":`)), 400, "malformed_event", ""},
			"unknown type":     {unknown, webtest.Sign(unknown), 422, "unknown_event_type", "VEHICLE_DISCONNECTED"},
			"oversize":         {big, webtest.Sign(big), 413, "payload_too_large", ""},
		} {
			status, res := d.Webhook(tc.body, tc.sig)
			msg, _ := res["error"].(map[string]any)["message"].(string)
			if status != tc.status || webtest.ErrorCode(res) != tc.code || !strings.Contains(msg, tc.msgContain) {
				t.Errorf("%s: %d %v", name, status, res)
			}
		}
		if n := d.Recorded(); n != 0 {
			t.Fatalf("refused deliveries recorded %d events", n)
		}
	})
}

func TestSmartcarWebhookAnswersVerify(t *testing.T) {
	d := webtest.NewDetection(t, dbtest.Open(t, "sqlite"))
	body := []byte(`{"eventId":"v1","eventType":"VERIFY","data":{"challenge":"3f1c0e9a"},"meta":{"version":"4.0","deliveredAt":"2026-11-02T09:00:00.000Z"}}`)
	for _, sig := range []string{"", webtest.Sign(body)} {
		status, res := d.Webhook(body, sig)
		if status != 200 || res["challenge"] != smartcar.ChallengeResponse(webtest.ManagementToken, "3f1c0e9a") {
			t.Fatalf("VERIFY (signature %q): %d %v", sig, status, res)
		}
	}
	if n := d.Recorded(); n != 0 {
		t.Fatalf("VERIFY must not be recorded (%d)", n)
	}
}

func TestSmartcarWebhookRecordsOnceAndReportsStatus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		body := webtest.VehicleErrorBody("evt-42", "veh-42", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		if status, res := d.Webhook(body, webtest.Sign(body)); status != 200 || res["status"] != "recorded" {
			t.Fatalf("first delivery: %d %v", status, res)
		}
		if status, res := d.Webhook(body, webtest.Sign(body)); status != 200 || res["status"] != "duplicate" {
			t.Fatalf("retry: %d %v", status, res)
		}
		status, res := d.API(http.MethodGet, "/api/v1/webhook-events/evt-42", nil)
		if status != 200 || res["processed"] != false || res["source"] != "smartcar" || res["vehicle_id"] != "veh-42" {
			t.Fatalf("before processing: %d %v", status, res)
		}
		if err := d.Ingest.Processor().Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		status, res = d.API(http.MethodGet, "/api/v1/webhook-events/evt-42", nil)
		if status != 200 || res["processed"] != true || res["status"] != "processed" {
			t.Fatalf("after processing: %d %v", status, res)
		}
		if status, res := d.API(http.MethodGet, "/api/v1/webhook-events/never", nil); status != 404 {
			t.Fatalf("unknown event: %d %v", status, res)
		}
		if status, _ := d.Do(http.MethodGet, "/api/v1/webhook-events/evt-42", nil, nil); status != 401 {
			t.Fatalf("without an API key: %d", status)
		}
		v, err := d.Store.VehicleBySmartcarID(context.Background(), "veh-42")
		if err != nil || v.State != model.StateNeedsReauth {
			t.Fatalf("vehicle %+v %v", v, err)
		}
	})
}

// With the database unreachable the receiver answers 503 within a second and
// records nothing it acknowledges.
func TestSmartcarWebhookAnswers503FastWhenTheDatabaseIsDown(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db := dbtest.Open(t, "sqlite")
		d := webtest.NewDetection(t, db)
		_ = db.Close()
		body := webtest.VehicleErrorBody("e1", "v1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		start := time.Now()
		status, res := d.Webhook(body, webtest.Sign(body))
		if status != 503 || webtest.ErrorCode(res) != "unavailable" || time.Since(start) > time.Second {
			t.Fatalf("%d %v after %v", status, res, time.Since(start))
		}
	})
	t.Run("postgres", func(t *testing.T) {
		raw := dbtest.URL(t, "postgres")
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		if err := database.Migrate(context.Background(), raw, log); err != nil {
			t.Fatal(err)
		}
		proxied, p := dbtest.Proxied(t, raw)
		db, err := database.Open(context.Background(), proxied, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		d := webtest.NewDetection(t, db)
		body := webtest.VehicleErrorBody("e1", "v1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		if status, _ := d.Webhook(body, webtest.Sign(body)); status != 200 {
			t.Fatalf("before the outage: %d", status)
		}
		p.Cut()
		body = webtest.VehicleErrorBody("e2", "v1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		start := time.Now()
		status, res := d.Webhook(body, webtest.Sign(body))
		if status != 503 || time.Since(start) > 1200*time.Millisecond {
			t.Fatalf("during the outage: %d %v after %v", status, res, time.Since(start))
		}
		p.Start(t)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if status, _ := d.Webhook(body, webtest.Sign(body)); status == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the receiver did not recover after the database came back")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}
