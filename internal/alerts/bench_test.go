package alerts_test

import (
	"context"
	"testing"
	"time"

	"reconnect/internal/alerts"
	"reconnect/internal/config"
	"reconnect/internal/dbtest"
	"reconnect/internal/store"
)

// BenchmarkCheckMigrations is the periodic check in the middle of a burst:
// 100,000 cars of one make broke within the hour (each with its
// state_changed entry, beside 100,000 other timeline entries) and 20,000
// are still connected. The first check raises the alert; the loop is every
// later minute of the burst (the make is skipped, the others counted). The
// ingest path itself does no extra work for the alert.
func BenchmarkCheckMigrations(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, dialect)
			now := time.Now().UTC()
			s := store.New(db).WithClock(func() time.Time { return now })
			at := now.Add(-10 * time.Minute)
			seq := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)`
			ts := "?"
			if dialect == config.Postgres {
				ts = "CAST(? AS TIMESTAMPTZ)"
			}
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{seq + ` INSERT INTO vehicles (smartcar_id, make, state, reason, state_changed_at, created_at, updated_at)
					SELECT 'b-' || i, 'TESLA', 'needs_reauth', 'AUTHENTICATION_FAILED', ` + ts + `, ` + ts + `, ` + ts + ` FROM n`, []any{100_000, at, at, at}},
				{seq + ` INSERT INTO vehicles (smartcar_id, make, state, state_changed_at, created_at, updated_at)
					SELECT 'c-' || i, 'TESLA', 'connected', ` + ts + `, ` + ts + `, ` + ts + ` FROM n`, []any{20_000, at, at, at}},
				{`INSERT INTO vehicle_events (vehicle_id, kind, source, from_state, to_state, occurred_at, created_at)
					SELECT id, 'state_changed', 'webhook', 'connected', 'needs_reauth', ` + ts + `, ` + ts + ` FROM vehicles WHERE state = 'needs_reauth'`, []any{at, at}},
				{`INSERT INTO vehicle_events (vehicle_id, kind, source, occurred_at, created_at)
					SELECT id, 'webhook_received', 'webhook', ` + ts + `, ` + ts + ` FROM vehicles WHERE state = 'needs_reauth'`, []any{at, at}},
			} {
				if err := s.DB().Exec(q.sql, q.args...).Error; err != nil {
					b.Fatal(err)
				}
			}
			if dialect == config.Postgres {
				if err := s.DB().Exec("ANALYZE").Error; err != nil {
					b.Fatal(err)
				}
			}
			a := alerts.New(s, alerts.Config{MinVehicles: 50, MinShare: 0.05, Window: time.Hour}, &sent{}, nil, nil)
			raised, err := a.CheckMigrations(ctx)
			if err != nil || len(raised) != 1 || raised[0].VehicleCount != 100_000 || raised[0].ConnectedCount != 20_000 {
				b.Fatalf("setup: %+v %v", raised, err)
			}
			for b.Loop() {
				if _, err := a.CheckMigrations(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckMigrationsQuiet is the check in an ordinary hour: 40 cars
// broke, fewer than the threshold, among 100,000 timeline entries.
func BenchmarkCheckMigrationsQuiet(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, dialect)
			now := time.Now().UTC()
			s := store.New(db).WithClock(func() time.Time { return now })
			at := now.Add(-10 * time.Minute)
			ts := "?"
			if dialect == config.Postgres {
				ts = "CAST(? AS TIMESTAMPTZ)"
			}
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO vehicles (smartcar_id, make, state, state_changed_at, created_at, updated_at)
					SELECT 'q-' || i, 'TESLA', CASE WHEN i <= 40 THEN 'needs_reauth' ELSE 'connected' END, ` + ts + `, ` + ts + `, ` + ts + ` FROM n`, []any{100_000, at, at, at}},
				{`INSERT INTO vehicle_events (vehicle_id, kind, source, from_state, to_state, occurred_at, created_at)
					SELECT id, 'state_changed', 'webhook', 'connected', 'needs_reauth', ` + ts + `, ` + ts + ` FROM vehicles WHERE state = 'needs_reauth'`, []any{at, at}},
				{`INSERT INTO vehicle_events (vehicle_id, kind, source, occurred_at, created_at)
					SELECT id, 'webhook_received', 'webhook', ` + ts + `, ` + ts + ` FROM vehicles`, []any{at, at}},
			} {
				if err := s.DB().Exec(q.sql, q.args...).Error; err != nil {
					b.Fatal(err)
				}
			}
			a := alerts.New(s, alerts.Config{MinVehicles: 50, MinShare: 0.05, Window: time.Hour}, &sent{}, nil, nil)
			for b.Loop() {
				if raised, err := a.CheckMigrations(ctx); err != nil || len(raised) != 0 {
					b.Fatal(raised, err)
				}
			}
		})
	}
}
