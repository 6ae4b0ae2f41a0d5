package alerts

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// MigrationCheckArgs asks for CheckMigrations; periodic, every minute.
type MigrationCheckArgs struct{}

// Kind names the job.
func (MigrationCheckArgs) Kind() string { return "alerts_migration_check" }

// MigrationCheck runs MigrationCheckArgs jobs.
type MigrationCheck struct {
	river.WorkerDefaults[MigrationCheckArgs]
	Alerts *Service
}

// Work checks once.
func (w *MigrationCheck) Work(ctx context.Context, _ *river.Job[MigrationCheckArgs]) error {
	_, err := w.Alerts.CheckMigrations(ctx)
	return err
}

// Timeout bounds one check.
func (w *MigrationCheck) Timeout(*river.Job[MigrationCheckArgs]) time.Duration { return time.Minute }

// ReminderSweepArgs asks for SweepReminders; periodic.
type ReminderSweepArgs struct{}

// Kind names the job.
func (ReminderSweepArgs) Kind() string { return "alerts_reminder_sweep" }

// ReminderSweep runs ReminderSweepArgs jobs.
type ReminderSweep struct {
	river.WorkerDefaults[ReminderSweepArgs]
	Alerts *Service
}

// Work sweeps once.
func (w *ReminderSweep) Work(ctx context.Context, _ *river.Job[ReminderSweepArgs]) error {
	_, err := w.Alerts.SweepReminders(ctx)
	return err
}

// Register adds the alerts' workers.
func (a *Service) Register(w *river.Workers) {
	river.AddWorker(w, &MigrationCheck{Alerts: a})
	river.AddWorker(w, &ReminderSweep{Alerts: a})
}
