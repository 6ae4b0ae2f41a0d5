package campaign_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/dbtest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/store"
)

// BenchmarkCampaign200k previews and launches a campaign over 200,000
// Teslas of 100,000 owners (and 50,000 Fords that do not match) on
// PostgreSQL, the production database. Goals: preview ≤ 1 s, launch ≤ 10 s,
// under 200 MiB of Go heap. Each iteration creates a new campaign over the
// same vehicles. Needs TEST_DATABASE_URL (or BENCH_DATABASE_URL).
func BenchmarkCampaign200k(b *testing.B) {
	st := seed200k(b)
	ctx := context.Background()
	svc := campaign.New(st, lifecycle.New(st), nil)
	var preview, launch time.Duration
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
		if err != nil || cohort.Vehicles != 200000 || cohort.Owners != 100000 {
			b.Fatalf("preview: %+v %v", cohort, err)
		}
		preview += time.Since(t0)
		t0 = time.Now()
		if _, err := svc.Launch(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
		launch += time.Since(t0)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapSys)
	}
	b.ReportMetric(float64(preview.Milliseconds())/float64(b.N), "preview-ms")
	b.ReportMetric(float64(launch.Milliseconds())/float64(b.N), "launch-ms")
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
