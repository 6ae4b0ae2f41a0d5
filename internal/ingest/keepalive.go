package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/secrets"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
	"reconnect/internal/textcheck"
)

// SmartcarAPI is the part of the Smartcar client that keep-alive and the
// health check use.
type SmartcarAPI interface {
	Refresh(ctx context.Context, refreshToken string) (smartcar.Token, error)
	VehicleAttributes(ctx context.Context, access, vehicleID string) (smartcar.Vehicle, error)
	VehicleV3(ctx context.Context, userID, vehicleID string) (smartcar.Vehicle, error)
}

// tokens refreshes stored v2 pairs and persists each new pair at once: the
// refresh token just used stops working minutes later, so a pair that is
// not stored is a connection lost.
type tokens struct {
	store  *store.Store
	sealer *secrets.Sealer
	api    SmartcarAPI
}

// errTokenReplaced means another writer stored a newer pair first.
var errTokenReplaced = errors.New("ingest: token replaced meanwhile")

func (k tokens) refresh(ctx context.Context, t store.SmartcarToken) (smartcar.Token, error) {
	rt, err := k.sealer.Open(t.RefreshToken)
	if err != nil {
		return smartcar.Token{}, fmt.Errorf("ingest: open refresh token of token #%d: %w", t.ID, err)
	}
	call, cancel := context.WithTimeout(ctx, 20*time.Second)
	tok, err := k.api.Refresh(call, rt)
	cancel()
	if err != nil {
		return smartcar.Token{}, err
	}
	access, err := k.sealer.Seal(tok.AccessToken)
	if err != nil {
		return smartcar.Token{}, err
	}
	refresh, err := k.sealer.Seal(tok.RefreshToken)
	if err != nil {
		return smartcar.Token{}, err
	}
	// Persist even when the caller's context is done: the old refresh token
	// is already spent.
	replaced, err := k.store.ReplaceRefreshedToken(context.WithoutCancel(ctx), t.ID, t.RefreshToken, store.SmartcarToken{
		AccessToken: access, RefreshToken: refresh, AccessExpiresAt: tok.Expiry, RefreshExpiresAt: tok.RefreshExpiry,
	})
	if err != nil {
		return smartcar.Token{}, err
	}
	if !replaced {
		return tok, errTokenReplaced
	}
	return tok, nil
}

// KeepAliveArgs is the periodic job that refreshes legacy v2 tokens before
// their 60-day refresh token runs out.
type KeepAliveArgs struct{}

// Kind names the job.
func (KeepAliveArgs) Kind() string { return "token_keepalive" }

// KeepAlive refreshes pairs whose refresh token expires within Window. A
// refresh refused for good (invalid_grant: revoked, expired, or killed by an
// OEM migration) moves the user's vehicles to needs_reauth, because only the
// owner can mint a new pair.
type KeepAlive struct {
	river.WorkerDefaults[KeepAliveArgs]
	Store     *store.Store
	Sealer    *secrets.Sealer
	API       SmartcarAPI
	Lifecycle *lifecycle.Machine
	Log       *slog.Logger
	Metrics   *Metrics
	// Window is how long before expiry a pair is refreshed.
	Window time.Duration
	// Batch caps refreshes per run; Spacing paces them so a fleet whose
	// tokens were all issued on one day does not hit the token endpoint at once.
	Batch   int
	Spacing time.Duration
}

// KeepAliveSummary counts one run's results.
type KeepAliveSummary struct{ Refreshed, Dead, Failed int }

// Work runs one pass.
func (k *KeepAlive) Work(ctx context.Context, _ *river.Job[KeepAliveArgs]) error {
	s, err := k.Run(ctx)
	if s.Refreshed+s.Dead+s.Failed > 0 {
		k.Log.Info("token keep-alive", "refreshed", s.Refreshed, "dead", s.Dead, "failed", s.Failed)
	}
	return err
}

// Timeout allows a paced batch to finish.
func (k *KeepAlive) Timeout(*river.Job[KeepAliveArgs]) time.Duration { return 10 * time.Minute }

// Run refreshes every due pair once.
func (k *KeepAlive) Run(ctx context.Context) (KeepAliveSummary, error) {
	var sum KeepAliveSummary
	batch := k.Batch
	if batch <= 0 {
		batch = 200
	}
	due, err := k.Store.TokensDueForRefresh(ctx, k.Store.Now().Add(k.Window), batch)
	if err != nil {
		return sum, err
	}
	kt := tokens{store: k.Store, sealer: k.Sealer, api: k.API}
	for i, t := range due {
		if i > 0 {
			sleep(ctx, k.Spacing)
		}
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		_, err := kt.refresh(ctx, t)
		var se *smartcar.Error
		switch {
		case err == nil:
			sum.Refreshed++
			k.Metrics.refresh("ok")
			if err := k.note(ctx, t.SmartcarUserID, model.EventTokenRefreshed); err != nil {
				return sum, err
			}
		case errors.Is(err, errTokenReplaced):
			sum.Refreshed++
		case errors.As(err, &se) && smartcar.Classify(se).Kind == smartcar.KindPrompt:
			sum.Dead++
			k.Metrics.refresh("dead")
			if err := k.dead(ctx, t, se); err != nil {
				return sum, err
			}
		default:
			// Our side or Smartcar's is down: the pair is still good, and the
			// next run tries again well before it expires.
			sum.Failed++
			k.Metrics.refresh("error")
			k.Log.Warn("token refresh failed; will retry", "token", t.ID, "err", err)
		}
	}
	return sum, nil
}

// dead marks the pair and applies the refusal to the user's vehicles like
// any other error, in one transaction.
func (k *KeepAlive) dead(ctx context.Context, t store.SmartcarToken, se *smartcar.Error) error {
	class := smartcar.Classify(se)
	return k.Store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.MarkRefreshFailed(ctx, t.ID, store.Clip(se.Error(), 300)); err != nil {
			return err
		}
		vs, err := tx.VehiclesOfSmartcarUser(ctx, t.SmartcarUserID)
		if err != nil {
			return err
		}
		now := tx.Now()
		for _, v := range vs {
			d := decide(v.State, v.Reason, verdict{class: class}, false)
			detail, _ := json.Marshal(map[string]any{"outcomes": []Outcome{d.outcome},
				"errors": []errorNote{{Reason: class.Reason, Status: se.HTTPStatus, Description: store.Clip(se.Description, 300)}}})
			if err := tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: model.EventErrorReported,
				Source: model.SourceSystem, Detail: string(detail), OccurredAt: now}); err != nil {
				return err
			}
			if !d.change {
				continue
			}
			if _, _, err := k.Lifecycle.Transition(ctx, tx, v.ID, store.StateChange{To: d.to, Reason: d.reason,
				ReasonDetail: store.Clip(textcheck.Clean(se.Description), 300), Source: model.SourceSystem, At: now}); err != nil {
				return err
			}
			if err := tx.MarkEventSeen(ctx, v.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// note writes kind on the timeline of every vehicle of the Smartcar user.
func (k *KeepAlive) note(ctx context.Context, userID string, kind model.EventKind) error {
	vs, err := k.Store.VehiclesOfSmartcarUser(ctx, userID)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if err := k.Store.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: kind, Source: model.SourceSystem}); err != nil {
			return err
		}
	}
	return nil
}

// JoinArgs is the periodic job that attaches vehicles recorded without an
// owner to the owner the host has since told us about.
type JoinArgs struct{}

// Kind names the job.
func (JoinArgs) Kind() string { return "join_unowned_vehicles" }

// Join runs JoinArgs.
type Join struct {
	river.WorkerDefaults[JoinArgs]
	Store *store.Store
}

// Work joins what can be joined.
func (j *Join) Work(ctx context.Context, _ *river.Job[JoinArgs]) error {
	_, err := j.Store.JoinUnownedVehicles(ctx)
	return err
}
