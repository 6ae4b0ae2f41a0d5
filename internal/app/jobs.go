package app

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/alerts"
	"reconnect/internal/campaign"
	"reconnect/internal/config"
	"reconnect/internal/hostwebhook"
	"reconnect/internal/ingest"
	"reconnect/internal/notify"
	"reconnect/internal/repair"
	"reconnect/internal/staff"
	"reconnect/internal/store"
)

// workers lists every job worker of the product.
func (a *App) workers() *river.Workers {
	d := a.Config.Detection
	w := river.NewWorkers()
	river.AddWorker(w, &pruneWorker{store: a.Store, retention: a.Config.Retention})
	// Detection: host webhooks, vehicles that arrived before their owner,
	// the legacy token keep-alive and the optional health check.
	river.AddWorker(w, &hostwebhook.Worker{Notifier: a.HostWebhooks})
	river.AddWorker(w, &ingest.Join{Store: a.Store})
	river.AddWorker(w, &ingest.KeepAlive{
		Store: a.Store, Sealer: a.Sealer, API: a.Smartcar, Lifecycle: a.Lifecycle,
		Log: a.Log.With("component", "keepalive"), Metrics: a.Ingest.Metrics(),
		Window: d.TokenRefreshWindow, Spacing: 100 * time.Millisecond,
	})
	river.AddWorker(w, &ingest.HealthCheck{
		Store: a.Store, Sealer: a.Sealer, API: a.Smartcar, Log: a.Log.With("component", "health_check"),
		Every: d.HealthCheckEvery, Rate: d.HealthCheckRate, Budget: 4 * time.Minute,
		StuckAfter: repair.StateTTL, OnWrite: a.Ingest.Processor().Wake,
	})
	// Repair: trips to Connect nobody came back from are settled.
	river.AddWorker(w, &repair.Abandoned{Repair: a.Repair, Log: a.Log.With("component", "abandoned_trips"), Batch: 100})
	// Email: the schedule and notice sweeps, the sends, and owners' asks for a new link.
	a.Notify.Register(w)
	river.AddWorker(w, &notify.FreshLinkWorker{FreshLinks: a.FreshLinks})
	// Campaigns: a wave that tips over its safety limits pauses its
	// campaign; each launch's timeline entries and notices.
	river.AddWorker(w, &campaign.SafetyWorker{Campaigns: a.Campaigns})
	river.AddWorker(w, &campaign.SettleLaunchWorker{Campaigns: a.Campaigns})
	// The console: views as an owner that ran out while nobody looked.
	river.AddWorker(w, &staff.SweepWorker{Staff: a.Staff})
	// Alerts: the suspected-migration check and the sweep of owners whose
	// reminders ran out.
	a.Alerts.Register(w)
	return w
}

// periodicJobs lists the product's scheduled jobs; the elected leader
// instance enqueues them.
func (a *App) periodicJobs() []*river.PeriodicJob {
	d := a.Config.Detection
	every := func(interval time.Duration, args river.JobArgs, runOnStart bool) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
		}, &river.PeriodicJobOpts{RunOnStart: runOnStart})
	}
	jobs := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return pruneArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
		}, nil),
		every(d.TokenKeepAliveEvery, ingest.KeepAliveArgs{}, true),
		every(time.Minute, ingest.JoinArgs{}, false),
		every(time.Minute, staff.SweepArgs{}, false),
		every(time.Minute, repair.AbandonedArgs{}, false),
		every(time.Minute, alerts.MigrationCheckArgs{}, false),
		every(5*time.Minute, alerts.ReminderSweepArgs{}, false),
		every(time.Minute, campaign.SafetyArgs{}, false),
	}
	if d.HealthCheckEvery > 0 {
		jobs = append(jobs, every(5*time.Minute, ingest.HealthCheckArgs{}, false))
	}
	if a.Config.Email.Enabled() {
		// Email: broken cars' schedules, and migration campaigns' notices,
		// each swept into the owner's one email job.
		jobs = append(jobs, a.Notify.Periodic(), a.Notify.NoticePeriodic())
	}
	return jobs
}

// pruneArgs asks for old operational rows to be deleted, and for the
// timeline and email contents past their retention to go. It runs hourly.
type pruneArgs struct{}

func (pruneArgs) Kind() string { return "prune" }

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	store     *store.Store
	retention config.Retention
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[pruneArgs]) error {
	now := w.store.Now()
	if err := w.store.Prune(ctx, now.Add(-90*24*time.Hour)); err != nil {
		return err
	}
	_, err := w.store.PruneHistory(ctx, now.Add(-w.retention.Timeline), now.Add(-w.retention.Emails), store.RetentionBatch)
	return err
}
