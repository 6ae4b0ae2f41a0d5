package database_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openSQLite opens a new SQLite database in a temporary directory and runs
// schema on it; the caller closes it. path is the database file.
func openSQLite(t *testing.T, schema string) (db *database.DB, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "t.db")
	db, err := database.Open(context.Background(), "sqlite:"+path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.Exec(schema); err != nil {
		_ = db.Close()
		t.Fatal(err)
	}
	return db, path
}

// Each class of database fault that a retry can outlive, injected for real,
// is transient; an error in the work itself is not.
func TestTransientFaultsOnPostgres(t *testing.T) {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("REQUIRE_POSTGRES") == "1" {
			t.Fatal("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
		}
		t.Skip("PostgreSQL tests skipped: set TEST_DATABASE_URL to run them")
	}
	ctx := context.Background()
	db, err := database.Open(ctx, dbtest.URL(t, "postgres"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	t.Run("terminated connection (57P01, then a closed connection)", func(t *testing.T) {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pid int
		if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec("SELECT pg_terminate_backend($1)", pid); err != nil {
			t.Fatal(err)
		}
		_, err = conn.ExecContext(ctx, "SELECT 1")
		if err == nil {
			t.Fatal("a query on a terminated connection succeeded")
		}
		if !database.IsTransient(err) || !database.IsUnavailable(err) {
			t.Fatalf("terminated connection: %v (%T) not transient", err, err)
		}
	})

	t.Run("deadlock (40P01)", func(t *testing.T) {
		if _, err := db.SQL.Exec("CREATE TABLE dl (id int PRIMARY KEY, n int); INSERT INTO dl VALUES (1, 0), (2, 0)"); err != nil {
			t.Fatal(err)
		}
		tx1, _ := db.SQL.BeginTx(ctx, nil)
		tx2, _ := db.SQL.BeginTx(ctx, nil)
		defer tx1.Rollback()
		defer tx2.Rollback()
		mustExec(t, tx1, "UPDATE dl SET n = 1 WHERE id = 1")
		mustExec(t, tx2, "UPDATE dl SET n = 1 WHERE id = 2")
		errs := make(chan error, 2)
		go func() { _, err := tx1.Exec("UPDATE dl SET n = 2 WHERE id = 2"); errs <- err }()
		time.Sleep(100 * time.Millisecond) // let tx1 wait on tx2's row first
		go func() { _, err := tx2.Exec("UPDATE dl SET n = 2 WHERE id = 1"); errs <- err }()
		var deadlock error
		for range 2 {
			if err := <-errs; err != nil {
				deadlock = err
				_ = tx1.Rollback()
				_ = tx2.Rollback()
			}
		}
		var pg *pgconn.PgError
		if !errors.As(deadlock, &pg) || pg.Code != "40P01" {
			t.Fatalf("no deadlock detected: %v", deadlock)
		}
		if !database.IsTransient(deadlock) || database.IsUnavailable(deadlock) {
			t.Fatalf("deadlock: transient=%v unavailable=%v", database.IsTransient(deadlock), database.IsUnavailable(deadlock))
		}
	})

	t.Run("too many connections (53300)", func(t *testing.T) {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		role := "rc_nolimit_" + hex.EncodeToString(b)
		if _, err := admin.Exec("CREATE ROLE " + role + " LOGIN CONNECTION LIMIT 0"); err != nil {
			t.Fatal(err)
		}
		defer admin.Exec("DROP ROLE " + role)
		u, _ := url.Parse(base)
		u.User = url.User(role)
		_, err := database.Open(ctx, u.String(), quiet())
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "53300" {
			t.Fatalf("connecting over the role's limit: %v", err)
		}
		if !database.IsTransient(err) {
			t.Fatalf("too many connections: %v not transient", err)
		}
	})

	t.Run("nothing listening (connection refused)", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		u, _ := url.Parse(base)
		u.Host = addr
		_, err = database.Open(ctx, u.String(), quiet())
		if err == nil || !database.IsTransient(err) || !database.IsUnavailable(err) {
			t.Fatalf("connection refused: %v not unavailable", err)
		}
	})

	t.Run("a constraint is not transient (23505)", func(t *testing.T) {
		if _, err := db.SQL.Exec("CREATE TABLE uq (id int PRIMARY KEY); INSERT INTO uq VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		_, err := db.SQL.Exec("INSERT INTO uq VALUES (1)")
		if err == nil || database.IsTransient(err) {
			t.Fatalf("duplicate key: %v counted as transient", err)
		}
	})

	t.Run("bad input is not transient (22021, a NUL byte)", func(t *testing.T) {
		_, err := db.SQL.Exec("SELECT $1::text", "a\x00b")
		if err == nil || database.IsTransient(err) {
			t.Fatalf("NUL byte: %v counted as transient", err)
		}
	})
}

func TestTransientFaultsOnSQLite(t *testing.T) {
	ctx := context.Background()
	db, path := openSQLite(t, "CREATE TABLE blobs (b BLOB)")
	defer db.Close()

	t.Run("disk full (SQLITE_FULL)", func(t *testing.T) {
		var pages int
		if err := db.SQL.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
			t.Fatal(err)
		}
		// The file may grow no further: the same error a full disk gives.
		if _, err := db.SQL.Exec("PRAGMA max_page_count = " + strconv.Itoa(pages)); err != nil {
			t.Fatal(err)
		}
		_, err := db.SQL.Exec("INSERT INTO blobs VALUES (zeroblob(1000000))")
		if err == nil || !strings.Contains(err.Error(), "full") {
			t.Fatalf("writing past the limit: %v", err)
		}
		if !database.IsTransient(err) {
			t.Fatalf("disk full: %v not transient", err)
		}
		if _, err := db.SQL.Exec("PRAGMA max_page_count = 1073741823"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.Exec("INSERT INTO blobs VALUES (zeroblob(1000))"); err != nil {
			t.Fatalf("after room was made: %v", err)
		}
	})

	t.Run("another writer holds the lock (SQLITE_BUSY)", func(t *testing.T) {
		other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		conn, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "ROLLBACK")
		third, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
		if err != nil {
			t.Fatal(err)
		}
		defer third.Close()
		_, err = third.Exec("INSERT INTO blobs VALUES (zeroblob(10))")
		if err == nil || !database.IsTransient(err) {
			t.Fatalf("busy: %v not transient", err)
		}
	})

	t.Run("a constraint is not transient", func(t *testing.T) {
		if _, err := db.SQL.Exec("CREATE TABLE uq (id INTEGER PRIMARY KEY); INSERT INTO uq VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		_, err := db.SQL.Exec("INSERT INTO uq VALUES (1)")
		if err == nil || database.IsTransient(err) {
			t.Fatalf("duplicate key: %v counted as transient", err)
		}
	})
}

// The SQLSTATE classes that cannot be made to happen on demand here, read
// from the code as the server sends it.
func TestTransientPostgresClasses(t *testing.T) {
	for code, want := range map[string]bool{
		"08006": true, "08001": true, "40001": true, "40P01": true, "53100": true, "53200": true, "53300": true,
		"57P01": true, "57P02": true, "57P03": true,
		"23505": false, "22021": false, "42P01": false, "22001": false, "57014": false,
	} {
		err := &pgconn.PgError{Code: code}
		if got := database.IsTransient(err); got != want {
			t.Errorf("SQLSTATE %s: transient=%v, want %v", code, got, want)
		}
	}
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

func mustExec(t *testing.T, e execer, q string) {
	t.Helper()
	if _, err := e.Exec(q); err != nil {
		t.Fatal(err)
	}
}
