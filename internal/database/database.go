// Package database opens Reconnect's database (SQLite or PostgreSQL through
// GORM) and runs the numbered migrations of both the product and the job queue.
package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/libtnb/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	gosqlite "modernc.org/sqlite"

	"reconnect/internal/config"
	"reconnect/migrations"
)

// DB is an open database: GORM for the product, the *sql.DB beneath it for the
// job queue's inserts, and (on PostgreSQL) a pgx pool for the job workers.
type DB struct {
	Gorm    *gorm.DB
	SQL     *sql.DB
	Dialect string
	URL     string
	Pool    *pgxpool.Pool // PostgreSQL only

	// writes is what the app's own writes said about storage (CanWrite).
	writes *writeWatch
	// checkpoints copies SQLite's write-ahead log into the database file
	// (SQLite only).
	checkpoints *checkpointer
}

// sqliteDSN turns a path into a DSN that survives a killed process (WAL +
// NORMAL) and makes writers queue instead of failing (busy timeout, immediate
// transactions so that a read never has to be upgraded to a write mid-way).
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) +
		")&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
}

// busyTimeout is how long a SQLite statement waits for a lock another
// connection holds before it fails with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Open connects without migrating. Migrate first on PostgreSQL: pgx caches
// statement plans and a table changed underneath it breaks the next query.
func Open(ctx context.Context, rawURL string, log *slog.Logger, opts ...Option) (*DB, error) {
	o := options{maxConns: 35}
	for _, opt := range opts {
		opt(&o)
	}
	dialect, dsn, err := config.ParseDatabaseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	gcfg := &gorm.Config{TranslateError: true, Logger: logger.Discard, NowFunc: func() time.Time { return time.Now().UTC() }}
	db := &DB{Dialect: dialect, URL: rawURL}
	switch dialect {
	case config.SQLite:
		// GORM's statement cache spares the driver copying the SQL text
		// (the SQLite driver parses every statement again whatever we do).
		gcfg.PrepareStmt = true
		if dir := filepath.Dir(dsn); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("database: create %s: %w", dir, err)
			}
		}
		// The app's connection leaves checkpoints to the checkpointer.
		db.Gorm, err = gorm.Open(sqlite.Open(sqliteDSN(dsn)+"&_pragma=wal_autocheckpoint(0)"), gcfg)
		if err != nil {
			return nil, fmt.Errorf("database: open sqlite: %w", err)
		}
		db.SQL, _ = db.Gorm.DB()
		if db.checkpoints, err = startCheckpointer(db.SQL, sqliteDSN(dsn), log); err != nil {
			_ = db.SQL.Close()
			return nil, fmt.Errorf("database: open sqlite checkpointer: %w", err)
		}
		// SQLite allows one writer; the job queue's driver is only reliable
		// with a single connection, and one connection also means no
		// SQLITE_BUSY between our own goroutines. (The checkpointer's own
		// connection only reads the log and writes the database file,
		// which never blocks a writer.)
		db.SQL.SetMaxOpenConns(1)
	case config.Postgres:
		// No GORM statement cache: pgx already keeps each connection's
		// prepared statements, while GORM's cache re-prepares a statement
		// in every transaction and deallocates it at the end, three round
		// trips for each statement instead of one.
		db.Gorm, err = gorm.Open(postgres.Open(dsn), gcfg)
		if err != nil {
			return nil, fmt.Errorf("database: open postgres: %w", err)
		}
		db.SQL, _ = db.Gorm.DB()
		appConns, jobConns := o.split()
		db.SQL.SetMaxOpenConns(appConns)
		db.SQL.SetMaxIdleConns(appConns)
		db.SQL.SetConnMaxIdleTime(5 * time.Minute)
		pcfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("database: pgx config: %w", err)
		}
		pcfg.MaxConns = int32(jobConns)
		db.Pool, err = pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return nil, fmt.Errorf("database: pgx pool: %w", err)
		}
	}
	db.writes = &writeWatch{}
	if err := db.Gorm.Use(db.writes); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("database: watch writes: %w", err)
	}
	return db, nil
}

// Option adjusts Open.
type Option func(*options)

type options struct{ maxConns int }

// MaxConns caps the PostgreSQL connections this process opens (DATABASE_MAX_CONNS):
// about five sevenths for the app (requests, the webhook writers and
// processors), the rest, at least 4, for the job workers.
func MaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

func (o options) split() (app, jobs int) {
	jobs = max(4, o.maxConns*2/7)
	return o.maxConns - jobs, jobs
}

// Close releases every connection.
func (db *DB) Close() error {
	if db.Pool != nil {
		db.Pool.Close()
	}
	if db.checkpoints != nil {
		db.checkpoints.halt()
	}
	err := db.SQL.Close()
	if db.checkpoints != nil {
		// Last, so that closing the last connection checkpoints what the
		// app wrote and removes the log, as SQLite does.
		err = errors.Join(err, db.checkpoints.close())
	}
	return err
}

// Ping reports whether the database answers within the context's deadline.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return db.SQL.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// IsPostgres is a convenience for the few places where SQL differs.
func (db *DB) IsPostgres() bool { return db.Dialect == config.Postgres }

func provider(dialect string, sqldb *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, dialect)
	if err != nil {
		return nil, err
	}
	if dialect == config.Postgres {
		// The session lock makes a second instance wait while the first
		// migrates, so two instances starting together migrate once.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		return goose.NewProvider(goose.DialectPostgres, sqldb, sub, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(goose.DialectSQLite3, sqldb, sub)
}

// riverLockKey serialises the job queue's migrations across instances; goose's
// lock covers only goose's own run.
const riverLockKey = 0x7265636f6e6e // "reconn"

// Migrate brings the product schema and the job queue schema up to date. It
// opens its own connection so that no pooled connection has cached plans of
// the old schema.
func Migrate(ctx context.Context, rawURL string, log *slog.Logger) error {
	dialect, dsn, err := config.ParseDatabaseURL(rawURL)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var sqldb *sql.DB
	switch dialect {
	case config.SQLite:
		if dir := filepath.Dir(dsn); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return fmt.Errorf("migrate: create %s: %w", dir, err)
			}
		}
		unlock, lerr := lockFile(dsn + ".migrate-lock")
		if lerr != nil {
			return fmt.Errorf("migrate: lock %s: %w", dsn, lerr)
		}
		defer unlock()
		sqldb, err = sql.Open("sqlite", sqliteDSN(dsn))
		if err == nil {
			sqldb.SetMaxOpenConns(1)
		}
	case config.Postgres:
		sqldb, err = sql.Open("pgx", dsn)
	}
	if err != nil {
		return fmt.Errorf("migrate: open: %w", err)
	}
	defer sqldb.Close()

	p, err := provider(dialect, sqldb)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "took", r.Duration)
	}
	return migrateRiver(ctx, dialect, sqldb, log)
}

func migrateRiver(ctx context.Context, dialect string, sqldb *sql.DB, log *slog.Logger) error {
	run := func(ctx context.Context) error {
		var res *rivermigrate.MigrateResult
		var err error
		if dialect == config.SQLite {
			m, merr := rivermigrate.New(riversqlite.New(sqldb), nil)
			if merr != nil {
				return merr
			}
			res, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		} else {
			m, merr := rivermigrate.New(riverdatabasesql.New(sqldb), nil)
			if merr != nil {
				return merr
			}
			res, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
		if err != nil {
			return err
		}
		for _, v := range res.Versions {
			log.Info("job queue migration applied", "version", v.Version)
		}
		return nil
	}
	if dialect != config.Postgres {
		if err := run(ctx); err != nil {
			return fmt.Errorf("migrate job queue: %w", err)
		}
		return nil
	}
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", riverLockKey); err != nil {
		return fmt.Errorf("migrate job queue: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", riverLockKey) //nolint:errcheck
	if err := run(ctx); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// Status describes each migration and whether it has been applied.
func Status(ctx context.Context, rawURL string) ([]string, error) {
	dialect, dsn, err := config.ParseDatabaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	driver := "pgx"
	if dialect == config.SQLite {
		driver, dsn = "sqlite", sqliteDSN(dsn)
	}
	sqldb, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer sqldb.Close()
	p, err := provider(dialect, sqldb)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range st {
		when := "pending"
		if s.State == goose.StateApplied {
			when = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
		}
		out = append(out, fmt.Sprintf("%05d  %-40s %s", s.Source.Version, filepath.Base(s.Source.Path), when))
	}
	return out, nil
}

// IsUnavailable reports whether err means the database could not be reached
// or dropped the connection (restarting, failing over, a pooler closing it),
// as opposed to a query that failed on its own merits. It reads error codes,
// not messages: PostgreSQL's SQLSTATE classes 08 (connection exception) and
// 57P (operator intervention: shut down, crashed, cannot connect now), and
// the driver's closed-connection and network errors.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "57P")
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	// pgx and database/sql name a closed connection or pool in words only.
	s := err.Error()
	return strings.Contains(s, "conn closed") || strings.Contains(s, "closed pool") || strings.Contains(s, "database is closed")
}

// SQLite's primary result codes (the low byte of an extended code) that a
// retry can outlive: another connection holds the lock, the disk is full,
// or the disk failed to read or write.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
	sqliteIOErr  = 10
	sqliteFull   = 13
)

// IsTransient reports whether err may succeed if the same work is tried
// again later: the database is unavailable (IsUnavailable), the transaction
// lost a conflict (SQLSTATE class 40: serialization failure, deadlock), the
// server ran out of resources (class 53: disk full, out of memory, too many
// connections), or SQLite was busy, locked, full or failed to do I/O. Every
// other error (a constraint, a type, input the code rejects) fails the same
// way each time and is not transient.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if IsUnavailable(err) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "40") || strings.HasPrefix(pg.Code, "53")
	}
	var lite *gosqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff {
		case sqliteBusy, sqliteLocked, sqliteIOErr, sqliteFull:
			return true
		}
	}
	return false
}
