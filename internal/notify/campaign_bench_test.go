package notify_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"reconnect/internal/campaign"
	"reconnect/internal/config"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/mail"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// BenchmarkCampaignNoticeSendRate measures how fast one instance turns a
// launched campaign's due notices into emails: the notice sweep, River's
// per-owner jobs (JOBS_MAX_WORKERS 50) and real SMTP to a local devsmtp
// server that accepts everything at once. Each iteration launches a
// campaign over 20,000 owners (one car each) whose first notice is due now,
// as the app does (the launch's notices written by its settling job), and
// times from the launch until the server holds every email.
//
//	go test -run '^$' -bench BenchmarkCampaignNoticeSendRate -benchtime 1x -timeout 60m ./internal/notify/
func BenchmarkCampaignNoticeSendRate(b *testing.B) {
	const owners = 20000
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			var total, cpu time.Duration
			var statements int64
			for range b.N {
				r := sendCampaign(b, dialect, owners)
				total, cpu, statements = total+r.wall, cpu+r.cpu, statements+r.statements
			}
			b.ReportMetric(float64(owners*b.N)/total.Seconds(), "emails/s")
			// CPU of this process (sender, queue and SMTP server; not the
			// PostgreSQL server) per email: what the rate would be bound by
			// on a machine that is not shared.
			b.ReportMetric(float64(cpu.Microseconds())/float64(owners*b.N), "cpu-µs/email")
			// The app's SQL statements per email, launch and sweep included
			// (the job queue's own are not counted; nor BEGIN and COMMIT).
			b.ReportMetric(float64(statements)/float64(owners*b.N), "statements/email")
		})
	}
}

// sendRun is what one run measured.
type sendRun struct {
	wall, cpu  time.Duration
	statements int64
}

func sendCampaign(b *testing.B, dialect string, owners int) sendRun {
	b.Helper()
	ctx := context.Background()
	db := dbtest.Open(b, dialect)
	// The inbox keeps only the latest messages: count what arrives.
	var got atomic.Int64
	srv, err := devsmtp.Start(devsmtp.Options{Check: func(string, []string, []byte) error { got.Add(1); return nil }})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	st := store.New(db)
	smtpCfg, err := config.ParseSMTPURL(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	sender, err := mail.NewSMTP(mail.Settings{SMTP: smtpCfg, From: "ChargeWell <noreply@chargewell.example>", Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{MaxWorkers: 50, FetchCooldown: 20 * time.Millisecond, FetchPoll: 50 * time.Millisecond, Logger: logger()})
	if err != nil {
		b.Fatal(err)
	}
	cfg := liveConfig()
	// A sweep every second (production: a quarter of EMAIL_DEBOUNCE, at
	// most 30 s) wakes an owner whose job ended early soon after. Every
	// 30 s gave the same CPU per email at 20,000 owners.
	cfg.SweepEvery = time.Second
	lk := links.New(st, links.Config{PublicBaseURL: cfg.BaseURL, EmailTTL: 168 * time.Hour, InAppTTL: 15 * time.Minute})
	svc := notify.New(cfg, st, lk, sender, q, nil, logger())
	lc := lifecycle.New(st, svc)
	camps := campaign.New(st, lc, nil)
	lc.AddVehicleHook(camps)
	svc.SendCampaigns(camps)
	camps.SettleLater(q)
	workers := river.NewWorkers()
	svc.Register(workers)
	river.AddWorker(workers, &campaign.SettleLaunchWorker{Campaigns: camps})
	if err := q.Work(workers, svc.NoticePeriodic()); err != nil {
		b.Fatal(err)
	}

	// The cohort, outside the timing: owners with one connected Tesla each.
	seedOwners(b, db, owners)
	c, err := camps.Create(ctx, campaign.Input{Name: "bench", Make: "TESLA", Reason: model.ReasonNewPlatform,
		CutoverAt: time.Now().Add(10 * 24 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}

	var statements atomic.Int64
	count := func(*gorm.DB) { statements.Add(1) }
	cb := db.Gorm.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("bench:count_query", count),
		cb.Create().After("gorm:create").Register("bench:count_create", count),
		cb.Update().After("gorm:update").Register("bench:count_update", count),
		cb.Delete().After("gorm:delete").Register("bench:count_delete", count),
		cb.Row().After("gorm:row").Register("bench:count_row", count),
		cb.Raw().After("gorm:raw").Register("bench:count_raw", count),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}

	begin, cpu0 := time.Now(), processCPU()
	if _, err := camps.Launch(ctx, c.ID); err != nil {
		b.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
	}()
	deadline := begin.Add(30 * time.Minute)
	for got.Load() < int64(owners) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d emails after 30 minutes", got.Load(), owners)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed, used, stmts := time.Since(begin), processCPU()-cpu0, statements.Load()
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show up
	if n := got.Load(); n != int64(owners) {
		b.Fatalf("%d emails for %d owners", n, owners)
	}
	return sendRun{wall: elapsed, cpu: used, statements: stmts}
}

// seedOwners writes n owners (English, UTC) with one connected Tesla each,
// in two set-based statements.
func seedOwners(b *testing.B, db *database.DB, n int) {
	b.Helper()
	series := fmt.Sprintf("generate_series(1, %d) g", n)
	if !db.IsPostgres() {
		series = fmt.Sprintf("(WITH RECURSIVE c(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM c WHERE g < %d) SELECT g FROM c)", n)
	}
	now := time.Now().UTC()
	for _, s := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO owners (host_user_id, email, name, locale, time_zone, created_at, updated_at)
			SELECT 'o' || g, 'o' || g || '@example.com', 'o' || g, 'en', 'UTC', ?, ? FROM ` + series, []any{now, now}},
		{`INSERT INTO vehicles (smartcar_id, owner_id, make, model, year, state, state_changed_at, created_at, updated_at)
			SELECT 'sc-' || host_user_id, id, 'TESLA', 'Model 3', 2021, ?, ?, ?, ? FROM owners`, []any{model.StateConnected, now, now, now}},
	} {
		if err := db.Gorm.Exec(s.q, s.args...).Error; err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the user and system time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
