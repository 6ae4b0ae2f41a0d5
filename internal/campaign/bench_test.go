package campaign_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/store"
)

// BenchmarkCampaign200k previews and launches a campaign over 200,000
// Teslas of 100,000 owners (and 50,000 Fords that do not match) on
// PostgreSQL, the production database. Goals: preview ≤ 1 s, launch ≤ 10 s,
// under 200 MiB of Go heap. Each iteration creates a new campaign over the
// same vehicles. Needs TEST_DATABASE_URL (or BENCH_DATABASE_URL).
//
// launch-ms is Launch as the app runs it: the snapshot of the cohort and
// the job that settles it, committed. settle-ms is that job (SettleLaunch):
// 200,000 timeline entries and 500,000 notices, written after the commit.
func BenchmarkCampaign200k(b *testing.B) {
	if u := os.Getenv("BENCH_DATABASE_URL"); u != "" {
		b.Setenv("TEST_DATABASE_URL", u)
	}
	benchLaunch(b, dbtest.Open(b, "postgres"), 100000)
}

// BenchmarkCampaignSQLite20k is BenchmarkCampaign200k on SQLite with a
// tenth of the cohort: 20,000 Teslas of 10,000 owners (and 5,000 Fords).
func BenchmarkCampaignSQLite20k(b *testing.B) {
	benchLaunch(b, dbtest.Open(b, "sqlite"), 10000)
}

// benchLaunch seeds `owners` owners with two Teslas each and one Ford for
// every second owner, then previews, launches and settles a campaign over
// the Teslas per iteration, checking what each wrote.
func benchLaunch(b *testing.B, db *database.DB, owners int) {
	ctx := context.Background()
	st := store.New(db)
	seedCohort(b, db, owners)
	svc := campaign.New(st, lifecycle.New(st), nil)
	// The app's queue, not started: the benchmark runs the settling job's
	// work itself, to time it apart from the launch.
	q, err := jobs.New(db, jobs.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	svc.SettleLater(q)
	vehicles, firstWave := int64(2*owners), int64(owners/5)
	var preview, launch, settle time.Duration
	var peak uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		in := tesla(time.Now().Add(20 * 24 * time.Hour))
		in.Name, in.FirstWave, in.WaveHold = fmt.Sprintf("bench %d", i), 20, 24*time.Hour
		c, err := svc.Create(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		cohort, err := svc.Preview(ctx, c.ID)
		if err != nil || cohort.Vehicles != vehicles || cohort.Owners != int64(owners) {
			b.Fatalf("preview: %+v %v", cohort, err)
		}
		preview += time.Since(t0)
		t0 = time.Now()
		if _, err := svc.Launch(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
		launch += time.Since(t0)
		t0 = time.Now()
		if err := svc.SettleLaunch(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
		settle += time.Since(t0)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapSys)

		b.StopTimer()
		var n int64
		if err := st.DB().Table("campaign_notices").Where("campaign_id = ?", c.ID).Count(&n).Error; err != nil || n != int64(owners)*5 {
			b.Fatalf("%d notices, want %d: %v", n, owners*5, err)
		}
		if err := st.DB().Table("campaign_vehicles").Where("campaign_id = ? AND wave = 1 AND owner_id IS NOT NULL", c.ID).
			Distinct("owner_id").Count(&n).Error; err != nil || n != firstWave {
			b.Fatalf("%d owners in the first wave, want %d: %v", n, firstWave, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(preview.Milliseconds())/float64(b.N), "preview-ms")
	b.ReportMetric(float64(launch.Milliseconds())/float64(b.N), "launch-ms")
	b.ReportMetric(float64(settle.Milliseconds())/float64(b.N), "settle-ms")
	b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
}

// seed200k opens a PostgreSQL schema (BENCH_DATABASE_URL, else
// TEST_DATABASE_URL; the benchmark skips without either) holding 100,000
// owners and 250,000 vehicles: 200,000 Teslas (two per owner, a third of
// them Model Y, a quarter in France) and 50,000 Fords.
func seed200k(b *testing.B) *store.Store {
	if u := os.Getenv("BENCH_DATABASE_URL"); u != "" {
		b.Setenv("TEST_DATABASE_URL", u)
	}
	db := dbtest.Open(b, "postgres")
	st := store.New(db)
	seed := []string{
		`INSERT INTO owners (host_user_id, email, created_at, updated_at)
			SELECT 'o' || g, 'o' || g || '@example.com', now(), now() FROM generate_series(1, 100000) g`,
		`INSERT INTO vehicles (smartcar_id, owner_id, make, model, year, vin, country, priority, state, state_changed_at, created_at, updated_at)
			SELECT 'v' || g, (SELECT MIN(id) FROM owners) + ((g - 1) % 100000),
				CASE WHEN g <= 200000 THEN 'TESLA' ELSE 'FORD' END,
				CASE WHEN g % 3 = 0 THEN 'Model Y' ELSE 'Model 3' END, 2018 + g % 7,
				'VIN' || lpad(g::text, 14, '0'), CASE WHEN g % 4 = 0 THEN 'FR' ELSE 'DE' END, g % 5,
				'connected', now(), now(), now()
			FROM generate_series(1, 250000) g`,
		`ANALYZE owners`, `ANALYZE vehicles`,
	}
	for _, q := range seed {
		if err := st.DB().Exec(q).Error; err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// seedCohort writes `owners` owners, 2×owners Teslas (each owner two) and
// owners/2 Fords, in a few set-based statements.
func seedCohort(b *testing.B, db *database.DB, owners int) {
	b.Helper()
	cars := owners * 5 / 2
	now := time.Now().UTC()
	series := fmt.Sprintf("generate_series(1, %d) g", cars)
	ownerSeries := fmt.Sprintf("generate_series(1, %d) g", owners)
	vin := "lpad(g::text, 14, '0')"
	if !db.IsPostgres() {
		// SQLite has no generate_series or lpad here: a recursive count.
		series = fmt.Sprintf("(WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < %d) SELECT g FROM n)", cars)
		ownerSeries = fmt.Sprintf("(WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < %d) SELECT g FROM n)", owners)
		vin = "substr('00000000000000' || g, -14)"
	}
	seed := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO owners (host_user_id, email, created_at, updated_at)
			SELECT 'o' || g, 'o' || g || '@example.com', ?, ? FROM ` + ownerSeries, []any{now, now}},
		{fmt.Sprintf(`INSERT INTO vehicles (smartcar_id, owner_id, make, model, year, vin, country, priority, state, state_changed_at, created_at, updated_at)
			SELECT 'v' || g, (SELECT MIN(id) FROM owners) + ((g - 1) %% %[1]d),
				CASE WHEN g <= %[2]d THEN 'TESLA' ELSE 'FORD' END,
				CASE WHEN g %% 3 = 0 THEN 'Model Y' ELSE 'Model 3' END, 2018 + g %% 7,
				'VIN' || %[3]s, CASE WHEN g %% 4 = 0 THEN 'FR' ELSE 'DE' END, g %% 5,
				'connected', ?, ?, ?
			FROM %[4]s`, owners, 2*owners, vin, series), []any{now, now, now}},
		{`ANALYZE owners`, nil}, {`ANALYZE vehicles`, nil},
	}
	for _, s := range seed {
		if err := db.Gorm.Exec(s.q, s.args...).Error; err != nil {
			b.Fatal(err)
		}
	}
}
