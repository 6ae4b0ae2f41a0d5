// Package store is the typed data layer over GORM. Callers get the store's
// own sentinel errors, never GORM's.
//
// Each file holds the queries on one table and is named after it (owners.go:
// owners); a query that joins tables lives with the table it returns rows of,
// and the rows' types live beside their queries. search.go crosses owners and
// vehicles, prune.go lists the tables pruned, and store.go holds what every
// file shares: the Store, transactions, errors, paging and row locks.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"reconnect/internal/config"
	"reconnect/internal/database"
)

// Sentinel errors callers test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	ErrInvalid  = errors.New("invalid")
)

// Store wraps a GORM handle; inside Tx it wraps the transaction.
type Store struct {
	db      *gorm.DB
	dialect string
	now     func() time.Time
	// inboxInsert is the webhook receiver's one-row insert on SQLite,
	// prepared once for the life of the store (shared by its copies).
	inboxInsert *lazyStmt
}

// lazyStmt is a statement prepared on first use and kept: on SQLite the
// statement is parsed once, then only bound and stepped.
type lazyStmt struct {
	query string
	mu    sync.Mutex
	stmt  *sql.Stmt
}

// prepare prepares the statement on first use. Call it before beginning the
// transaction that uses it: on SQLite that transaction holds the only
// connection, which a prepare through db would wait for forever. A failed
// prepare (the database unreachable) is tried again on the next call.
func (l *lazyStmt) prepare(ctx context.Context, db *sql.DB) (*sql.Stmt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stmt == nil {
		stmt, err := db.PrepareContext(ctx, l.query)
		if err != nil {
			return nil, err
		}
		l.stmt = stmt
	}
	return l.stmt, nil
}

// New returns a store over an open database.
func New(db *database.DB) *Store {
	return &Store{db: db.Gorm, dialect: db.Dialect, now: func() time.Time { return time.Now().UTC() },
		inboxInsert: &lazyStmt{query: sqliteInboxInsert}}
}

// WithClock returns a copy of the store that reads time from now (tests).
func (s *Store) WithClock(now func() time.Time) *Store {
	c := *s
	c.now = func() time.Time { return now().UTC() }
	return &c
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// DB exposes the GORM handle to sibling packages that add their own queries
// inside the same transaction (jobs enqueued with InsertTx).
func (s *Store) DB() *gorm.DB { return s.db }

// Dialect names the database kind, for the few queries that differ.
func (s *Store) Dialect() string { return s.dialect }

func (s *Store) postgres() bool { return s.dialect == config.Postgres }

// Tx runs fn in one transaction; fn's store writes through it.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c := *s
		c.db = tx
		return fn(&c)
	})
}

func (s *Store) q(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// wrap translates GORM errors into the store's sentinels, keeping the context.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: %s: %w", msg, ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("store: %s: %w", msg, ErrConflict)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return fmt.Errorf("store: %s: %w", msg, ErrInvalid)
	}
	return fmt.Errorf("store: %s: %w", msg, err)
}

// Page selects a window of a newest-first list: rows with id < Before.
type Page struct {
	Before int64
	Limit  int
}

func (p Page) limit() int {
	if p.Limit <= 0 || p.Limit > 500 {
		return 100
	}
	return p.Limit
}

// scope narrows q to the page: ids below Before, newest first, at most the
// limit.
func (p Page) scope(q *gorm.DB) *gorm.DB {
	if p.Before > 0 {
		q = q.Where("id < ?", p.Before)
	}
	return q.Order("id DESC").Limit(p.limit())
}

// lockRow makes q lock the rows it reads until the transaction ends, on
// PostgreSQL (FOR UPDATE). SQLite needs nothing: its transactions take the
// write lock when they begin.
func (s *Store) lockRow(q *gorm.DB) *gorm.DB { return s.forUpdate(q, "") }

// claimRows is lockRow for a work queue: rows another transaction holds are
// skipped rather than waited for (FOR UPDATE SKIP LOCKED).
func (s *Store) claimRows(q *gorm.DB) *gorm.DB { return s.forUpdate(q, "SKIP LOCKED") }

func (s *Store) forUpdate(q *gorm.DB, options string) *gorm.DB {
	if !s.postgres() {
		return q
	}
	return q.Clauses(clause.Locking{Strength: "UPDATE", Options: options})
}

// lockRowForChange is lockRow for a row whose key the transaction leaves
// alone (FOR NO KEY UPDATE): rows that reference it by foreign key can
// still be inserted meanwhile. FOR UPDATE would also block those inserts'
// key checks (FOR KEY SHARE), so a transaction holding another lock and
// inserting such a row could deadlock with the holder.
func (s *Store) lockRowForChange(q *gorm.DB) *gorm.DB {
	if !s.postgres() {
		return q
	}
	return q.Clauses(clause.Locking{Strength: "NO KEY UPDATE"})
}
