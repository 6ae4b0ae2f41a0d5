package app

import (
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/config"
	"reconnect/internal/hostwebhook"
	"reconnect/internal/ingest"
)

// newDetection builds the webhook receiver's pipeline and the host
// notifier; their jobs are registered by registerDetectionWorkers.
func (a *App) newDetection() error {
	cfg := ingest.Config{ManagementTokens: a.Config.Smartcar.ManagementTokens}
	// Acknowledgements come first: the processor gives way to the
	// receiver's commits, on SQLite for the one connection, on PostgreSQL
	// for the two cores.
	cfg.YieldToReceiver = true
	if a.DB.IsPostgres() {
		// Several writers overlap one batch's commit with the next batch's
		// insert; two processors work disjoint batches (SKIP LOCKED).
		cfg.Writer = ingest.WriterConfig{Writers: 3}
		cfg.Processor = ingest.ProcessorConfig{Batch: 250, Workers: 2}
	} else {
		// One connection: the processor's transactions stay short.
		cfg.Writer = ingest.WriterConfig{Writers: 1}
		cfg.Processor = ingest.ProcessorConfig{Batch: 128, TargetTx: 8 * time.Millisecond}
	}
	a.Ingest = ingest.New(a.Store, a.Lifecycle, a.Log, ingest.NewMetrics(a.Registry), cfg)
	var err error
	a.HostWebhooks, err = hostwebhook.New(hostwebhook.Config{
		URL: a.Config.Detection.HostWebhookURL, Secret: a.Config.Detection.HostWebhookSecret,
		MaxAttempts: a.Config.Detection.HostWebhookAttempts,
	}, a.Store, a.Log.With("component", "host_webhook"), a.Registry)
	if err != nil {
		return &config.Error{Var: "HOST_WEBHOOK_SECRET", Expect: err.Error()}
	}
	return nil
}

func registerDetectionWorkers(w *river.Workers, a *App) {
	d := a.Config.Detection
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
}

// detectionPeriodicJobs schedules keep-alive, joining unowned vehicles and,
// when switched on, the health check.
func detectionPeriodicJobs(cfg config.Config) []*river.PeriodicJob {
	d := cfg.Detection
	every := func(interval time.Duration, args river.JobArgs, runOnStart bool) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
		}, &river.PeriodicJobOpts{RunOnStart: runOnStart})
	}
	jobs := []*river.PeriodicJob{
		every(d.TokenKeepAliveEvery, ingest.KeepAliveArgs{}, true),
		every(time.Minute, ingest.JoinArgs{}, false),
	}
	if d.HealthCheckEvery > 0 {
		jobs = append(jobs, every(5*time.Minute, ingest.HealthCheckArgs{}, false))
	}
	return jobs
}
