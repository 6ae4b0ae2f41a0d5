package ingest

import (
	"encoding/json"
	"fmt"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
	"reconnect/internal/textcheck"
)

// Inbox event types beyond Smartcar's own.
const (
	TypeErrorReport = "ERROR_REPORT"
	TypeHealthCheck = "HEALTH_CHECK"
)

// observation is one inbox event read for processing: which vehicle, when,
// and what it says about the connection.
type observation struct {
	inbox      store.InboxEvent
	source     model.Source    // timeline source
	kind       model.EventKind // timeline kind of the input itself
	eventType  string
	vehicle    smartcar.WebhookVehicle
	userID     string
	externalID string
	// at is when we received the event, on our clock: what orders it
	// against other sources and against changes made here (an owner's
	// repair).
	at time.Time
	// sent and seq are the event's place on its own source's clock (the
	// sender's time, Smartcar's sequence within seqScope), compared only
	// with earlier events from the same source. Nil when it sends none.
	sent     *time.Time
	seq      *int64
	seqScope string
	signals  bool
	triggers []string
	verdicts []verdict
	errors   []errorNote
	// previous marks an event of the car's previous owner's time (see
	// Processor.previousOwnersEvents): it is recorded on that owner's
	// timeline (previousOwner, nil when unknown) and changes nothing.
	previous      bool
	previousOwner *int64
}

// errorNote is what the timeline keeps of one error.
type errorNote struct {
	Reason      string `json:"reason"`
	State       string `json:"state,omitempty"`
	Status      int    `json:"status_code,omitempty"`
	Description string `json:"description,omitempty"`
	Resolution  string `json:"resolution,omitempty"`
	Signals     int    `json:"signals,omitempty"`
}

// SenderTime is the time a sender put on an event (Smartcar's deliveredAt
// or a legacy eventTime, the host's occurred_at), or nil when it is missing
// or lies further in the future than clock skew explains: one such time
// would otherwise hold back every later event from the same sender. It is
// compared only with the same sender's earlier times, never with our clock
// or another sender's.
func SenderTime(claimed *time.Time, received time.Time) *time.Time {
	if claimed == nil || claimed.IsZero() || claimed.After(received.Add(maxClockSkew)) {
		return nil
	}
	t := claimed.UTC()
	return &t
}

// observe reads an inbox event. An error means the event can never be
// applied (the receiver validated it, so this is a bug or a tampered row).
func observe(ev store.InboxEvent) (*observation, error) {
	o := &observation{inbox: ev, eventType: ev.EventType}
	switch ev.Source {
	case store.InboxSmartcar:
		return o, o.fromWebhook(ev)
	case store.InboxHost:
		return o, o.fromReport(ev)
	case store.InboxHealth:
		return o, o.fromHealth(ev)
	}
	return nil, fmt.Errorf("ingest: unknown inbox source %q", ev.Source)
}

func (o *observation) fromWebhook(ev store.InboxEvent) error {
	wh, err := smartcar.ParseWebhook(ev.Body)
	if err != nil {
		return err
	}
	o.source, o.kind = model.SourceWebhook, model.EventWebhookReceived
	o.vehicle, o.userID, o.externalID = wh.Vehicle, textcheck.Clean(wh.UserID), textcheck.Clean(wh.ExternalID)
	o.vehicle.ID = textcheck.Clean(wh.VehicleID)
	o.vehicle.Make, o.vehicle.Model, o.vehicle.VIN = textcheck.Clean(o.vehicle.Make), textcheck.Clean(o.vehicle.Model), textcheck.Clean(o.vehicle.VIN)
	claimed := ev.DeliveredAt
	if !wh.EventTime.IsZero() {
		claimed = &wh.EventTime
	}
	o.at = ev.ReceivedAt.UTC()
	o.sent = SenderTime(claimed, ev.ReceivedAt)
	if wh.Sequence != nil {
		o.seq, o.seqScope = wh.Sequence, wh.WebhookID
	}
	switch wh.Type {
	case smartcar.EventVehicleState:
		o.signals = true
		o.triggers = wh.Triggers
	case smartcar.EventVehicleError:
		for _, we := range wh.Errors {
			class := smartcar.Classify(we.AsError())
			o.verdicts = append(o.verdicts, verdict{class: class, resolved: we.State == smartcar.ErrorStateResolved})
			o.errors = append(o.errors, errorNote{Reason: class.Reason, State: we.State, Status: we.StatusCode,
				Description: store.Clip(textcheck.Clean(we.Description), 300), Resolution: we.Resolution.Type, Signals: len(we.Signals)})
		}
	}
	return nil
}

func (o *observation) fromReport(ev store.InboxEvent) error {
	r, e, err := ParseReport(ev.Body, ev.ReceivedAt.Add(maxClockSkew))
	if err != nil {
		return err
	}
	o.source, o.kind = model.SourceAPI, model.EventErrorReported
	o.vehicle.ID = r.VehicleID
	o.at = ev.ReceivedAt.UTC()
	o.sent = SenderTime(r.OccurredAt, ev.ReceivedAt)
	o.addError(e)
	return nil
}

// healthResult is what the health check records: a successful call, or the
// error Smartcar answered.
type healthResult struct {
	VehicleID  string          `json:"vehicle_id"`
	OK         bool            `json:"ok"`
	StatusCode int             `json:"status_code,omitempty"`
	Error      json.RawMessage `json:"error,omitempty"`
}

func (o *observation) fromHealth(ev store.InboxEvent) error {
	var h healthResult
	if err := json.Unmarshal(ev.Body, &h); err != nil || h.VehicleID == "" {
		return fmt.Errorf("ingest: bad health result: %v", err)
	}
	o.source, o.kind = model.SourceHealthCheck, model.EventHealthCheck
	o.vehicle.ID = h.VehicleID
	o.at = ev.ReceivedAt.UTC()
	if h.OK {
		o.verdicts = append(o.verdicts, verdict{ok: true})
		return nil
	}
	o.addError(smartcar.DecodeError(h.StatusCode, nil, h.Error))
	return nil
}

func (o *observation) addError(e *smartcar.Error) {
	class := smartcar.Classify(e)
	o.verdicts = append(o.verdicts, verdict{class: class})
	o.errors = append(o.errors, errorNote{Reason: class.Reason, Status: e.HTTPStatus,
		Description: store.Clip(textcheck.Clean(e.Description), 300), Resolution: e.Resolution.Type, Signals: len(e.Signals)})
}

// detail is the timeline entry's detail: JSON, so the API and the console can
// show it without parsing prose.
func (o *observation) detail(outs []Outcome) string {
	// The sender's own time and sequence are kept beside ours (the
	// entry's time), so staff can see a sender's clock drift.
	d := struct {
		EventID  string      `json:"event_id"`
		Type     string      `json:"type"`
		SentAt   *time.Time  `json:"sent_at,omitempty"`
		Sequence *int64      `json:"sequence,omitempty"`
		Outcomes []Outcome   `json:"outcomes,omitempty"`
		Errors   []errorNote `json:"errors,omitempty"`
		Triggers []string    `json:"triggers,omitempty"`
	}{o.inbox.EventID, o.eventType, o.sent, o.seq, outs, o.errors, o.triggers}
	b, _ := json.Marshal(d)
	return string(b)
}

// staleOnOwnClock reports whether o is older, on its own source's clock,
// than the newest event from that source that decided the vehicle's state:
// a reordered delivery. Smartcar's sequence decides when both events carry
// one from the same webhook (deliveredAt changes on every retry, the
// sequence does not); otherwise the sender's times decide. A source that
// sends no clock of its own (our health check) is never stale this way.
func staleOnOwnClock(c store.SourceClocks, o *observation) bool {
	switch o.inbox.Source {
	case store.InboxSmartcar:
		if o.seq != nil && c.WebhookSequence != nil && o.seqScope == c.WebhookSequenceScope {
			return *o.seq < *c.WebhookSequence
		}
		return o.sent != nil && c.WebhookSentAt != nil && o.sent.Before(*c.WebhookSentAt)
	case store.InboxHost:
		return o.sent != nil && c.ReportSentAt != nil && o.sent.Before(*c.ReportSentAt)
	}
	return false
}

// advanceOwnClock moves o's source clock forward to o, after o decided the
// vehicle's state. It reports whether anything moved.
func advanceOwnClock(c *store.SourceClocks, o *observation) bool {
	later := func(cur *time.Time) bool { return o.sent != nil && (cur == nil || o.sent.After(*cur)) }
	moved := false
	switch o.inbox.Source {
	case store.InboxSmartcar:
		if later(c.WebhookSentAt) {
			c.WebhookSentAt, moved = o.sent, true
		}
		if o.seq != nil && (c.WebhookSequence == nil || o.seqScope != c.WebhookSequenceScope || *o.seq > *c.WebhookSequence) {
			c.WebhookSequence, c.WebhookSequenceScope, moved = o.seq, o.seqScope, true
		}
	case store.InboxHost:
		if later(c.ReportSentAt) {
			c.ReportSentAt, moved = o.sent, true
		}
	}
	return moved
}
