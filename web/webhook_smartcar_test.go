package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"reconnect/internal/config"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/ingest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

const testAMT = "amt-web-test"

// detectionServer is the real router with detection wired, over a fresh
// database, and an API key for the host's endpoints.
type detectionServer struct {
	t      *testing.T
	url    string
	store  *store.Store
	ingest *ingest.Service
	apiKey string
}

func newDetectionServer(t *testing.T, db *database.DB) *detectionServer {
	t.Helper()
	d := newDetectionServerB(t, db)
	d.t = t
	return d
}

func newDetectionServerB(t testing.TB, db *database.DB) *detectionServer {
	t.Helper()
	cfg, err := config.Load(map[string]string{"SMARTCAR_MANAGEMENT_TOKEN": testAMT})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(db)
	m := lifecycle.New(st)
	svc := ingest.New(st, m, log, ingest.NewMetrics(nil), ingest.Config{ManagementTokens: cfg.Smartcar.ManagementTokens})
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	s, err := New(Deps{Config: cfg, Logger: log, DB: db, Store: st, Lifecycle: m, Ingest: svc})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	_, key, err := st.CreateAPIKey(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return &detectionServer{url: srv.URL, store: st, ingest: svc, apiKey: key}
}

func scSign(body []byte) string {
	h := hmac.New(sha256.New, []byte(testAMT))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// do sends a request and decodes a JSON answer into a map.
func (d *detectionServer) do(method, path string, body []byte, header map[string]string) (int, map[string]any) {
	d.t.Helper()
	req, _ := http.NewRequest(method, d.url+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		d.t.Fatalf("%s %s answered %d with non-JSON %q", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, out
}

func (d *detectionServer) webhook(body []byte, sig string) (int, map[string]any) {
	h := map[string]string{}
	if sig != "" {
		h["SC-Signature"] = sig
	}
	return d.do(http.MethodPost, "/webhooks/smartcar", body, h)
}

func (d *detectionServer) api(method, path string, body []byte) (int, map[string]any) {
	return d.do(method, path, body, map[string]string{"Authorization": "Bearer " + d.apiKey})
}

func (d *detectionServer) recorded() int64 {
	d.t.Helper()
	var n int64
	if err := d.store.DB().Table("webhook_events").Count(&n).Error; err != nil {
		d.t.Fatal(err)
	}
	return n
}

func vehicleErrorBody(eventID, vehicleID, typ, code, state string) []byte {
	return []byte(fmt.Sprintf(`{"eventId":%q,"eventType":"VEHICLE_ERROR","vehicleId":%q,"data":{"user":{"id":"u-1","externalId":"host-1"},"vehicle":{"id":%q,"make":"TESLA","model":"Model Y","year":2024},"errors":[{"type":%q,"code":%q,"state":%q,"description":"d","resolution":{"type":"REAUTHENTICATE"},"signals":[]}]},"meta":{"version":"4.0","deliveryId":"d1","deliveredAt":%d,"webhookId":"w","mode":"LIVE"}}`,
		eventID, vehicleID, vehicleID, typ, code, state, time.Now().UnixMilli()))
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestSmartcarWebhookRefusesWhatItCannotTrust(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := newDetectionServer(t, db)
		body := vehicleErrorBody("e1", "v1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
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
			"forged signature": {body, scSign([]byte("something else")), 401, "invalid_signature", "mismatch"},
			"malformed JSON":   {[]byte(`{"eventId":`), scSign([]byte(`{"eventId":`)), 400, "malformed_event", ""},
			"unknown type":     {unknown, scSign(unknown), 422, "unknown_event_type", "VEHICLE_DISCONNECTED"},
			"oversize":         {big, scSign(big), 413, "payload_too_large", ""},
		} {
			status, res := d.webhook(tc.body, tc.sig)
			msg, _ := res["error"].(map[string]any)["message"].(string)
			if status != tc.status || errorCode(res) != tc.code || !strings.Contains(msg, tc.msgContain) {
				t.Errorf("%s: %d %v", name, status, res)
			}
		}
		if n := d.recorded(); n != 0 {
			t.Fatalf("refused deliveries recorded %d events", n)
		}
	})
}

func TestSmartcarWebhookAnswersVerify(t *testing.T) {
	d := newDetectionServer(t, dbtest.Open(t, "sqlite"))
	body := []byte(`{"eventId":"v1","eventType":"VERIFY","data":{"challenge":"3f1c0e9a"},"meta":{"version":"4.0","deliveredAt":"2026-11-02T09:00:00.000Z"}}`)
	for _, sig := range []string{"", scSign(body)} {
		status, res := d.webhook(body, sig)
		if status != 200 || res["challenge"] != smartcar.ChallengeResponse(testAMT, "3f1c0e9a") {
			t.Fatalf("VERIFY (signature %q): %d %v", sig, status, res)
		}
	}
	if n := d.recorded(); n != 0 {
		t.Fatalf("VERIFY must not be recorded (%d)", n)
	}
}

func TestSmartcarWebhookRecordsOnceAndReportsStatus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := newDetectionServer(t, db)
		body := vehicleErrorBody("evt-42", "veh-42", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		if status, res := d.webhook(body, scSign(body)); status != 200 || res["status"] != "recorded" {
			t.Fatalf("first delivery: %d %v", status, res)
		}
		if status, res := d.webhook(body, scSign(body)); status != 200 || res["status"] != "duplicate" {
			t.Fatalf("retry: %d %v", status, res)
		}
		status, res := d.api(http.MethodGet, "/api/v1/webhook-events/evt-42", nil)
		if status != 200 || res["processed"] != false || res["source"] != "smartcar" || res["vehicle_id"] != "veh-42" {
			t.Fatalf("before processing: %d %v", status, res)
		}
		if err := d.ingest.Processor().Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		status, res = d.api(http.MethodGet, "/api/v1/webhook-events/evt-42", nil)
		if status != 200 || res["processed"] != true || res["status"] != "processed" {
			t.Fatalf("after processing: %d %v", status, res)
		}
		if status, res := d.api(http.MethodGet, "/api/v1/webhook-events/never", nil); status != 404 {
			t.Fatalf("unknown event: %d %v", status, res)
		}
		if status, _ := d.do(http.MethodGet, "/api/v1/webhook-events/evt-42", nil, nil); status != 401 {
			t.Fatalf("without an API key: %d", status)
		}
		v, err := d.store.VehicleBySmartcarID(context.Background(), "veh-42")
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
		d := newDetectionServer(t, db)
		_ = db.Close()
		body := vehicleErrorBody("e1", "v1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		start := time.Now()
		status, res := d.webhook(body, scSign(body))
		if status != 503 || errorCode(res) != "unavailable" || time.Since(start) > time.Second {
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
		d := newDetectionServer(t, db)
		body := vehicleErrorBody("e1", "v1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		if status, _ := d.webhook(body, scSign(body)); status != 200 {
			t.Fatalf("before the outage: %d", status)
		}
		p.Cut()
		body = vehicleErrorBody("e2", "v1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		start := time.Now()
		status, res := d.webhook(body, scSign(body))
		if status != 503 || time.Since(start) > 1200*time.Millisecond {
			t.Fatalf("during the outage: %d %v after %v", status, res, time.Since(start))
		}
		p.Start(t)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if status, _ := d.webhook(body, scSign(body)); status == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the receiver did not recover after the database came back")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}
