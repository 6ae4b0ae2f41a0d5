package smartcar

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// VerifySignature reports whether signature (the SC-Signature header) is the
// HMAC-SHA256 of the raw body under any of tokens, so a rotated management
// token can be accepted beside the new one. The body must be the exact bytes
// received: re-serialised JSON hashes differently.
func VerifySignature(body []byte, signature string, tokens ...string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	for _, tok := range tokens {
		if tok != "" && hmac.Equal(got, mac(tok, body)) {
			return true
		}
	}
	return false
}

// ChallengeResponse is the value a VERIFY reply carries as {"challenge": …}.
func ChallengeResponse(amt, challenge string) string {
	return hex.EncodeToString(mac(amt, []byte(challenge)))
}

func mac(key string, msg []byte) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write(msg)
	return h.Sum(nil)
}

// EventType is a webhook event's type, normalised across payload versions.
type EventType string

// The documented event types; legacy 2.0 "verify" is reported as EventVerify.
const (
	EventVerify       EventType = "VERIFY"
	EventVehicleState EventType = "VEHICLE_STATE"
	EventVehicleError EventType = "VEHICLE_ERROR"
)

// The states a webhook error reports.
const (
	ErrorStateError    = "ERROR"
	ErrorStateResolved = "RESOLVED"
)

// ErrMalformedWebhook wraps every reason a body is not a webhook event.
var ErrMalformedWebhook = errors.New("smartcar: malformed webhook")

// WebhookVehicle is the vehicle a webhook event describes.
type WebhookVehicle struct {
	ID             string
	Make           string
	Model          string
	Year           int
	VIN            string
	Mode           string
	PowertrainType string
}

// WebhookError is one entry of a VEHICLE_ERROR event.
type WebhookError struct {
	Type                 string
	Code                 string
	State                string // ErrorStateError or ErrorStateResolved
	Description          string
	SuggestedUserMessage string
	DocURL               string
	Resolution           Resolution
	Signals              []string // codes of the signals concerned
	StatusCode           int
	RequestID            string
}

// AsError lets the classifier judge a webhook error like an API error.
// Check State first: a RESOLVED entry classifies like the error it clears.
func (w WebhookError) AsError() *Error {
	return &Error{
		HTTPStatus:           w.StatusCode,
		Type:                 w.Type,
		Code:                 w.Code,
		Description:          w.Description,
		DocURL:               w.DocURL,
		RequestID:            w.RequestID,
		Resolution:           w.Resolution,
		SuggestedUserMessage: w.SuggestedUserMessage,
		Signals:              w.Signals,
	}
}

// WebhookEvent is a 4.0 or legacy 2.0 delivery in one shape.
type WebhookEvent struct {
	EventID     string // the same on every retry; the key for deduplication
	Type        EventType
	Version     string
	VehicleID   string
	UserID      string
	ExternalID  string
	Vehicle     WebhookVehicle
	Challenge   string // VERIFY only
	DeliveryID  string // new on every retry
	DeliveredAt time.Time
	// Sequence is meta.sequence when Smartcar sends one: its own order of
	// a webhook's events for a vehicle, which unlike deliveredAt stays the
	// same on a retry. Comparable only between events of one WebhookID.
	Sequence        *int64
	WebhookID       string
	WebhookName     string
	Mode            Mode // lower-cased: 4.0 sends LIVE, 2.0 sends live
	SignalCount     int
	Triggers        []string // VEHICLE_STATE trigger codes, e.g. FIRST_DELIVERY
	Errors          []WebhookError
	LegacyEventType string    // 2.0 eventBased payload.eventType, e.g. CHARGING_STARTED
	EventTime       time.Time // 2.0 payload.eventTime
	Raw             json.RawMessage
}

// Known reports whether the event type is documented; a receiver may
// answer anything else with a 4xx.
func (ev *WebhookEvent) Known() bool {
	switch ev.Type {
	case EventVerify, EventVehicleState, EventVehicleError:
		return true
	case "schedule", "scheduled", "eventBased", "dynamic":
		return ev.Version == "2.0"
	}
	return false
}

type wireWebhook struct {
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	VehicleID string `json:"vehicleId"`
	Data      struct {
		Challenge string `json:"challenge"`
		User      struct {
			ID         string `json:"id"`
			ExternalID string `json:"externalId"`
		} `json:"user"`
		Vehicle struct {
			ID             string  `json:"id"`
			Make           string  `json:"make"`
			Model          string  `json:"model"`
			Year           flexInt `json:"year"`
			VIN            string  `json:"vin"`
			Mode           string  `json:"mode"`
			PowertrainType string  `json:"powertrainType"`
		} `json:"vehicle"`
		Triggers []struct {
			Code string `json:"code"`
		} `json:"triggers"`
		Errors []struct {
			Type                 string            `json:"type"`
			Code                 string            `json:"code"`
			State                string            `json:"state"`
			Description          string            `json:"description"`
			SuggestedUserMessage string            `json:"suggestedUserMessage"`
			DocURL               string            `json:"docURL"`
			Resolution           json.RawMessage   `json:"resolution"`
			Signals              []json.RawMessage `json:"signals"`
			StatusCode           flexInt           `json:"statusCode"`
			RequestID            string            `json:"requestId"`
		} `json:"errors"`
	} `json:"data"`
	Meta struct {
		Version     string   `json:"version"`
		DeliveryID  string   `json:"deliveryId"`
		DeliveredAt flexTime `json:"deliveredAt"`
		WebhookID   string   `json:"webhookId"`
		WebhookName string   `json:"webhookName"`
		Mode        string   `json:"mode"`
		SignalCount flexInt  `json:"signalCount"`
		Sequence    flexSeq  `json:"sequence"`
	} `json:"meta"`

	// Legacy 2.0 fields.
	Version   string          `json:"version"`
	WebhookID string          `json:"webhookId"`
	EventName string          `json:"eventName"`
	Mode      string          `json:"mode"`
	Payload   json.RawMessage `json:"payload"` // an object, or a list for schedule events
}

type wireLegacyPayload struct {
	Challenge string   `json:"challenge"`
	EventID   string   `json:"eventId"`
	VehicleID string   `json:"vehicleId"`
	EventType string   `json:"eventType"`
	EventTime flexTime `json:"eventTime"`
}

// ParseWebhook reads a webhook body; verify its signature first.
func ParseWebhook(body []byte) (*WebhookEvent, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedWebhook)
	}
	var w wireWebhook
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedWebhook, err)
	}
	var ev *WebhookEvent
	if w.Version == "2.0" || w.EventType == "" && w.EventName != "" {
		ev = legacyEvent(&w)
	} else {
		ev = event(&w)
	}
	return checked(ev, body)
}

// wireEnvelope is the part of a 4.0 delivery a receiver reads to check
// and record it; the legacy fields only say that it is not 4.0.
type wireEnvelope struct {
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	VehicleID string `json:"vehicleId"`
	Data      struct {
		Challenge string `json:"challenge"`
		Vehicle   struct {
			ID string `json:"id"`
		} `json:"vehicle"`
	} `json:"data"`
	Meta struct {
		Version     string   `json:"version"`
		DeliveredAt flexTime `json:"deliveredAt"`
		WebhookID   string   `json:"webhookId"`
	} `json:"meta"`
	Version   string `json:"version"`
	WebhookID string `json:"webhookId"`
	EventName string `json:"eventName"`
}

// ParseWebhookEnvelope reads what a receiver needs to check and record a
// delivery: the event's id, type, version, vehicle id, VERIFY challenge,
// webhook id and deliveredAt, plus Raw. The rest of the event (its errors,
// signals, vehicle details) is left unread: ParseWebhook reads it when the
// event is applied. A 4.0 event is refused on the same grounds as by
// ParseWebhook except a well-formed body whose inner fields have the wrong
// JSON types; a legacy 2.0 delivery is parsed whole. Every refusal wraps
// ErrMalformedWebhook. Decoding everything on receipt cost about a sixth
// of the receiver's CPU during a burst.
func ParseWebhookEnvelope(body []byte) (*WebhookEvent, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedWebhook)
	}
	// The scan reads the usual body in one pass and declines anything
	// unusual, which encoding/json then reads as it always has.
	w, ok := scanEnvelope(body)
	if !ok {
		var err error
		if w, err = decodeEnvelope(body); err != nil {
			return nil, err
		}
	}
	return envelopeEvent(&w, body)
}

// decodeEnvelope is encoding/json's reading of the envelope, which
// scanEnvelope must match wherever it answers.
func decodeEnvelope(body []byte) (wireEnvelope, error) {
	var w wireEnvelope
	if err := json.Unmarshal(body, &w); err != nil {
		return wireEnvelope{}, fmt.Errorf("%w: %v", ErrMalformedWebhook, err)
	}
	return w, nil
}

func envelopeEvent(w *wireEnvelope, body []byte) (*WebhookEvent, error) {
	if w.Version == "2.0" || w.EventType == "" && w.EventName != "" {
		return ParseWebhook(body)
	}
	ev := &WebhookEvent{
		EventID:     w.EventID,
		Type:        EventType(w.EventType),
		Version:     w.Meta.Version,
		VehicleID:   cmp.Or(w.VehicleID, w.Data.Vehicle.ID),
		Vehicle:     WebhookVehicle{ID: w.Data.Vehicle.ID},
		Challenge:   w.Data.Challenge,
		DeliveredAt: w.Meta.DeliveredAt.Time,
		WebhookID:   cmp.Or(w.Meta.WebhookID, w.WebhookID),
	}
	return checked(ev, body)
}

// checked refuses an event without a type or a VERIFY without a
// challenge, names an event that carries no id by its body's hash, and
// keeps the body.
func checked(ev *WebhookEvent, body []byte) (*WebhookEvent, error) {
	switch {
	case ev.Type == "":
		return nil, fmt.Errorf("%w: no event type", ErrMalformedWebhook)
	case ev.Type == EventVerify && ev.Challenge == "":
		return nil, fmt.Errorf("%w: VERIFY without a challenge", ErrMalformedWebhook)
	}
	if ev.EventID == "" {
		// 2.0 events other than eventBased carry no id, yet a retry resends
		// the identical body, so its hash deduplicates them. (A 4.0 retry
		// changes deliveryId, but 4.0 always sends an eventId.)
		sum := sha256.Sum256(body)
		ev.EventID = "sha256:" + hex.EncodeToString(sum[:])
	}
	ev.Raw = bytes.Clone(body)
	return ev, nil
}

func event(w *wireWebhook) *WebhookEvent {
	d, v := &w.Data, &w.Data.Vehicle
	ev := &WebhookEvent{
		EventID:     w.EventID,
		Type:        EventType(w.EventType),
		Version:     w.Meta.Version,
		VehicleID:   cmp.Or(w.VehicleID, v.ID),
		UserID:      d.User.ID,
		ExternalID:  d.User.ExternalID,
		Vehicle:     WebhookVehicle{v.ID, v.Make, v.Model, int(v.Year), v.VIN, v.Mode, v.PowertrainType},
		Challenge:   d.Challenge,
		DeliveryID:  w.Meta.DeliveryID,
		DeliveredAt: w.Meta.DeliveredAt.Time,
		WebhookID:   cmp.Or(w.Meta.WebhookID, w.WebhookID),
		WebhookName: w.Meta.WebhookName,
		Mode:        Mode(strings.ToLower(w.Meta.Mode)),
		SignalCount: int(w.Meta.SignalCount),
		Sequence:    w.Meta.Sequence.n,
	}
	for _, t := range d.Triggers {
		ev.Triggers = append(ev.Triggers, t.Code)
	}
	for _, e := range d.Errors {
		we := WebhookError{
			Type:                 e.Type,
			Code:                 e.Code,
			State:                e.State,
			Description:          e.Description,
			SuggestedUserMessage: e.SuggestedUserMessage,
			DocURL:               e.DocURL,
			Resolution:           decodeResolution(e.Resolution),
			StatusCode:           int(e.StatusCode),
			RequestID:            e.RequestID,
		}
		for _, raw := range e.Signals {
			if code := signalCode(raw); code != "" {
				we.Signals = append(we.Signals, code)
			}
		}
		ev.Errors = append(ev.Errors, we)
	}
	return ev
}

// signalCode accepts a signal as {code,name,group} or as a bare code.
func signalCode(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj jsonObject
	_ = json.Unmarshal(raw, &obj)
	return obj.str("code")
}

func legacyEvent(w *wireWebhook) *WebhookEvent {
	typ := EventType(w.EventName)
	if strings.EqualFold(w.EventName, "verify") {
		typ = EventVerify
	}
	var p wireLegacyPayload
	_ = json.Unmarshal(w.Payload, &p) // the fields we read exist only on object payloads
	return &WebhookEvent{
		EventID:         p.EventID,
		Type:            typ,
		Version:         w.Version,
		VehicleID:       p.VehicleID,
		Vehicle:         WebhookVehicle{ID: p.VehicleID},
		Challenge:       p.Challenge,
		WebhookID:       w.WebhookID,
		Mode:            Mode(strings.ToLower(w.Mode)),
		LegacyEventType: p.EventType,
		EventTime:       p.EventTime.Time,
	}
}
