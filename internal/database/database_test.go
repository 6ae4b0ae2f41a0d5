package database_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"sync"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
)

// Two instances starting at once against one empty database both come up and
// the schema is migrated exactly once.
func TestConcurrentMigrateMigratesOnce(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			u := dbtest.URL(t, dialect)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = database.Migrate(context.Background(), u, log)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("instance %d: %v", i, err)
				}
			}
			db, err := database.Open(context.Background(), u, log)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var applied, distinct int
			row := db.SQL.QueryRow("SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0")
			if err := row.Scan(&applied, &distinct); err != nil {
				t.Fatal(err)
			}
			if applied != distinct || applied == 0 {
				t.Fatalf("migrations applied %d times for %d versions", applied, distinct)
			}
			var n int
			if err := db.SQL.QueryRow("SELECT count(*) FROM river_migration").Scan(&n); err != nil || n == 0 {
				t.Fatalf("job queue schema missing: %d %v", n, err)
			}
			lines, err := database.Status(context.Background(), u)
			if err != nil || len(lines) != distinct {
				t.Fatalf("status: %v %v", lines, err)
			}
			_ = sql.ErrNoRows
		})
	}
}

// DATABASE_MAX_CONNS is split between the app's pool and the job workers'
// pool, and the two add up to the cap.
func TestMaxConnsSplitsTheCap(t *testing.T) {
	u := dbtest.URL(t, "postgres")
	for _, n := range []int{6, 12, 35, 100} {
		db, err := database.Open(context.Background(), u, slog.New(slog.NewTextHandler(io.Discard, nil)), database.MaxConns(n))
		if err != nil {
			t.Fatal(err)
		}
		app := db.SQL.Stats().MaxOpenConnections
		jobs := int(db.Pool.Config().MaxConns)
		db.Close()
		if app+jobs != n || jobs < 4 || app < 2 {
			t.Errorf("cap %d: app %d + jobs %d", n, app, jobs)
		}
	}
}
