// Package alerts tells staff and the host what no single car shows: a make
// whose cars break together (a suspected migration the carmaker did not
// announce), and owners who need a person (the "Needs a person" queue).
package alerts

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Config tunes the alerts.
type Config struct {
	// MinVehicles and MinShare: a make is suspected when at least
	// MinVehicles of its cars newly needed re-authentication within Window
	// and they are at least MinShare (0.05 = 5 %) of the make's cars that
	// were connected (those still connected plus those that broke).
	MinVehicles int
	MinShare    float64
	Window      time.Duration
	// Emails is how many emails the schedule sends in an owner's episode
	// (the first and every reminder); once that many went out and the car is
	// still broken, the owner needs a person. 0: email is off, nothing is
	// escalated for it.
	Emails int
}

// Webhooks sends the alerts' host webhooks inside the caller's transaction.
type Webhooks interface {
	MigrationSuspected(ctx context.Context, tx *store.Store, m model.SuspectedMigration, window time.Duration) error
	NeedsSupport(ctx context.Context, tx *store.Store, e model.Escalation, v model.Vehicle) error
}

// Service raises the alerts.
type Service struct {
	store    *store.Store
	cfg      Config
	webhooks Webhooks
	log      *slog.Logger

	suspected *prometheus.CounterVec
	escalated *prometheus.CounterVec
}

// New returns the service and registers its counters on reg (nil: a
// private registry).
func New(s *store.Store, cfg Config, w Webhooks, log *slog.Logger, reg prometheus.Registerer) *Service {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.MinVehicles < 1 {
		cfg.MinVehicles = 50
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Hour
	}
	a := &Service{store: s, cfg: cfg, webhooks: w, log: log,
		suspected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "reconnect", Subsystem: "alerts", Name: "suspected_migrations_total",
			Help: "Suspected carmaker migrations raised, by make.",
		}, []string{"make"}),
		escalated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "reconnect", Subsystem: "alerts", Name: "needs_support_total",
			Help: "Owners put in the \"Needs a person\" queue, by reason (reconnect_failures, reminders_exhausted).",
		}, []string{"reason"}),
	}
	reg.MustRegister(a.suspected, a.escalated)
	return a
}

// CheckMigrations raises a suspected migration for every make whose cars
// crossed the threshold within the window up to now, unless the make was
// already raised today (UTC). It returns the alerts this call raised.
//
// It runs as a periodic job (every minute), not at each state change: a
// burst of 100,000 webhooks then costs it nothing per event (no counter row
// every ingest transaction would fight over), and the check is one grouped
// query over a partial index that holds only breaks into needs_reauth. A
// minute of delay is nothing next to a migration that needs a campaign.
// Several instances may run it at once: the (make, day) key decides.
func (a *Service) CheckMigrations(ctx context.Context) ([]model.SuspectedMigration, error) {
	now := a.store.Now()
	since := now.Add(-a.cfg.Window)
	// A quiet hour ends here, after an index-only count.
	if n, err := a.store.CountBreaks(ctx, since); err != nil || n < a.cfg.MinVehicles {
		return nil, err
	}
	// Makes raised today, or taken in whole by a live campaign, are not
	// counted again: during a burst only the other makes are.
	skip, err := a.store.MakesRaisedOn(ctx, now.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	live, err := a.store.LiveCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	skip = append(skip, wholeMakes(live)...)
	cands, err := a.store.MigrationCandidates(ctx, since, a.cfg.MinVehicles, skip, len(live) > 0)
	if err != nil {
		return nil, err
	}
	var raised []model.SuspectedMigration
	for _, c := range cands {
		connected, err := a.store.ConnectedOfMake(ctx, c.Make)
		if err != nil {
			return raised, err
		}
		if float64(c.Vehicles) < a.cfg.MinShare*float64(c.Vehicles+connected) {
			continue
		}
		firstAt, firstErr, err := a.store.FirstBreak(ctx, c.Make, since)
		if err != nil {
			return raised, err
		}
		m := model.SuspectedMigration{Make: c.Make, VehicleCount: c.Vehicles, ConnectedCount: connected,
			FirstError: firstErr, FirstBreakAt: firstAt, RaisedAt: now}
		var ok bool
		err = a.store.Tx(ctx, func(tx *store.Store) error {
			if m, ok, err = tx.RaiseSuspectedMigration(ctx, m); err != nil || !ok {
				return err
			}
			return a.webhooks.MigrationSuspected(ctx, tx, m, a.cfg.Window)
		})
		if err != nil {
			return raised, err
		}
		if ok {
			a.suspected.WithLabelValues(m.Make).Inc()
			a.log.Warn("suspected migration", "make", m.Make, "vehicles", m.VehicleCount, "connected", connected, "first_error", m.FirstError)
			raised = append(raised, m)
		}
	}
	return raised, nil
}

// wholeMakes are the makes that campaigns take in whole (no model, year,
// country or list narrowing them): their cars that break are the
// campaign's business even before they join its cohort. Cars of a
// narrower campaign are left out of the count car by car instead
// (store.MigrationCandidates).
func wholeMakes(live []model.Campaign) []string {
	var out []string
	for _, c := range live {
		if len(c.Models) == 0 && c.YearFrom == 0 && c.YearTo == 0 && len(c.Countries) == 0 && !c.HasVehicleList {
			out = append(out, strings.ToUpper(c.Make))
		}
	}
	return out
}

// FailedAttempt is told, inside the transaction that recorded it, that the
// owner's trip to Connect for v failed (v as it is after the trip). On the
// third failure of the car's episode, with the car still waiting for its
// owner, the owner goes into the queue and the host hears
// vehicle.needs_support; once per episode.
func (a *Service) FailedAttempt(ctx context.Context, tx *store.Store, v model.Vehicle, ownerID int64) error {
	if !v.State.NeedsOwner() {
		return nil
	}
	_, err := a.escalate(ctx, tx, v, &ownerID, model.EscalationFailedAttempts, model.FailedAttemptsForSupport)
	return err
}

// escalate opens the car's escalation in its current episode unless it has
// one (or fewer than minFailed trips to Connect failed in it), and sends the
// webhook when it opened one. The episode is read from the car's timeline,
// so nothing has to happen when a car is reconnected: its next break starts
// a new episode, and the escalation of the last one is closed here.
func (a *Service) escalate(ctx context.Context, tx *store.Store, v model.Vehicle, ownerID *int64, reason model.EscalationReason, minFailed int) (bool, error) {
	episode, failed, err := tx.Episode(ctx, v.ID)
	if err != nil || failed < minFailed {
		return false, err
	}
	camp, err := tx.LiveCampaignOf(ctx, v.ID)
	if err != nil {
		return false, err
	}
	e, opened, err := tx.OpenEscalation(ctx, model.Escalation{VehicleID: v.ID, OwnerID: ownerID, CampaignID: camp, Reason: reason,
		FailedAttempts: failed, EpisodeEventID: episode})
	if err != nil || !opened {
		return false, err
	}
	if err := a.webhooks.NeedsSupport(ctx, tx, e, v); err != nil {
		return false, err
	}
	a.escalated.WithLabelValues(string(reason)).Inc()
	return true, nil
}

// sweepBatch bounds one sweep; the next takes the rest.
const sweepBatch = 500

// SweepReminders puts in the queue the owners who were sent every email of
// their schedule, or every notice of a campaign, and whose car is still
// broken. It returns how many it added.
func (a *Service) SweepReminders(ctx context.Context) (int, error) {
	emails := a.cfg.Emails
	if emails <= 0 {
		// No email schedule: only campaign notices can run out.
		emails = 1 << 30
	}
	cands, err := a.store.RemindersExhausted(ctx, emails, sweepBatch)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, c := range cands {
		err := a.store.Tx(ctx, func(tx *store.Store) error {
			v, err := tx.VehicleByID(ctx, c.VehicleID)
			if err != nil {
				return err
			}
			if !v.State.NeedsOwner() || v.OwnerID == nil {
				return nil
			}
			ok, err := a.escalate(ctx, tx, v, v.OwnerID, model.EscalationRemindersExhausted, 0)
			if ok {
				added++
			}
			return err
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return added, err
		}
	}
	return added, nil
}
