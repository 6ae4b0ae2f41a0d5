// Package hostwebhook tells the host app about connection changes with
// signed webhooks in the Standard Webhooks format (webhook-id,
// webhook-timestamp, webhook-signature), logged per message and retried with
// backoff through the job queue.
package hostwebhook

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// The event types sent to the host, as the strings the payloads carry; the
// words are declared once, in model.HostEvents.
const (
	// EventDisconnected: a working vehicle broke and needs its owner.
	EventDisconnected = string(model.HostDisconnected)
	// EventReconnected: the owner repaired it through Reconnect.
	EventReconnected = string(model.HostReconnected)
	// EventResolvedElsewhere: it works again without the owner going through
	// Reconnect (Smartcar reported RESOLVED, or a call succeeded).
	EventResolvedElsewhere = string(model.HostResolvedElsewhere)
	// EventDeclined: the owner said they will not reconnect.
	EventDeclined = string(model.HostDeclined)
	// EventCampaignVehicleCompleted: a vehicle in a migration campaign was
	// re-authenticated in a way the campaign counts (CampaignPayload).
	EventCampaignVehicleCompleted = string(model.HostCampaignVehicleCompleted)
	// EventOwnerChanged: the car changed hands, or seems to have
	// (OwnerChangePayload).
	EventOwnerChanged = string(model.HostOwnerChanged)
	// EventCampaignPaused: a running campaign paused itself (PausePayload).
	EventCampaignPaused = string(model.HostCampaignPaused)
	// EventMigrationSuspected: many cars of one make need re-authentication
	// at once, as if the carmaker had migrated without notice
	// (MigrationPayload). At most once per make per UTC day.
	EventMigrationSuspected = string(model.HostMigrationSuspected)
	// EventNeedsSupport: an owner needs a person, once per episode of a
	// broken car (NeedsSupportPayload).
	EventNeedsSupport = string(model.HostNeedsSupport)
)

// SecretPrefix marks a Standard Webhooks signing secret.
const SecretPrefix = "whsec_"

// DecodeSecret reads a "whsec_<base64>" secret into the HMAC key.
func DecodeSecret(s string) ([]byte, error) {
	raw, ok := strings.CutPrefix(strings.TrimSpace(s), SecretPrefix)
	if !ok {
		return nil, errors.New("hostwebhook: secret must start with " + SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("hostwebhook: secret is not base64: %w", err)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, errors.New("hostwebhook: secret must hold 24 to 64 bytes")
	}
	return key, nil
}

// NewSecret returns a fresh signing secret.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Sign returns the webhook-signature value: HMAC-SHA256 over
// "<id>.<timestamp>.<body>", base64, with the "v1," version prefix.
func Sign(key []byte, msgID string, ts time.Time, body []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	h.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Config configures outgoing webhooks.
type Config struct {
	// URL receives the webhooks; empty turns them off.
	URL string
	// Secret is the "whsec_…" signing secret.
	Secret string
	// Timeout bounds one attempt.
	Timeout time.Duration
	// MaxAttempts is how often a message is tried before it is given up.
	MaxAttempts int
	// RetryBase is the first retry's delay; each later one doubles, up to 6 h.
	RetryBase time.Duration
	Client    *http.Client
	Now       func() time.Time
}

// Notifier sends the host webhooks.
type Notifier struct {
	cfg      Config
	key      []byte
	store    *store.Store
	log      *slog.Logger
	attempts *prometheus.CounterVec
}

// New checks cfg and returns a notifier. reg may be nil.
func New(cfg Config, s *store.Store, log *slog.Logger, reg prometheus.Registerer) (*Notifier, error) {
	n := &Notifier{cfg: cfg, store: s, log: log}
	if cfg.URL != "" {
		key, err := DecodeSecret(cfg.Secret)
		if err != nil {
			return nil, err
		}
		n.key = key
	}
	if n.cfg.Timeout <= 0 {
		n.cfg.Timeout = 10 * time.Second
	}
	if n.cfg.MaxAttempts <= 0 {
		n.cfg.MaxAttempts = 12
	}
	if n.cfg.RetryBase <= 0 {
		n.cfg.RetryBase = 30 * time.Second
	}
	if n.cfg.Client == nil {
		n.cfg.Client = &http.Client{
			Timeout: n.cfg.Timeout,
			// A redirect is a failure: following it would send a signed body
			// somewhere the operator did not configure.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if n.cfg.Now == nil {
		n.cfg.Now = time.Now
	}
	if n.log == nil {
		n.log = slog.Default()
	}
	n.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "reconnect", Subsystem: "host_webhook", Name: "attempts_total",
		Help: "Outgoing host webhook attempts, by result (delivered, failed).",
	}, []string{"result"})
	if reg != nil {
		reg.MustRegister(n.attempts)
	}
	return n, nil
}

// Enabled reports whether a host URL is configured.
func (n *Notifier) Enabled() bool { return n.cfg.URL != "" }

// EventFor names the webhook a state change calls for, or "" for none.
// Moves between broken states, and into or out of reconnecting, are not the
// host's concern: it hears that the car broke, and how it came back.
func EventFor(ch lifecycle.Change) string {
	from, to := ch.From, ch.Vehicle.State
	switch {
	case from == to, ch.Source == model.SourceRestore:
		// A restore puts back the state the host already knows: the owner's
		// trip to Connect did not finish, and nothing changed for the host.
		return ""
	case to == model.StateDeclined:
		return EventDeclined
	case to == model.StateConnected && (ch.Source == model.SourceCallback || from == model.StateReconnecting):
		return EventReconnected
	case to == model.StateConnected:
		return EventResolvedElsewhere
	case from == model.StateConnected && to.NeedsOwner() && to != model.StateReconnecting:
		return EventDisconnected
	}
	return ""
}

// Payload is the body of every webhook: Standard Webhooks' {type, timestamp, data}.
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data describes the vehicle and its change.
type Data struct {
	VehicleID     string       `json:"vehicle_id"`
	HostUserID    string       `json:"host_user_id,omitempty"`
	ExternalID    string       `json:"external_id,omitempty"`
	State         string       `json:"state"`
	PreviousState string       `json:"previous_state"`
	Reason        string       `json:"reason,omitempty"`
	ResolutionURL string       `json:"resolution_url,omitempty"`
	Source        model.Source `json:"source"`
	ChangedAt     time.Time    `json:"changed_at"`
	// PermissionsLost lists scopes the car had before the owner's full
	// Connect and Smartcar no longer grants: features using them stop.
	PermissionsLost []string `json:"permissions_lost,omitempty"`
}

// Hook returns the lifecycle hook that logs a message and enqueues its
// delivery inside the transaction that changed the state: the host hears of
// exactly the changes that committed. Without a host URL it does nothing.
func (n *Notifier) Hook(q *jobs.Queue) lifecycle.Hook {
	return lifecycle.HookFunc(func(ctx context.Context, tx *store.Store, ch lifecycle.Change) error {
		typ := EventFor(ch)
		if typ == "" || !n.Enabled() {
			return nil
		}
		v := ch.Vehicle
		d := Data{VehicleID: v.SmartcarID, ExternalID: v.ExternalID, State: string(v.State), PreviousState: string(ch.From),
			Reason: ch.Reason, ResolutionURL: v.ResolutionURL, Source: ch.Source, ChangedAt: ch.At.UTC(), PermissionsLost: ch.PermissionsLost}
		if v.OwnerID != nil {
			o, err := tx.OwnerByID(ctx, *v.OwnerID)
			if err != nil {
				return err
			}
			d.HostUserID = o.HostUserID
		}
		body, err := json.Marshal(Payload{Type: typ, Timestamp: tx.Now().UTC(), Data: d})
		if err != nil {
			return err
		}
		return n.enqueue(ctx, tx, q, typ, &v.ID, v.OwnerID, body)
	})
}

// OwnerChangePayload is the body of vehicle.owner_changed: Standard
// Webhooks' {type, timestamp, data}.
type OwnerChangePayload struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      OwnerChangeData `json:"data"`
}

// OwnerChangeData names the car (by its Smartcar id only: a VIN names the
// car's keeper) and both owners by the host's ids where we know them.
type OwnerChangeData struct {
	VehicleID string `json:"vehicle_id"`
	// PreviousHostUserID is whose the car was; HostUserID whose it is now,
	// absent when not known yet.
	PreviousHostUserID string `json:"previous_host_user_id,omitempty"`
	HostUserID         string `json:"host_user_id,omitempty"`
	// Suspected: only a sign of a change (the owner said "sold" or "not
	// mine", or a new Smartcar user connected the car without a new owner).
	Suspected bool                   `json:"suspected"`
	Cause     model.OwnerChangeCause `json:"cause"`
	Source    model.Source           `json:"source"`
	ChangedAt time.Time              `json:"changed_at"`
}

// OwnerHook returns the lifecycle hook that sends vehicle.owner_changed
// through q, in the transaction that recorded the change, like Hook.
func (n *Notifier) OwnerHook(q *jobs.Queue) lifecycle.OwnerHook { return ownerHook{n: n, q: q} }

type ownerHook struct {
	n *Notifier
	q *jobs.Queue
}

func (h ownerHook) OwnerChanged(ctx context.Context, tx *store.Store, ch lifecycle.OwnerChange) error {
	if !h.n.Enabled() {
		return nil
	}
	d := OwnerChangeData{VehicleID: ch.Vehicle.SmartcarID, Suspected: ch.Suspected, Cause: ch.Cause, Source: ch.Source, ChangedAt: ch.At.UTC()}
	for _, o := range []struct {
		id  *int64
		out *string
	}{{ch.From, &d.PreviousHostUserID}, {ch.To, &d.HostUserID}} {
		if o.id == nil || (o.out == &d.HostUserID && ch.From != nil && *o.id == *ch.From) {
			continue
		}
		owner, err := tx.OwnerByID(ctx, *o.id)
		if err != nil {
			return err
		}
		*o.out = owner.HostUserID
	}
	body, err := json.Marshal(OwnerChangePayload{Type: EventOwnerChanged, Timestamp: tx.Now().UTC(), Data: d})
	if err != nil {
		return err
	}
	return h.n.enqueue(ctx, tx, h.q, EventOwnerChanged, &ch.Vehicle.ID, ch.From, body)
}

// CampaignPayload is the body of a campaign webhook: Standard Webhooks'
// {type, timestamp, data}.
type CampaignPayload struct {
	Type      string       `json:"type"`
	Timestamp time.Time    `json:"timestamp"`
	Data      CampaignData `json:"data"`
}

// CampaignData names the campaign and the vehicle that completed it.
type CampaignData struct {
	CampaignID int64  `json:"campaign_id"`
	VehicleID  string `json:"vehicle_id"`
	HostUserID string `json:"host_user_id,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	// Source is what proved the re-authentication: callback (through
	// Reconnect), webhook (Smartcar's RESOLVED after the cut-over),
	// health_check (a working call after the cut-over) or api (the host).
	Source      model.Source `json:"source"`
	CompletedAt time.Time    `json:"completed_at"`
}

// CampaignWebhooks sends the campaign webhooks through q, like Hook.
type CampaignWebhooks struct {
	n *Notifier
	q *jobs.Queue
}

// Campaigns returns the sender of campaign webhooks, for the campaign
// service. Without a host URL it sends nothing.
func (n *Notifier) Campaigns(q *jobs.Queue) *CampaignWebhooks { return &CampaignWebhooks{n: n, q: q} }

// CampaignVehicleCompleted logs a campaign.vehicle_completed message and
// enqueues its delivery inside tx, the transaction that recorded the
// completion.
func (w *CampaignWebhooks) CampaignVehicleCompleted(ctx context.Context, tx *store.Store, campaignID int64, v model.Vehicle, source model.Source, at time.Time) error {
	if !w.n.Enabled() {
		return nil
	}
	d := CampaignData{CampaignID: campaignID, VehicleID: v.SmartcarID, ExternalID: v.ExternalID, Source: source, CompletedAt: at.UTC()}
	if v.OwnerID != nil {
		o, err := tx.OwnerByID(ctx, *v.OwnerID)
		if err != nil {
			return err
		}
		d.HostUserID = o.HostUserID
	}
	body, err := json.Marshal(CampaignPayload{Type: EventCampaignVehicleCompleted, Timestamp: tx.Now().UTC(), Data: d})
	if err != nil {
		return err
	}
	return w.n.enqueue(ctx, tx, w.q, EventCampaignVehicleCompleted, &v.ID, v.OwnerID, body)
}

// enqueue logs a message and queues its first attempt in tx.
func (n *Notifier) enqueue(ctx context.Context, tx *store.Store, q *jobs.Queue, typ string, vehicleID, ownerID *int64, body []byte) error {
	del, err := tx.CreateHostDelivery(ctx, store.HostDelivery{MessageID: newMessageID(), EventType: typ,
		VehicleID: vehicleID, OwnerID: ownerID, URL: n.cfg.URL, Payload: string(body)})
	if err != nil {
		return err
	}
	_, err = q.InsertTx(ctx, tx.DB(), DeliverArgs{DeliveryID: del.ID}, &river.InsertOpts{MaxAttempts: n.cfg.MaxAttempts})
	return err
}

func newMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}

// Deliver makes one attempt at a logged message. attempt counts from 1; the
// last one marks the message failed. An error means "try again later".
func (n *Notifier) Deliver(ctx context.Context, id int64, attempt int) error {
	d, err := n.store.HostDeliveryByID(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return river.JobCancel(err) // pruned: nothing left to send
		}
		return err
	}
	if d.Status == store.DeliveryDelivered {
		return nil
	}
	code, sendErr := n.send(ctx, d)
	status := store.DeliveryDelivered
	errText := ""
	if sendErr != nil {
		errText = store.Clip(sendErr.Error(), 300)
		status = store.DeliveryRetrying
		if attempt >= n.cfg.MaxAttempts {
			status = store.DeliveryFailed
		}
	}
	result := "delivered"
	if sendErr != nil {
		result = "failed"
	}
	n.attempts.WithLabelValues(result).Inc()
	if err := n.store.RecordHostAttempt(context.WithoutCancel(ctx), d.ID, status, code, errText); err != nil {
		return err
	}
	if sendErr != nil {
		n.log.Warn("host webhook attempt failed", "message_id", d.MessageID, "type", d.EventType, "attempt", attempt, "status", code, "err", sendErr)
	}
	return sendErr
}

func (n *Notifier) send(ctx context.Context, d store.HostDelivery) (int, error) {
	if len(n.key) == 0 {
		return 0, errors.New("hostwebhook: no signing secret configured")
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	body := []byte(d.Payload)
	ts := n.cfg.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, strings.NewReader(d.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Reconnect-Webhooks/1")
	req.Header.Set("webhook-id", d.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", Sign(n.key, d.MessageID, ts, body))
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("hostwebhook: host answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// NextRetry doubles the wait from RetryBase up to six hours: a host that is
// down for an afternoon still gets every message, in order of retry.
func (n *Notifier) NextRetry(attempt int) time.Duration {
	d := n.cfg.RetryBase
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// DeliverArgs is the job that makes one attempt at a message.
type DeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind names the job.
func (DeliverArgs) Kind() string { return "host_webhook_deliver" }

// Worker runs DeliverArgs jobs.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	Notifier *Notifier
}

// Work makes one attempt.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	return w.Notifier.Deliver(ctx, job.Args.DeliveryID, job.Attempt)
}

// NextRetry schedules the next attempt.
func (w *Worker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return time.Now().Add(w.Notifier.NextRetry(job.Attempt))
}

// Timeout leaves room for the attempt's own timeout and the log write.
func (w *Worker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.Notifier.cfg.Timeout + 10*time.Second
}

// PausePayload is the body of campaign.paused: Standard Webhooks' {type,
// timestamp, data}.
type PausePayload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      PauseData `json:"data"`
}

// PauseData names the campaign, why it paused itself (bounces,
// complaints, connect_errors) and the last wave's numbers that tripped it.
type PauseData struct {
	CampaignID int64             `json:"campaign_id"`
	Name       string            `json:"name"`
	Reason     model.PauseReason `json:"reason"`
	Wave       store.WaveHealth  `json:"wave"`
	PausedAt   time.Time         `json:"paused_at"`
}

// CampaignPaused logs a campaign.paused message and enqueues its delivery
// inside tx, the transaction that paused the campaign.
func (w *CampaignWebhooks) CampaignPaused(ctx context.Context, tx *store.Store, c model.Campaign, reason model.PauseReason, h store.WaveHealth, at time.Time) error {
	if !w.n.Enabled() {
		return nil
	}
	body, err := json.Marshal(PausePayload{Type: EventCampaignPaused, Timestamp: tx.Now().UTC(),
		Data: PauseData{CampaignID: c.ID, Name: c.Name, Reason: reason, Wave: h, PausedAt: at.UTC()}})
	if err != nil {
		return err
	}
	return w.n.enqueue(ctx, tx, w.q, EventCampaignPaused, nil, nil, body)
}
