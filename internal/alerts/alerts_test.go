package alerts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"reconnect/internal/alerts"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// sent records the webhooks the service asked for, in their transactions.
type sent struct {
	migrations []model.SuspectedMigration
	support    []model.Escalation
}

func (s *sent) MigrationSuspected(_ context.Context, _ *store.Store, m model.SuspectedMigration, _ time.Duration) error {
	s.migrations = append(s.migrations, m)
	return nil
}

func (s *sent) NeedsSupport(_ context.Context, _ *store.Store, e model.Escalation, _ model.Vehicle) error {
	s.support = append(s.support, e)
	return nil
}

func cars(t *testing.T, lc *lifecycle.Machine, s *store.Store, prefix, carMake string, n, broken int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: fmt.Sprintf("%s-%d", prefix, i), Make: carMake})
		if err != nil {
			t.Fatal(err)
		}
		if i < broken {
			if _, _, err := lc.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "AUTHENTICATION_FAILED", Source: model.SourceWebhook}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The share is of the make's cars that were connected: 10 broken of 100
// passes 5 %, 10 broken of 300 does not; below the count nothing passes.
func TestMigrationThresholdsCountAndShare(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		s := store.New(db).WithClock(func() time.Time { return now })
		lc := lifecycle.New(s)
		w := &sent{}
		reg := prometheus.NewRegistry()
		a := alerts.New(s, alerts.Config{MinVehicles: 10, MinShare: 0.05, Window: time.Hour}, w, nil, reg)

		cars(t, lc, s, "tesla", "TESLA", 100, 10)
		cars(t, lc, s, "ford", "FORD", 300, 10)
		cars(t, lc, s, "kia", "KIA", 20, 9)
		raised, err := a.CheckMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(raised) != 1 || raised[0].Make != "TESLA" || raised[0].VehicleCount != 10 || raised[0].ConnectedCount != 90 ||
			raised[0].FirstError != "AUTHENTICATION_FAILED" {
			t.Fatalf("raised: %+v", raised)
		}
		if len(w.migrations) != 1 || w.migrations[0].ID != raised[0].ID {
			t.Fatalf("webhooks: %+v", w.migrations)
		}
		if got := counter(t, reg, "reconnect_alerts_suspected_migrations_total", "TESLA"); got != 1 {
			t.Fatalf("counter: %v", got)
		}
		// Later the same day, more Teslas break: not again.
		cars(t, lc, s, "tesla-more", "TESLA", 20, 20)
		if raised, err := a.CheckMigrations(ctx); err != nil || len(raised) != 0 || len(w.migrations) != 1 {
			t.Fatalf("a second burst the same day: %+v %v", raised, err)
		}
		// An hour and more later the window is empty.
		now = now.Add(61 * time.Minute)
		if got, _ := s.MigrationCandidates(ctx, now.Add(-time.Hour), 1, nil, false); len(got) != 0 {
			t.Fatalf("outside the window: %+v", got)
		}
	})
}

// counter reads a counter's value for one label value from reg.
func counter(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// An owner who was sent every email of the schedule while the car stayed
// broken is escalated once by the sweep; a car reconnected since is not.
func TestSweepEscalatesOwnersPastTheirLastReminderOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		s := store.New(db).WithClock(func() time.Time { return now })
		lc := lifecycle.New(s)
		w := &sent{}
		a := alerts.New(s, alerts.Config{Emails: 3}, w, nil, nil)
		told := func(host string) model.Vehicle {
			t.Helper()
			o, err := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: host})
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-" + host, OwnerID: &o.ID, Make: "BMW"})
			if err != nil {
				t.Fatal(err)
			}
			if v, _, err = lc.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateNeedsOEMAction, Source: model.SourceWebhook, At: now.Add(-96 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			n, err := s.NotificationForUpdate(ctx, o.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			last := now.Add(-time.Hour)
			n.Active, n.SentCount, n.LastSentAt = true, 3, &last
			if err := s.SaveNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
			return v
		}
		broken, fixed := told("still-broken"), told("fixed")
		if _, _, err := lc.Transition(ctx, nil, fixed.ID, store.StateChange{To: model.StateConnected, Source: model.SourceWebhook}); err != nil {
			t.Fatal(err)
		}
		if n, err := a.SweepReminders(ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if len(w.support) != 1 || w.support[0].VehicleID != broken.ID || w.support[0].Reason != model.EscalationRemindersExhausted {
			t.Fatalf("webhooks: %+v", w.support)
		}
		if n, err := a.SweepReminders(ctx); err != nil || n != 0 || len(w.support) != 1 {
			t.Fatalf("a second sweep: %d %v %+v", n, err, w.support)
		}
		if rows, err := s.EscalationQueue(ctx, 0, store.Page{}); err != nil || len(rows) != 1 || rows[0].VehicleID != broken.ID {
			t.Fatalf("queue: %+v %v", rows, err)
		}
		// Reconnected, the episode ends and the car leaves the queue; broken
		// again, past the last reminder, it is a new case.
		if _, _, err := lc.Transition(ctx, nil, broken.ID, store.StateChange{To: model.StateConnected, Source: model.SourceWebhook}); err != nil {
			t.Fatal(err)
		}
		if rows, _ := s.EscalationQueue(ctx, 0, store.Page{}); len(rows) != 0 {
			t.Fatalf("a reconnected car is queued: %+v", rows)
		}
		if _, _, err := lc.Transition(ctx, nil, broken.ID, store.StateChange{To: model.StateNeedsReauth, Source: model.SourceWebhook, At: now.Add(-2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if n, err := a.SweepReminders(ctx); err != nil || n != 1 || len(w.support) != 2 {
			t.Fatalf("the next episode: %d %v %+v", n, err, w.support)
		}
		if rows, _ := s.EscalationQueue(ctx, 0, store.Page{}); len(rows) != 1 || rows[0].EscalationID == w.support[0].ID {
			t.Fatalf("the queue holds the new episode's case: %+v", rows)
		}
	})
}
