package smartcarsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// userAgent is what Smartcar's deliveries announce themselves as.
const userAgent = "Smartcar/4.0 (smartcarsim)"

type webhookState struct {
	url      string
	amt      string
	format   string
	verified bool
}

// WebhookInfo is the webhook as the control API shows it. The AMT is never
// echoed.
type WebhookInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	URL      string `json:"url"`
	Format   string `json:"format"`
	Verified bool   `json:"verified"`
}

// VerifyError is a failed VERIFY, reported the way Smartcar's dashboard
// reports it: status 424 and a one-line reason.
type VerifyError struct {
	Status  int
	Message string
}

func (e *VerifyError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

// ErrNoWebhook is returned when VERIFY is asked for before SetWebhook.
var ErrNoWebhook = errors.New("smartcarsim: no webhook configured")

// Sign is the SC-Signature of body: lowercase hex HMAC-SHA256 keyed with
// the AMT. The same function answers a VERIFY challenge.
func Sign(amt string, body []byte) string {
	m := hmac.New(sha256.New, []byte(amt))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SetWebhook points deliveries at url. Like editing the callback URL in
// Smartcar's dashboard, it needs a new VERIFY before anything is sent. An
// empty amt means the configured ManagementToken; format is "4.0" (default)
// or "2.0", which changes the VERIFY payload.
func (s *Sim) SetWebhook(url, amt, format string) (WebhookInfo, error) {
	if format == "" {
		format = "4.0"
	}
	if format != "4.0" && format != "2.0" {
		return WebhookInfo{}, fmt.Errorf("%w: format must be 4.0 or 2.0", ErrInvalid)
	}
	if amt == "" {
		amt = s.cfg.ManagementToken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = webhookState{url: url, amt: amt, format: format}
	return s.webhookInfoLocked(), nil
}

// Webhook returns the current webhook settings.
func (s *Sim) Webhook() WebhookInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookInfoLocked()
}

func (s *Sim) webhookInfoLocked() WebhookInfo {
	return WebhookInfo{ID: s.cfg.WebhookID, Name: s.cfg.WebhookName, URL: s.webhook.url,
		Format: s.webhook.format, Verified: s.webhook.verified}
}

// VerifyWebhook sends VERIFY and marks the webhook verified when the
// receiver answers 200 with the right challenge hash.
func (s *Sim) VerifyWebhook(ctx context.Context) error {
	s.mu.Lock()
	wh := s.webhook
	signVerify := s.switches.SignVerify
	s.mu.Unlock()
	if wh.url == "" {
		return ErrNoWebhook
	}
	challenge := newSecret()
	eventID, deliveryID := newID(), newID()
	var payload any
	if wh.format == "2.0" {
		payload = map[string]any{"version": "2.0", "webhookId": s.cfg.WebhookID, "eventName": "verify",
			"payload": map[string]string{"challenge": challenge}}
	} else {
		payload = verifyEnvelope{EventID: eventID, EventType: "VERIFY",
			Data: map[string]string{"challenge": challenge},
			Meta: verifyMeta{Version: "4.0", WebhookID: s.cfg.WebhookID, WebhookName: s.cfg.WebhookName,
				DeliveryID: deliveryID, DeliveredAt: isoTime(s.clock.Now())}}
	}
	body := marshal(payload, false)
	// Smartcar does not say whether VERIFY is signed; the sign_verify switch
	// lets a receiver be tested both ways.
	status, respBody, err := s.pool.post(ctx, wh.url, body, wh.amt, signVerify)
	entry := Delivery{EventID: eventID, EventType: "VERIFY", DeliveryID: deliveryID, Attempt: 1, Status: status}
	fail := func(msg string) error {
		entry.Error = msg
		s.recordDelivery(entry)
		s.log.Warn("smartcarsim: webhook VERIFY failed", "url", wh.url, "reason", msg)
		return &VerifyError{Status: http.StatusFailedDependency, Message: msg}
	}
	if err != nil {
		return fail("verification request failed: " + err.Error())
	}
	if status != http.StatusOK {
		return fail(fmt.Sprintf("verification request responded with status %d", status))
	}
	var answer struct {
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(respBody, &answer) != nil || !hmac.Equal([]byte(answer.Challenge), []byte(Sign(wh.amt, []byte(challenge)))) {
		return fail("verification request responded with an invalid hash")
	}
	s.recordDelivery(entry)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook.url == wh.url && s.webhook.amt == wh.amt {
		s.webhook.verified = true
	}
	s.log.Info("smartcarsim: webhook verified", "url", wh.url, "format", wh.format)
	return nil
}

type verifyEnvelope struct {
	EventID   string            `json:"eventId"`
	EventType string            `json:"eventType"`
	Data      map[string]string `json:"data"`
	Meta      verifyMeta        `json:"meta"`
}

type verifyMeta struct {
	Version     string `json:"version"`
	WebhookID   string `json:"webhookId"`
	WebhookName string `json:"webhookName"`
	DeliveryID  string `json:"deliveryId"`
	DeliveredAt string `json:"deliveredAt"`
}

// event is one VEHICLE_STATE or VEHICLE_ERROR. Its data is captured when it
// happens; deliveryId and deliveredAt are filled in per attempt.
type event struct {
	id          string
	typ         string
	vehicleID   string
	mode        string
	signalCount *int
	data        any
}

type eventUser struct {
	ID         string  `json:"id"`
	ExternalID *string `json:"externalId"`
}

type eventVehicle struct {
	ID    string `json:"id"`
	Make  string `json:"make"`
	Model string `json:"model"`
	Year  int    `json:"year"`
}

type signalRef struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Group string `json:"group"`
}

type eventError struct {
	Type                 string         `json:"type"`
	Code                 *string        `json:"code"`
	State                string         `json:"state"`
	Description          string         `json:"description"`
	SuggestedUserMessage string         `json:"suggestedUserMessage"`
	DocURL               string         `json:"docURL"`
	StatusCode           int            `json:"statusCode"`
	RequestID            string         `json:"requestId"`
	Resolution           resolutionBody `json:"resolution"`
	Signals              []signalRef    `json:"signals,omitempty"`
}

type errorData struct {
	User    eventUser    `json:"user"`
	Vehicle eventVehicle `json:"vehicle"`
	Errors  []eventError `json:"errors"`
}

type stateSignal struct {
	Code  string           `json:"code"`
	Name  string           `json:"name"`
	Group string           `json:"group"`
	Body  map[string]any   `json:"body"`
	Meta  map[string]int64 `json:"meta"`
}

type stateData struct {
	User     eventUser        `json:"user"`
	Vehicle  eventVehicle     `json:"vehicle"`
	Triggers []map[string]any `json:"triggers"`
	Signals  []stateSignal    `json:"signals"`
}

var triggerFirstDelivery = map[string]any{"code": "FIRST_DELIVERY"}

func (s *Sim) eventBaseLocked(v *vehicle) (eventUser, eventVehicle, string) {
	mode := "LIVE"
	if c := s.connByVehicle[v.id]; c != nil {
		mode = strings.ToUpper(c.mode)
	}
	return eventUser{ID: v.owner.id, ExternalID: nullable(v.owner.externalID)},
		eventVehicle{ID: v.id, Make: v.make, Model: v.model, Year: v.year}, mode
}

// errorEventLocked builds a VEHICLE_ERROR; signals narrow a PERMISSION error
// to the signals it concerns.
func (s *Sim) errorEventLocked(v *vehicle, d failureDef, state string, signals ...signalRef) *event {
	u, ev, mode := s.eventBaseLocked(v)
	e := s.errorFor(d, s.webhookPublicURL(), v.id)
	if d.typ == "PERMISSION" && len(signals) == 0 {
		for _, sd := range signalDefs {
			signals = append(signals, signalRef{sd.code, sd.name, sd.group})
		}
	}
	item := eventError{Type: e.typ, Code: nullable(e.code), State: state, Description: e.description,
		SuggestedUserMessage: e.userMessage, DocURL: e.docURL, StatusCode: e.status, RequestID: newID(),
		Resolution: resolutionBody{Type: nullable(e.resolutionType), URL: e.resolutionURL}, Signals: signals}
	return &event{id: newID(), typ: "VEHICLE_ERROR", vehicleID: v.id, mode: mode,
		data: errorData{User: u, Vehicle: ev, Errors: []eventError{item}}}
}

// stateEventLocked builds a VEHICLE_STATE carrying every signal the
// connection may read, as Smartcar sends them all on each delivery.
func (s *Sim) stateEventLocked(v *vehicle, trigger map[string]any) *event {
	u, ev, mode := s.eventBaseLocked(v)
	now := s.clock.Now().UnixMilli()
	signals := []stateSignal{}
	c := s.connByVehicle[v.id]
	for _, d := range signalDefs {
		if c != nil && c.has(d.permission) {
			signals = append(signals, stateSignal{Code: d.code, Name: d.name, Group: d.group, Body: d.body(v),
				Meta: map[string]int64{"oemUpdatedAt": now, "retrievedAt": now}})
		}
	}
	n := len(signals)
	return &event{id: newID(), typ: "VEHICLE_STATE", vehicleID: v.id, mode: mode, signalCount: &n,
		data: stateData{User: u, Vehicle: ev, Triggers: []map[string]any{trigger}, Signals: signals}}
}

// noiseEventLocked is the false alarm seen in the field: a PERMISSION error
// with resolution REAUTHENTICATE for one signal the plan does not include,
// while the vehicle keeps answering.
func (s *Sim) noiseEventLocked(v *vehicle) *event {
	d, _ := lookupFailure("PERMISSION", "")
	d.description = "The application's plan does not include this signal."
	return s.errorEventLocked(v, d, "ERROR", signalRef{noiseSignal.code, noiseSignal.name, noiseSignal.group})
}

// emitLocked hands events of subscribed vehicles to the delivery pool,
// applying the noise, reorder and duplicates switches. Before VERIFY
// succeeds events are dropped, not queued, as at Smartcar.
func (s *Sim) emitLocked(events []*event) {
	var out []*event
	for _, e := range events {
		if e == nil {
			continue
		}
		v := s.vehicles[e.vehicleID]
		if v == nil || !s.subscribedLocked(v) {
			continue
		}
		out = append(out, e)
		if e.typ == "VEHICLE_STATE" && s.switches.Noise {
			out = append(out, s.noiseEventLocked(v))
		}
	}
	if len(out) == 0 {
		return
	}
	if s.webhook.url == "" || !s.webhook.verified {
		for _, e := range out {
			s.recordDeliveryLocked(Delivery{EventID: e.id, EventType: e.typ, VehicleID: e.vehicleID,
				Error: "not sent: webhook not verified", Time: time.Now()})
		}
		return
	}
	if s.switches.Reorder {
		rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	if s.switches.Duplicates {
		doubled := make([]*event, 0, 2*len(out))
		for _, e := range out {
			doubled = append(doubled, e, e)
		}
		out = doubled
	}
	s.pool.enqueue(out)
}

type envelope struct {
	EventID   string    `json:"eventId"`
	EventType string    `json:"eventType"`
	VehicleID string    `json:"vehicleId"`
	Data      any       `json:"data"`
	Meta      eventMeta `json:"meta"`
}

type eventMeta struct {
	Version     string `json:"version"`
	DeliveryID  string `json:"deliveryId"`
	DeliveredAt any    `json:"deliveredAt"`
	WebhookID   string `json:"webhookId"`
	WebhookName string `json:"webhookName"`
	Mode        string `json:"mode"`
	SignalCount *int   `json:"signalCount,omitempty"`
}

// renderEvent builds the exact bytes of one attempt.
func (s *Sim) renderEvent(e *event, deliveryID string, at time.Time, iso, pretty bool) []byte {
	var deliveredAt any = at.UnixMilli()
	if iso {
		deliveredAt = isoTime(at)
	}
	return marshal(envelope{EventID: e.id, EventType: e.typ, VehicleID: e.vehicleID, Data: e.data,
		Meta: eventMeta{Version: "4.0", DeliveryID: deliveryID, DeliveredAt: deliveredAt,
			WebhookID: s.cfg.WebhookID, WebhookName: s.cfg.WebhookName, Mode: e.mode, SignalCount: e.signalCount}}, pretty)
}

// post sends one webhook request and reads at most 64 KiB of the answer.
func (p *pool) post(ctx context.Context, url string, body []byte, amt string, sign bool) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if sign {
		req.Header.Set("SC-Signature", Sign(amt, body))
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, data, nil
}
