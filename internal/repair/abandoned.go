package repair

import (
	"context"
	"errors"
	"log/slog"

	"github.com/riverqueue/river"

	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

// AbandonedArgs is the periodic job that settles trips to Connect nobody
// came back from.
type AbandonedArgs struct{}

// Kind names the job.
func (AbandonedArgs) Kind() string { return "abandoned_trip_sweep" }

// Abandoned settles abandoned trips in batches (see Service.SettleAbandoned).
type Abandoned struct {
	river.WorkerDefaults[AbandonedArgs]
	Repair *Service
	Log    *slog.Logger
	// Batch is how many cars one query lists; a run goes through all of
	// them, batch by batch.
	Batch int
}

// Work runs one pass.
func (w *Abandoned) Work(ctx context.Context, _ *river.Job[AbandonedArgs]) error {
	n, err := w.Repair.SettleAbandoned(ctx, w.Batch)
	if n > 0 && w.Log != nil {
		w.Log.Info("abandoned Connect trips settled", "vehicles", n)
	}
	return err
}

// Outcomes of an abandoned trip, written on the timeline.
const (
	abandonedConnected = string(model.StateConnected)
	abandonedRestored  = "restored"
)

// SettleAbandoned finds cars left reconnecting for longer than a Connect
// state lives (the owner closed the tab, or Connect sent them back to an
// address that never reached us) and settles each with one API call: the
// owner may have finished elsewhere, so a car that answers (or is merely
// asleep or out of reach: Smartcar got through to the carmaker) is
// connected; any other answer puts it back in the state and reason it had
// before the trip. Each is recorded on the timeline. It goes through every
// such car, batch by batch, and returns how many it settled.
func (s *Service) SettleAbandoned(ctx context.Context, batch int) (int, error) {
	if batch <= 0 {
		batch = 100
	}
	settled := 0
	var after int64
	for ctx.Err() == nil {
		now := s.store.Now()
		vs, err := s.store.VehiclesReconnectingSince(ctx, now.Add(-StateTTL), after, batch)
		if err != nil {
			return settled, err
		}
		for _, v := range vs {
			after = v.ID
			ok, err := s.settle(ctx, v)
			if err != nil {
				return settled, err
			}
			if ok {
				settled++
			}
		}
		if len(vs) < batch {
			break
		}
	}
	return settled, ctx.Err()
}

// settle checks one car; ok is false when its trip is still going or
// someone else settled it meanwhile.
func (s *Service) settle(ctx context.Context, v model.Vehicle) (bool, error) {
	cs, err := s.store.LatestConnectState(ctx, v.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		cs = store.ConnectState{}
	case err != nil:
		return false, err
	case cs.UsedAt == nil && s.store.Now().Before(cs.ExpiresAt):
		// The owner pressed Reconnect again and is in Connect now.
		return false, nil
	}
	prevState, prevReason := cs.PrevState, cs.PrevReason
	if prevState == "" || prevState == model.StateReconnecting {
		prevState, prevReason = s.stateBefore(ctx, v)
	}
	perr := s.probe(ctx, v, v.SmartcarUserID)
	detail := map[string]any{}
	to, reason := model.StateConnected, ""
	var se *smartcar.Error
	switch {
	case perr == nil:
		detail["outcome"] = abandonedConnected
	case errors.As(perr, &se) && smartcar.Classify(se).ConnectionWorks:
		detail["outcome"], detail["answer"] = abandonedConnected, smartcar.Classify(se).Reason
	default:
		to, reason = prevState, prevReason
		detail["outcome"], detail["error"] = abandonedRestored, store.Clip(perr.Error(), 300)
	}
	if cs.ID != 0 {
		detail["flow"] = cs.Flow
	}
	done := false
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		cur, err := tx.VehicleByID(ctx, v.ID)
		if err != nil {
			return err
		}
		// Only settle what nobody settled while we asked Smartcar: a
		// callback, a webhook or another instance may have.
		if cur.State != model.StateReconnecting || !cur.StateChangedAt.Equal(v.StateChangedAt) {
			return nil
		}
		ch := store.StateChange{To: to, Reason: reason, Source: model.SourceSystem, Detail: jsonDetail(map[string]any{"abandoned": true})}
		if to != model.StateConnected {
			ch.ReasonDetail, ch.ResolutionURL = cur.ReasonDetail, cur.ResolutionURL
		}
		if _, _, err := s.lifecycle.Transition(ctx, tx, v.ID, ch); err != nil {
			return err
		}
		done = true
		return tx.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: v.OwnerID, Kind: model.EventReconnectAbandoned, Source: model.SourceSystem, Detail: jsonDetail(detail)})
	})
	return done, err
}
