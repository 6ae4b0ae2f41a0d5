package ingest

import (
	"encoding/json"
	"fmt"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
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
	at         time.Time
	signals    bool
	triggers   []string
	verdicts   []verdict
	errors     []errorNote
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

// EventTime is when an event is taken to have happened: Smartcar's
// deliveredAt (or a legacy eventTime), unless it is missing or lies in the
// future by more than clock skew explains, in which case it is when we
// received it. deliveredAt changes on each retry, so it orders events only
// approximately; it is still the only time Smartcar sends.
func EventTime(claimed *time.Time, received time.Time) time.Time {
	if claimed == nil || claimed.IsZero() || claimed.After(received.Add(maxClockSkew)) {
		return received.UTC()
	}
	return claimed.UTC()
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
	o.vehicle, o.userID, o.externalID = wh.Vehicle, wh.UserID, wh.ExternalID
	o.vehicle.ID = wh.VehicleID
	claimed := ev.DeliveredAt
	if !wh.EventTime.IsZero() {
		claimed = &wh.EventTime
	}
	o.at = EventTime(claimed, ev.ReceivedAt)
	switch wh.Type {
	case smartcar.EventVehicleState:
		o.signals = true
		o.triggers = wh.Triggers
	case smartcar.EventVehicleError:
		for _, we := range wh.Errors {
			class := smartcar.Classify(we.AsError())
			o.verdicts = append(o.verdicts, verdict{class: class, resolved: we.State == smartcar.ErrorStateResolved})
			o.errors = append(o.errors, errorNote{Reason: class.Reason, State: we.State, Status: we.StatusCode,
				Description: store.Clip(we.Description, 300), Resolution: we.Resolution.Type, Signals: len(we.Signals)})
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
	o.at = EventTime(r.OccurredAt, ev.ReceivedAt)
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
		Description: store.Clip(e.Description, 300), Resolution: e.Resolution.Type, Signals: len(e.Signals)})
}

// detail is the timeline entry's detail: JSON, so the API and the console can
// show it without parsing prose.
func (o *observation) detail(outs []Outcome) string {
	d := struct {
		EventID  string      `json:"event_id"`
		Type     string      `json:"type"`
		Outcomes []Outcome   `json:"outcomes,omitempty"`
		Errors   []errorNote `json:"errors,omitempty"`
		Triggers []string    `json:"triggers,omitempty"`
	}{o.inbox.EventID, o.eventType, outs, o.errors, o.triggers}
	b, _ := json.Marshal(d)
	return string(b)
}
