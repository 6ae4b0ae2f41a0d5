package campaign

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"
)

// Queue inserts jobs in the caller's transaction (*jobs.Queue).
type Queue interface {
	InsertTx(ctx context.Context, tx *gorm.DB, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// SettleLater makes Launch commit the snapshot with a SettleLaunchArgs job
// instead of writing the timeline entries and notices in its own
// transaction: for 200,000 vehicles those are most of a launch's time, and
// a launch holds the campaign's lock while it runs. Register
// SettleLaunchWorker on the queue's workers. Call it before the workers
// start.
func (s *Service) SettleLater(q Queue) { s.queue = q }

// SettleLaunchArgs settles one campaign's launch (SettleLaunch).
type SettleLaunchArgs struct {
	CampaignID int64 `json:"campaign_id"`
}

// Kind names the job.
func (SettleLaunchArgs) Kind() string { return "campaign_settle_launch" }

// settleInsertOpts: one job per campaign at a time; a job that fails is
// retried (SettleLaunch is idempotent), a notice must not be lost.
var settleInsertOpts = &river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}

// SettleLaunchWorker runs SettleLaunch.
type SettleLaunchWorker struct {
	river.WorkerDefaults[SettleLaunchArgs]
	Campaigns *Service
}

// Work runs SettleLaunch, then counts the new cohort's funnel once, so
// that the first reader of the funnel page does not pay for counting a
// cohort of hundreds of thousands (it finds the counters made).
func (w *SettleLaunchWorker) Work(ctx context.Context, job *river.Job[SettleLaunchArgs]) error {
	if err := w.Campaigns.SettleLaunch(ctx, job.Args.CampaignID); err != nil {
		return err
	}
	return w.Campaigns.store.RefreshCampaignFunnel(ctx, job.Args.CampaignID)
}

// Timeout: a launch of a few hundred thousand vehicles writes for tens of
// seconds on a busy database; River's default minute is too tight.
func (w *SettleLaunchWorker) Timeout(*river.Job[SettleLaunchArgs]) time.Duration {
	return 10 * time.Minute
}
