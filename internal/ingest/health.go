package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/model"
	"reconnect/internal/secrets"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

// HealthCheckArgs is the periodic job of the optional health check.
type HealthCheckArgs struct{}

// Kind names the job.
func (HealthCheckArgs) Kind() string { return "vehicle_health_check" }

// HealthCheck makes one cheap API call per vehicle every Every, at most Rate
// calls a second with jittered spacing, and records each answer in the inbox,
// where the processor applies it like any other input: an error is
// classified, a success returns a broken vehicle to connected.
type HealthCheck struct {
	river.WorkerDefaults[HealthCheckArgs]
	Store  *store.Store
	Sealer *secrets.Sealer
	API    SmartcarAPI
	Log    *slog.Logger
	Every  time.Duration
	Rate   float64
	Budget time.Duration // how long one run may take
	// StuckAfter is how long a car may be reconnecting (the owner is in
	// Connect) before it is probed like any other: the Connect state's
	// lifetime. Zero means at once.
	StuckAfter time.Duration
	OnWrite    func() // wakes the processor
}

// Timeout lets a run use its budget.
func (h *HealthCheck) Timeout(*river.Job[HealthCheckArgs]) time.Duration {
	return h.Budget + time.Minute
}

// Work runs one pass.
func (h *HealthCheck) Work(ctx context.Context, _ *river.Job[HealthCheckArgs]) error {
	_, err := h.Run(ctx)
	return err
}

// Run probes the vehicles due within the budget and returns how many it
// recorded.
func (h *HealthCheck) Run(ctx context.Context) (int, error) {
	rate := h.Rate
	if rate <= 0 {
		rate = 1
	}
	limit := max(1, int(rate*h.Budget.Seconds()))
	now := h.Store.Now()
	due, err := h.Store.VehiclesDueForHealthCheck(ctx, now.Add(-h.Every), now.Add(-h.StuckAfter), limit)
	if err != nil {
		return 0, err
	}
	kt := tokens{store: h.Store, sealer: h.Sealer, api: h.API}
	gap := time.Duration(float64(time.Second) / rate)
	recorded := 0
	for i, v := range due {
		if i > 0 {
			// Jitter spreads the calls so that many instances, or a restart,
			// do not line them up against one OEM.
			sleep(ctx, gap/2+rand.N(gap))
		}
		if ctx.Err() != nil {
			break
		}
		res, ok := h.probe(ctx, kt, v)
		if err := h.Store.MarkHealthChecked(ctx, v.ID); err != nil {
			return recorded, err
		}
		if !ok {
			continue
		}
		body, _ := json.Marshal(res)
		now := h.Store.Now()
		if _, err := h.Store.RecordInbox(ctx, []store.InboxEvent{{
			EventID: fmt.Sprintf("health:%s:%d", v.SmartcarID, now.UnixNano()), Source: store.InboxHealth,
			EventType: TypeHealthCheck, VehicleID: v.SmartcarID, Body: body, ReceivedAt: now,
		}}); err != nil {
			return recorded, err
		}
		recorded++
		if h.OnWrite != nil {
			h.OnWrite()
		}
	}
	return recorded, nil
}

// probe calls the cheapest endpoint that proves the connection: v2 attributes
// with the stored user token when the app has one, else v3 with the
// application token. ok is false when the answer says nothing about the
// vehicle (our network, our configuration).
func (h *HealthCheck) probe(ctx context.Context, kt tokens, v model.Vehicle) (healthResult, bool) {
	res := healthResult{VehicleID: v.SmartcarID}
	call, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var err error
	t, terr := h.Store.TokenByUser(ctx, v.SmartcarUserID)
	switch {
	case terr == nil:
		var access string
		if smartcar.NeedsRefresh(smartcar.Token{Expiry: t.AccessExpiresAt}, h.Store.Now(), time.Minute) {
			var tok smartcar.Token
			tok, err = kt.refresh(ctx, t)
			access = tok.AccessToken
			if errors.Is(err, errTokenReplaced) {
				return res, false // the next pass uses the newer pair
			}
		} else {
			access, err = h.Sealer.Open(t.AccessToken)
		}
		if err == nil {
			_, err = h.API.VehicleAttributes(call, access, v.SmartcarID)
		}
	case errors.Is(terr, store.ErrNotFound):
		_, err = h.API.VehicleV3(call, v.SmartcarUserID, v.SmartcarID)
	default:
		h.Log.Warn("health check: token lookup failed", "vehicle", v.SmartcarID, "err", terr)
		return res, false
	}
	var se *smartcar.Error
	switch {
	case err == nil:
		res.OK = true
	case errors.As(err, &se):
		res.StatusCode, res.Error = se.HTTPStatus, json.RawMessage(se.Body)
		if !json.Valid(se.Body) {
			res.Error, _ = json.Marshal(map[string]any{"type": se.Type, "code": se.Code, "description": se.Description})
		}
	default:
		h.Log.Warn("health check: call failed", "vehicle", v.SmartcarID, "err", err)
		return res, false
	}
	return res, true
}
