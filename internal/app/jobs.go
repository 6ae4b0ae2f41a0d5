package app

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/hostwebhook"
	"reconnect/internal/ingest"
	"reconnect/internal/store"
)

// workers lists every job worker of the product.
func (a *App) workers() *river.Workers {
	d := a.Config.Detection
	w := river.NewWorkers()
	river.AddWorker(w, &pruneWorker{store: a.Store})
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
		OnWrite: a.Ingest.Processor().Wake,
	})
	// Email: the schedule and notice sweeps and the sends.
	a.Notify.Register(w)
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

// pruneArgs asks for old operational rows to be deleted. It runs hourly.
type pruneArgs struct{}

func (pruneArgs) Kind() string { return "prune" }

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	store *store.Store
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[pruneArgs]) error {
	return w.store.Prune(ctx, w.store.Now().Add(-90*24*time.Hour))
}
