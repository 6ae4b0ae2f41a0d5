// Package jobs runs the durable job queue (River) on the product's own
// database, so a job enqueued in a transaction exists exactly when the
// transaction commits, and any number of instances share the work.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"reconnect/internal/database"
)

// Config tunes throughput and recovery.
type Config struct {
	MaxWorkers    int
	FetchCooldown time.Duration
	FetchPoll     time.Duration
	// RescueAfter is how long a job may look "running" before another
	// instance takes it over: a process killed mid-job leaves one behind.
	RescueAfter time.Duration
	JobTimeout  time.Duration
	Logger      *slog.Logger
	// Periodic jobs run on a schedule; the elected leader instance enqueues them.
	Periodic []*river.PeriodicJob
}

type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Queue inserts jobs (inside GORM transactions or alone) and, when started,
// works them.
type Queue struct {
	// inserter speaks database/sql so it can join the *sql.Tx that GORM
	// holds; on SQLite it also works the jobs.
	inserter *river.Client[*sql.Tx]
	worker   runner
	working  bool
}

// New builds a queue. workers may be nil for an insert-only queue (CLI tools).
func New(db *database.DB, workers *river.Workers, cfg Config) (*Queue, error) {
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 50
	}
	if cfg.FetchCooldown <= 0 {
		cfg.FetchCooldown = 50 * time.Millisecond
	}
	if cfg.FetchPoll < cfg.FetchCooldown {
		cfg.FetchPoll = max(cfg.FetchCooldown, 500*time.Millisecond)
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Minute
	}
	if cfg.RescueAfter <= cfg.JobTimeout {
		cfg.RescueAfter = cfg.JobTimeout + time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	working := workers != nil
	// River reports routine progress at info level every few seconds; only
	// its warnings and errors belong in our logs.
	riverLog := slog.New(minLevel{cfg.Logger.Handler(), slog.LevelWarn}).With("component", "jobs")
	rc := func() *river.Config {
		c := &river.Config{
			Logger:               riverLog,
			FetchCooldown:        cfg.FetchCooldown,
			FetchPollInterval:    cfg.FetchPoll,
			RescueStuckJobsAfter: cfg.RescueAfter,
			JobTimeout:           cfg.JobTimeout,
			MaxAttempts:          25,
		}
		if working {
			c.Workers = workers
			c.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}}
			c.PeriodicJobs = cfg.Periodic
		}
		return c
	}
	q := &Queue{working: working}
	var err error
	if db.IsPostgres() {
		insertCfg := rc()
		insertCfg.Workers, insertCfg.Queues, insertCfg.PeriodicJobs = workers, nil, nil
		if q.inserter, err = river.NewClient(riverdatabasesql.New(db.SQL), insertCfg); err != nil {
			return nil, fmt.Errorf("jobs: insert client: %w", err)
		}
		if working {
			if q.worker, err = river.NewClient(riverpgxv5.New(db.Pool), rc()); err != nil {
				return nil, fmt.Errorf("jobs: work client: %w", err)
			}
		}
		return q, nil
	}
	if q.inserter, err = river.NewClient(riversqlite.New(db.SQL), rc()); err != nil {
		return nil, fmt.Errorf("jobs: client: %w", err)
	}
	if working {
		q.worker = q.inserter
	}
	return q, nil
}

// Start begins working jobs until Stop.
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		return errors.New("jobs: queue has no workers")
	}
	return q.worker.Start(ctx)
}

// Stop finishes running jobs (up to ctx's deadline) and stops fetching.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.working {
		return nil
	}
	return q.worker.Stop(ctx)
}

// ErrNotInTx means InsertTx was handed a GORM handle outside a transaction.
var ErrNotInTx = errors.New("jobs: InsertTx needs a GORM transaction")

func sqlTx(tx *gorm.DB) (*sql.Tx, error) {
	pool := tx.Statement.ConnPool
	// With PrepareStmt, GORM wraps the transaction to cache its statements.
	if p, ok := pool.(*gorm.PreparedStmtTX); ok {
		pool = p.Tx
	}
	stx, ok := pool.(*sql.Tx)
	if !ok {
		return nil, ErrNotInTx
	}
	return stx, nil
}

// InsertTx enqueues a job inside the caller's GORM transaction: it becomes
// visible to workers only if that transaction commits.
func (q *Queue) InsertTx(ctx context.Context, tx *gorm.DB, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	stx, err := sqlTx(tx)
	if err != nil {
		return nil, err
	}
	return q.inserter.InsertTx(ctx, stx, args, opts)
}

// InsertManyTx enqueues several jobs in the caller's transaction.
func (q *Queue) InsertManyTx(ctx context.Context, tx *gorm.DB, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	stx, err := sqlTx(tx)
	if err != nil {
		return err
	}
	_, err = q.inserter.InsertManyTx(ctx, stx, params)
	return err
}

// Insert enqueues a job on its own.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return q.inserter.Insert(ctx, args, opts)
}

// minLevel drops records below a level, whatever the wrapped handler allows.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
