package campaign_test

import (
	"context"
	"os"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/dbtest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/store"
)

// BenchmarkWaveSafetyCheck100k is the auto-pause's check (CheckSafety) on
// PostgreSQL over a wave of 100,000 owners whose first notice each went
// out in an email (4 % refused). The check runs after refused and bounced
// emails of a running campaign; one this slow is spaced out (see
// slowSafetyCheck), so its cost bounds how often a big wave is checked
// inline. Needs TEST_DATABASE_URL (or BENCH_DATABASE_URL).
func BenchmarkWaveSafetyCheck100k(b *testing.B) {
	if u := os.Getenv("BENCH_DATABASE_URL"); u != "" {
		b.Setenv("TEST_DATABASE_URL", u)
	}
	db := dbtest.Open(b, "postgres")
	ctx := context.Background()
	st := store.New(db)
	for _, q := range []string{
		`INSERT INTO owners (host_user_id, email, created_at, updated_at)
			SELECT 'o' || g, 'o' || g || '@example.com', now(), now() FROM generate_series(1, 100000) g`,
		`INSERT INTO vehicles (smartcar_id, owner_id, make, model, year, vin, state, state_changed_at, created_at, updated_at)
			SELECT 'v' || g, (SELECT MIN(id) FROM owners) + g - 1, 'TESLA', 'Model 3', 2021,
				'VIN' || lpad(g::text, 14, '0'), 'connected', now(), now(), now()
			FROM generate_series(1, 100000) g`,
	} {
		if err := st.DB().Exec(q).Error; err != nil {
			b.Fatal(err)
		}
	}
	svc := campaign.New(st, lifecycle.New(st), nil)
	in := tesla(time.Now().Add(20 * 24 * time.Hour))
	in.FirstWave = 100
	c, err := svc.Create(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	if c, err = svc.Launch(ctx, c.ID); err != nil {
		b.Fatal(err)
	}
	// Each owner's first notice went out in an email of its own.
	for _, q := range []string{
		`INSERT INTO email_messages (message_id, dedupe_key, owner_id, kind, status, attempted_at, created_at, updated_at)
			SELECT 'm' || n.id || '@bench', 'bench/' || n.id, n.owner_id, 'campaign_notice',
				CASE WHEN n.id % 25 = 0 THEN 'failed' ELSE 'sent' END, now(), now(), now()
			FROM campaign_notices n WHERE n.campaign_id = ? AND n.offset_seconds = -1209600`,
		`UPDATE campaign_notices SET status = 'sent', email_message_id = 'm' || id || '@bench', sent_at = now()
			WHERE campaign_id = ? AND offset_seconds = -1209600`,
		`ANALYZE owners`, `ANALYZE vehicles`, `ANALYZE campaign_vehicles`, `ANALYZE campaign_notices`, `ANALYZE email_messages`,
	} {
		args := []any{}
		if len(q) > 20 && q[:6] != "ANALYZ" {
			args = append(args, c.ID)
		}
		if err := st.DB().Exec(q, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		paused, err := svc.CheckSafety(ctx, nil, c.ID)
		if err != nil || paused {
			b.Fatalf("check: paused %v, %v", paused, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/check")
	h, _ := st.CampaignWaveHealth(ctx, c.ID, time.Now().Add(time.Hour), time.Time{}, "access_denied")
	if h.Emails != 100000 || h.Failed != 4000 {
		b.Fatalf("the wave counted %+v", h)
	}
}
