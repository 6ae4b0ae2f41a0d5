// Package webtest helps the web packages' tests: the real router, built by
// web.New with detection wired, over a test database. It lives apart from
// the packages it tests because those cannot import web (web imports them).
package webtest

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
	"testing"
	"time"

	"reconnect/internal/audit"
	"reconnect/internal/campaign"
	"reconnect/internal/config"
	"reconnect/internal/database"
	"reconnect/internal/erasure"
	"reconnect/internal/ingest"
	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/notify"
	"reconnect/internal/store"
	"reconnect/web"
	"reconnect/web/paths"
)

// ManagementToken is the Application Management Token the server checks
// Smartcar's signatures with.
const ManagementToken = "amt-web-test"

// Detection is the real router with detection wired, over a fresh
// database, and an API key for the host's endpoints.
type Detection struct {
	t      *testing.T
	DB     *database.DB
	url    string
	Store  *store.Store
	Ingest *ingest.Service
	// Jobs inserts jobs (nothing works them).
	Jobs *jobs.Queue
	// Campaigns is the migration campaign service, registered on the
	// lifecycle as the app registers it.
	Campaigns *campaign.Service
	// Notify is the email service (no sender: nothing is mailed), which
	// records the mail provider's reports.
	Notify *notify.Service
	apiKey string
}

// NewDetection starts the server over db for the length of the test.
func NewDetection(t *testing.T, db *database.DB) *Detection {
	t.Helper()
	cfg, err := config.Load(map[string]string{"SMARTCAR_MANAGEMENT_TOKEN": ManagementToken})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(db)
	m := lifecycle.New(st)
	camps := campaign.New(st, m, nil)
	m.AddVehicleHook(camps)
	lk := links.New(st, links.Config{PublicBaseURL: cfg.PublicBaseURL, EmailTTL: cfg.LinkEmailTTL, InAppTTL: cfg.LinkInAppTTL})
	svc := ingest.New(st, m, log, ingest.NewMetrics(nil), ingest.Config{ManagementTokens: cfg.Smartcar.ManagementTokens})
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	q, err := jobs.New(db, jobs.Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	m.AddHook(camps)
	mailer := notify.New(notify.Config{AppName: cfg.AppName, BaseURL: cfg.PublicBaseURL}, st, lk, nil, q, nil, log)
	mailer.SendCampaigns(camps)
	s, err := web.New(web.Deps{Config: cfg, Logger: log, DB: db, Store: st, Ingest: svc, Lifecycle: m, Links: lk, Campaigns: camps,
		Erasure: erasure.New(st, q, audit.New(st)), MailReports: mailer})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	_, key, err := st.CreateAPIKey(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return &Detection{t: t, DB: db, url: srv.URL, Store: st, Ingest: svc, Jobs: q, Campaigns: camps, Notify: mailer, apiKey: key}
}

// Sign signs body as Smartcar does.
func Sign(body []byte) string {
	h := hmac.New(sha256.New, []byte(ManagementToken))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Do sends a request and decodes a JSON answer into a map.
func (d *Detection) Do(method, path string, body []byte, header map[string]string) (int, map[string]any) {
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
	if res.StatusCode == http.StatusNoContent && len(raw) == 0 {
		return res.StatusCode, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		d.t.Fatalf("%s %s answered %d with non-JSON %q", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, out
}

// Webhook delivers body as Smartcar would, with sig as SC-Signature.
func (d *Detection) Webhook(body []byte, sig string) (int, map[string]any) {
	h := map[string]string{}
	if sig != "" {
		h["SC-Signature"] = sig
	}
	return d.Do(http.MethodPost, paths.RouteSmartcarWebhook, body, h)
}

// API calls the host API with the key.
func (d *Detection) API(method, path string, body []byte) (int, map[string]any) {
	return d.APIWith(method, path, body, nil)
}

// APIWith calls the host API with the key and more headers.
func (d *Detection) APIWith(method, path string, body []byte, header map[string]string) (int, map[string]any) {
	h := map[string]string{"Authorization": "Bearer " + d.apiKey}
	for k, v := range header {
		h[k] = v
	}
	return d.Do(method, path, body, h)
}

// Upload POSTs a streamed body of the given type to the host API.
func (d *Detection) Upload(path, contentType string, body io.Reader) (int, map[string]any) {
	d.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, d.url+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+d.apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		d.t.Fatalf("POST %s answered %d with non-JSON %q", path, res.StatusCode, raw)
	}
	return res.StatusCode, out
}

// APIKey is the key the host's endpoints accept.
func (d *Detection) APIKey() string { return d.apiKey }

// Download GETs an API path with the key and returns the answer as it came,
// for the endpoints that answer other than JSON (CSV).
func (d *Detection) Download(path string) (int, http.Header, []byte) {
	d.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, d.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+d.apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, raw
}

// Stream GETs an API path with the key and hands back the response as it
// arrives, for tests that read a streamed answer piece by piece; the
// caller closes its body.
func (d *Detection) Stream(path string) *http.Response {
	d.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, d.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+d.apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	return res
}

// Recorded counts the webhook events in the inbox.
func (d *Detection) Recorded() int64 {
	d.t.Helper()
	var n int64
	if err := d.Store.DB().Table("webhook_events").Count(&n).Error; err != nil {
		d.t.Fatal(err)
	}
	return n
}

// VehicleErrorBody is a VEHICLE_ERROR delivery.
func VehicleErrorBody(eventID, vehicleID, typ, code, state string) []byte {
	return []byte(fmt.Sprintf(`{"eventId":%q,"eventType":"VEHICLE_ERROR","vehicleId":%q,"data":{"user":{"id":"u-1","externalId":"host-1"},"vehicle":{"id":%q,"make":"TESLA","model":"Model Y","year":2024},"errors":[{"type":%q,"code":%q,"state":%q,"description":"d","resolution":{"type":"REAUTHENTICATE"},"signals":[]}]},"meta":{"version":"4.0","deliveryId":"d1","deliveredAt":%d,"webhookId":"w","mode":"LIVE"}}`,
		eventID, vehicleID, vehicleID, typ, code, state, time.Now().UnixMilli()))
}

// ErrorCode is the machine code of an error answer.
func ErrorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}
