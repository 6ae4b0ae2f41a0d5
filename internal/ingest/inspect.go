package ingest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

// MaxWebhookBody is the largest delivery accepted. Smartcar documents at
// most 50 KB per event.
const MaxWebhookBody = 64 << 10

// SignatureError is a delivery refused for its SC-Signature. Reason is safe
// to log and to count; it never contains a token.
type SignatureError struct{ Reason string }

func (e *SignatureError) Error() string { return "ingest: webhook signature " + e.Reason }

// Reasons for a SignatureError.
const (
	SigMissing       = "missing"
	SigMismatch      = "mismatch"
	SigNotConfigured = "no_token_configured"
)

// Refusals of a delivery's content.
var (
	// ErrMalformed: the body is not a Smartcar event.
	ErrMalformed = errors.New("ingest: malformed webhook")
	// ErrUnknownType: a well-formed event of a type Smartcar does not document.
	ErrUnknownType = errors.New("ingest: unknown webhook event type")
)

// Delivery is a checked webhook: the event, and either the VERIFY answer or
// the inbox row to record.
type Delivery struct {
	Event     *smartcar.WebhookEvent
	Challenge string
	Record    store.InboxEvent
}

// Inspect checks a delivery without side effects: the signature over the raw
// bytes against every token, then the envelope. It is the receiver's whole
// parsing path, kept pure so it can be fuzzed.
//
// VERIFY is special: Smartcar does not say whether it signs it, and the
// simulator by default does not, so an unsigned VERIFY is answered. Answering
// is an HMAC oracle (the reply is HMAC(token, challenge), which is exactly
// an SC-Signature of the challenge), so an unsigned challenge must look like
// the random token Smartcar sends and can never be a body we would accept.
func Inspect(body []byte, signature string, tokens []string, received time.Time) (Delivery, error) {
	var d Delivery
	configured := false
	for _, t := range tokens {
		configured = configured || t != ""
	}
	if !configured {
		return d, &SignatureError{SigNotConfigured}
	}
	signature = strings.TrimSpace(signature)
	key := ""
	if signature != "" {
		for _, t := range tokens {
			if smartcar.VerifySignature(body, signature, t) {
				key = t
				break
			}
		}
		if key == "" {
			return d, &SignatureError{SigMismatch}
		}
	}
	ev, err := smartcar.ParseWebhookEnvelope(body)
	if err != nil {
		if key == "" {
			return d, &SignatureError{SigMissing}
		}
		return d, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	d.Event = ev
	if ev.Type == smartcar.EventVerify {
		if key == "" {
			if !plainChallenge(ev.Challenge) {
				return d, &SignatureError{SigMissing}
			}
			key = firstToken(tokens)
		}
		d.Challenge = smartcar.ChallengeResponse(key, ev.Challenge)
		return d, nil
	}
	if key == "" {
		return d, &SignatureError{SigMissing}
	}
	if !ev.Known() {
		return d, fmt.Errorf("%w: %q", ErrUnknownType, truncateType(string(ev.Type)))
	}
	if len(ev.EventID) > 200 || len(ev.VehicleID) > maxVehicleID {
		return d, fmt.Errorf("%w: eventId or vehicleId too long", ErrMalformed)
	}
	if ev.Version != "2.0" && ev.VehicleID == "" {
		return d, fmt.Errorf("%w: %s without vehicleId", ErrMalformed, ev.Type)
	}
	var delivered *time.Time
	if !ev.DeliveredAt.IsZero() {
		t := ev.DeliveredAt.UTC()
		delivered = &t
	}
	d.Record = store.InboxEvent{
		EventID: ev.EventID, Source: store.InboxSmartcar, EventType: string(ev.Type), VehicleID: ev.VehicleID,
		Body: ev.Raw, DeliveredAt: delivered, ReceivedAt: received,
	}
	return d, nil
}

// plainChallenge accepts what Smartcar's challenges look like (random
// letters and digits) and nothing that could be, or begin, a JSON body.
func plainChallenge(c string) bool {
	if c == "" || len(c) > 256 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func firstToken(tokens []string) string {
	for _, t := range tokens {
		if t != "" {
			return t
		}
	}
	return ""
}

func truncateType(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
