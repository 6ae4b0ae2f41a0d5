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
	"strconv"
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
}

func (cfg Config) withDefaults() Config {
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
	return cfg
}

type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Queue inserts jobs (inside GORM transactions or alone) from the moment it
// is built and, once Work has given it the workers and Start has run, works
// them. The two steps are apart because the workers are the product's
// services, and those services insert jobs through this queue: the app
// builds the queue, then the services with it, then hands their workers to
// Work.
type Queue struct {
	db  *database.DB
	cfg Config
	// inserter speaks database/sql so it can join the *sql.Tx that GORM
	// holds. It has no workers, so River does not check the kinds it
	// inserts; the worker client refuses an unknown kind when it fetches it.
	inserter *river.Client[*sql.Tx]
	worker   runner
}

// New builds a queue that can insert jobs. CLI tools stop there; the app
// calls Work and Start too.
func New(db *database.DB, cfg Config) (*Queue, error) {
	q := &Queue{db: db, cfg: cfg.withDefaults()}
	var err error
	if db.IsPostgres() {
		q.inserter, err = river.NewClient(riverdatabasesql.New(db.SQL), q.riverConfig())
	} else {
		q.inserter, err = river.NewClient(riversqlite.New(db.SQL), q.riverConfig())
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: insert client: %w", err)
	}
	return q, nil
}

// riverConfig is the configuration both clients share.
func (q *Queue) riverConfig() *river.Config {
	// River reports routine progress at info level every few seconds; only
	// its warnings and errors belong in our logs.
	riverLog := slog.New(minLevel{q.cfg.Logger.Handler(), slog.LevelWarn}).With("component", "jobs")
	return &river.Config{
		Logger:               riverLog,
		FetchCooldown:        q.cfg.FetchCooldown,
		FetchPollInterval:    q.cfg.FetchPoll,
		RescueStuckJobsAfter: q.cfg.RescueAfter,
		JobTimeout:           q.cfg.JobTimeout,
		MaxAttempts:          25,
	}
}

// Work gives the queue its workers and the periodic jobs that the elected
// leader instance enqueues. Call it once, before Start.
func (q *Queue) Work(workers *river.Workers, periodic ...*river.PeriodicJob) error {
	if q.worker != nil {
		return errors.New("jobs: Work called twice")
	}
	rc := q.riverConfig()
	rc.Workers = workers
	rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.cfg.MaxWorkers}}
	rc.PeriodicJobs = periodic
	var err error
	if q.db.IsPostgres() {
		q.worker, err = river.NewClient(riverpgxv5.New(q.db.Pool), rc)
	} else {
		q.worker, err = river.NewClient(riversqlite.New(q.db.SQL), rc)
	}
	if err != nil {
		return fmt.Errorf("jobs: work client: %w", err)
	}
	return nil
}

// Start begins working jobs until Stop.
func (q *Queue) Start(ctx context.Context) error {
	if q.worker == nil {
		return errors.New("jobs: queue has no workers (call Work first)")
	}
	return q.worker.Start(ctx)
}

// Stop finishes running jobs (up to ctx's deadline) and stops fetching.
func (q *Queue) Stop(ctx context.Context) error {
	if q.worker == nil {
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

// ForgetTx removes, in the caller's transaction, every job of the kind whose
// args hold key = one of ids (an owner being erased): a job not running yet
// is deleted, so it never runs and its recorded errors (which can quote what
// it worked on) go with it; a running one is told to stop. key is one of
// our own argument names, never input.
func (q *Queue) ForgetTx(ctx context.Context, tx *gorm.DB, kind, key string, ids []int64) (int, error) {
	stx, err := sqlTx(tx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		params := river.NewJobListParams().Kinds(kind).First(1000).
			Where("CAST(args ->> '"+key+"' AS TEXT) = @value", river.NamedArgs{"value": strconv.FormatInt(id, 10)})
		res, err := q.inserter.JobListTx(ctx, stx, params)
		if err != nil {
			return n, fmt.Errorf("jobs: list %s: %w", kind, err)
		}
		for _, j := range res.Jobs {
			if j.State == rivertype.JobStateRunning {
				_, err = q.inserter.JobCancelTx(ctx, stx, j.ID)
			} else {
				_, err = q.inserter.JobDeleteTx(ctx, stx, j.ID)
			}
			if err != nil {
				return n, fmt.Errorf("jobs: forget %s #%d: %w", kind, j.ID, err)
			}
			n++
		}
	}
	return n, nil
}
