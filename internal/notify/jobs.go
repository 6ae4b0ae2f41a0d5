package notify

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"reconnect/internal/store"
)

// OwnerArgs wakes the sender for one owner. There is at most one such job
// per owner that is waiting, running or retrying (unique by owner): the job
// does not say what to send, the schedule row does.
type OwnerArgs struct {
	OwnerID int64 `json:"owner_id"`
}

// Kind names the job.
func (OwnerArgs) Kind() string { return "notify_owner" }

// EmailArgs sends one logged email (a fresh link) by id.
type EmailArgs struct {
	EmailID int64 `json:"email_id"`
}

// Kind names the job.
func (EmailArgs) Kind() string { return "send_email" }

// SweepArgs turns due schedules into OwnerArgs jobs.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "notify_sweep" }

// liveStates: a completed job does not block the next one for the same
// owner, so a schedule that is due again always gets a job.
var liveStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateScheduled, rivertype.JobStateRetryable,
}

func (s *Service) ownerInsertOpts(at time.Time) *river.InsertOpts {
	return &river.InsertOpts{
		MaxAttempts: s.cfg.MaxAttempts, ScheduledAt: at,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates},
	}
}

func (s *Service) emailInsertOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: s.cfg.MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

// sweepPage bounds one query; a sweep reads pages until it is done or has
// queued sweepLimit owners (the next sweep continues).
const (
	sweepPage  = 500
	sweepLimit = 20000
)

// Sweep queues a job for every owner whose email is due before the next
// sweep, scheduled at the due time. It returns how many it queued (a job
// that already exists for an owner is left alone).
func (s *Service) Sweep(ctx context.Context) (int, error) {
	if s.queue == nil {
		return 0, errNoQueue
	}
	now := s.store.Now()
	horizon := now.Add(2 * s.cfg.SweepEvery)
	var afterDue time.Time
	var afterOwner int64
	total := 0
	for total < sweepLimit {
		ns, err := s.store.DueNotifications(ctx, horizon, afterDue, afterOwner, sweepPage)
		if err != nil || len(ns) == 0 {
			return total, err
		}
		params := make([]river.InsertManyParams, len(ns))
		for i, n := range ns {
			at := time.Time{}
			if n.DueAt.After(now) {
				at = *n.DueAt
			}
			params[i] = river.InsertManyParams{Args: OwnerArgs{OwnerID: n.OwnerID}, InsertOpts: s.ownerInsertOpts(at)}
		}
		if err := s.store.Tx(ctx, func(tx *store.Store) error { return s.queue.InsertManyTx(ctx, tx.DB(), params) }); err != nil {
			return total, err
		}
		total += len(ns)
		if len(ns) < sweepPage {
			return total, nil
		}
		last := ns[len(ns)-1]
		afterDue, afterOwner = *last.DueAt, last.OwnerID
	}
	return total, nil
}

// Register adds the workers to w; call it before the queue is built.
func (s *Service) Register(w *river.Workers) {
	river.AddWorker(w, &OwnerWorker{s: s})
	river.AddWorker(w, &EmailWorker{s: s})
	river.AddWorker(w, &SweepWorker{s: s})
	river.AddWorker(w, &NoticeSweepWorker{s: s})
}

// Periodic is the sweep, run by the queue's leader; it runs once at start
// so that mail due while the app was down goes out at once.
func (s *Service) Periodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(s.cfg.SweepEvery), func() (river.JobArgs, *river.InsertOpts) {
		return SweepArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: liveStates}}
	}, &river.PeriodicJobOpts{RunOnStart: true})
}

// OwnerWorker sends an owner's due email.
type OwnerWorker struct {
	river.WorkerDefaults[OwnerArgs]
	s *Service
}

// Work runs Deliver; a job that woke a little early (clocks differ) waits
// for the due time instead of ending, so the owner keeps their one job.
func (w *OwnerWorker) Work(ctx context.Context, job *river.Job[OwnerArgs]) error {
	res, err := w.s.Deliver(ctx, job.Args.OwnerID, job.Attempt >= job.MaxAttempts)
	return w.s.outcome(res, err)
}

// NextRetry backs off exponentially with jitter.
func (w *OwnerWorker) NextRetry(job *river.Job[OwnerArgs]) time.Time {
	return time.Now().Add(w.s.backoff(job.Attempt))
}

// EmailWorker sends one logged email.
type EmailWorker struct {
	river.WorkerDefaults[EmailArgs]
	s *Service
}

// Work runs DeliverEmail.
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	res, err := w.s.DeliverEmail(ctx, job.Args.EmailID, job.Attempt >= job.MaxAttempts)
	return w.s.outcome(res, err)
}

// NextRetry backs off exponentially with jitter.
func (w *EmailWorker) NextRetry(job *river.Job[EmailArgs]) time.Time {
	return time.Now().Add(w.s.backoff(job.Attempt))
}

// SweepWorker runs Sweep.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	s *Service
}

// Work runs Sweep.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.s.Sweep(ctx)
	return err
}

func (s *Service) outcome(res Result, err error) error {
	var gaveUp *GaveUpError
	switch {
	case errors.As(err, &gaveUp):
		// Recorded on the timeline; retrying cannot help.
		return river.JobCancel(err)
	case err != nil:
		return err
	case res.Unknown, res.Hold:
		// The sweep would find the owner due at once: the job itself waits.
		return river.JobSnooze(res.Wait)
	case res.Wait > 0 && res.Wait <= 2*s.cfg.SweepEvery:
		return river.JobSnooze(res.Wait)
	}
	return nil
}

// backoff is RetryBase doubled per attempt up to RetryMax, with ±20 %
// jitter so that a recovering server is not hit by every retry at once.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempt && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
