package database

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	gosqlite "modernc.org/sqlite"

	"reconnect/internal/config"
)

// WriteFailureWindow is how long a write refused for want of storage keeps
// the instance unready, unless a later insert succeeds first.
const WriteFailureWindow = 30 * time.Second

// fullReserve: with the page limit reached, fewer free pages than this
// cannot hold an insert that splits a B-tree page or two.
const fullReserve = 8

// ErrCannotWrite says the database answers but cannot take writes.
var ErrCannotWrite = errors.New("database cannot take writes")

// SQLite's result codes that say storage refused a write (the low byte of
// an extended code): read-only, failed I/O, full.
const sqliteReadOnly = 8

// writeWatch remembers the app's last write that failed for want of
// storage, and its last insert that succeeded, so that readiness reports
// what the app itself ran into.
type writeWatch struct {
	mu         sync.Mutex
	failedAt   time.Time
	failure    string
	insertedAt time.Time
}

// IsStorageFailure reports whether err means storage refused a write:
// SQLite full, read-only or failing I/O; PostgreSQL out of disk (53100) or
// failing I/O (58030).
func IsStorageFailure(err error) bool {
	var lite *gosqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff {
		case sqliteFull, sqliteIOErr, sqliteReadOnly:
			return true
		}
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "53100" || pg.Code == "58030"
	}
	return false
}

// writeWatchName names the watch among GORM's plugins, where code that
// writes past GORM (the inbox's batched insert) finds it (NoteWrite).
const writeWatchName = "reconnect:write_watch"

// Name makes the watch a GORM plugin.
func (w *writeWatch) Name() string { return writeWatchName }

// Initialize hooks every GORM write (inserts, updates, deletes and raw
// statements) to note storage failures and successful inserts.
func (w *writeWatch) Initialize(g *gorm.DB) error {
	note := func(insert bool) func(*gorm.DB) {
		return func(tx *gorm.DB) { w.note(tx.Error, insert && tx.RowsAffected > 0) }
	}
	cb := g.Callback()
	return errors.Join(
		cb.Create().After("gorm:create").Register("reconnect:watch_create", note(true)),
		cb.Update().After("gorm:update").Register("reconnect:watch_update", note(false)),
		cb.Delete().After("gorm:delete").Register("reconnect:watch_delete", note(false)),
		cb.Raw().After("gorm:raw").Register("reconnect:watch_raw", note(false)),
	)
}

func (w *writeWatch) note(err error, inserted bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err != nil && IsStorageFailure(err):
		w.failedAt, w.failure = time.Now(), err.Error()
	case err == nil && inserted:
		w.insertedAt = time.Now()
	}
}

// NoteWrite tells readiness how a write made past GORM on g went (err, and
// whether it inserted rows); GORM's own writes are noted by themselves.
func NoteWrite(g *gorm.DB, err error, inserted bool) {
	if w, ok := g.Config.Plugins[writeWatchName].(*writeWatch); ok {
		w.note(err, inserted)
	}
}

// CanWrite reports why the database cannot take writes, or nil.
//
// Two checks, both cheap and neither a write. A write of our own would not
// settle it: one rolled back never reaches the disk, and in WAL mode a
// committed one lands in WAL space the file already holds. So:
//   - SQLite: the page budget, read from PRAGMAs (page_count, freelist_count,
//     max_page_count): at the limit with hardly a free page, the next
//     insert fails with SQLITE_FULL.
//   - Both: a write of the app's that storage refused (disk full, read-only,
//     I/O error) within WriteFailureWindow, unless an insert has succeeded
//     since. That is how a full disk shows, whichever database.
func (db *DB) CanWrite(ctx context.Context) error {
	if db.Dialect == config.SQLite {
		var pages, free, maxPages int64
		for q, dst := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA max_page_count": &maxPages} {
			if err := db.SQL.QueryRowContext(ctx, q).Scan(dst); err != nil {
				return err
			}
		}
		if pages >= maxPages && free < fullReserve {
			return fmt.Errorf("%w: the database is full (%d of at most %d pages, %d free)", ErrCannotWrite, pages, maxPages, free)
		}
	}
	if w := db.writes; w != nil {
		w.mu.Lock()
		failedAt, failure, insertedAt := w.failedAt, w.failure, w.insertedAt
		w.mu.Unlock()
		if !failedAt.IsZero() && time.Since(failedAt) < WriteFailureWindow && failedAt.After(insertedAt) {
			return fmt.Errorf("%w: a write failed %s ago: %s", ErrCannotWrite, time.Since(failedAt).Round(time.Second), failure)
		}
	}
	return nil
}
