// Package dbtest gives tests a fresh, migrated database of each dialect:
// SQLite always, PostgreSQL when TEST_DATABASE_URL is set (and required when
// REQUIRE_POSTGRES=1), so the same test code proves both.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for the admin connection

	"reconnect/internal/database"
)

// Each runs fn once per available dialect, as subtests named "sqlite" and
// "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// URL returns a fresh database URL of the dialect, migrated, removed when the
// test ends. A PostgreSQL database is a throw-away schema inside
// TEST_DATABASE_URL, reached through search_path.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case "postgres":
		base := os.Getenv("TEST_DATABASE_URL")
		if base == "" {
			if os.Getenv("REQUIRE_POSTGRES") == "1" {
				t.Fatal("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
			}
			t.Skip("PostgreSQL tests skipped: set TEST_DATABASE_URL to run them")
		}
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "t_" + hex.EncodeToString(b)
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatalf("create schema (is PostgreSQL running at TEST_DATABASE_URL?): %v", err)
		}
		t.Cleanup(func() {
			a, err := sql.Open("pgx", base)
			if err != nil {
				return
			}
			defer a.Close()
			_, _ = a.Exec("DROP SCHEMA " + schema + " CASCADE")
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	t.Fatalf("unknown dialect %q", dialect)
	return ""
}

// Open returns a migrated, open database of the dialect.
func Open(t testing.TB, dialect string) *database.DB {
	t.Helper()
	u := URL(t, dialect)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := database.Migrate(ctx, u, log); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	db, err := database.Open(ctx, u, log)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
