package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"reconnect/internal/dbtest"
)

func readyz(t *testing.T, base string) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	res, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/readyz")
	if err != nil {
		t.Fatalf("readyz: %v", err)
	}
	res.Body.Close()
	return res.StatusCode, time.Since(start)
}

// With PostgreSQL unreachable /readyz answers 503 within 2 s, and 200 again
// once it is back, without a restart. /healthz stays 200 throughout.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		_, base := startApp(t, "sqlite", nil)
		if code, _ := readyz(t, base); code != 200 {
			t.Fatalf("readyz %d", code)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		proxied, proxy := dbtest.Proxied(t, dbtest.URL(t, "postgres"))
		_, base := startApp(t, "postgres", map[string]string{"DATABASE_URL": proxied})

		if code, _ := readyz(t, base); code != 200 {
			t.Fatalf("readyz before the outage: %d", code)
		}
		proxy.Cut()
		code, took := readyz(t, base)
		if code != 503 || took > 2*time.Second {
			t.Fatalf("readyz during the outage: %d after %v, want 503 within 2s", code, took)
		}
		if res, err := http.Get(base + "/healthz"); err != nil || res.StatusCode != 200 {
			t.Fatalf("healthz must not depend on the database: %v", err)
		}
		proxy.Start(t)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if code, _ := readyz(t, base); code == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("readyz did not recover after the database came back")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// readyzBody is /readyz's answer, decoded.
func readyzBody(t *testing.T, base string) (int, map[string]string) {
	t.Helper()
	res, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/readyz")
	if err != nil {
		t.Fatalf("readyz: %v", err)
	}
	defer res.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

// A SQLite database that cannot grow (a real SQLITE_FULL: the page limit
// reached with no free page left) is not ready, and says why; once there is
// room again and a write gets through, it is ready again.
func TestReadyzSaysNoWhenSQLiteCannotWrite(t *testing.T) {
	a, base := startApp(t, "sqlite", nil)
	ctx := context.Background()
	if code, body := readyzBody(t, base); code != 200 {
		t.Fatalf("readyz at the start: %d %v", code, body)
	}
	// The app holds one connection, so this limit is the app's own.
	var pages int64
	if err := a.DB.SQL.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.SQL.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	// Fill what free space is left, the way the app writes.
	pad := strings.Repeat("x", 900)
	var full error
	for i := 0; i < 100000 && full == nil; i++ {
		_, full = a.Store.Hit(ctx, fmt.Sprintf("fill-%d-%s", i, pad), time.Hour, 1)
	}
	if full == nil || !strings.Contains(full.Error(), "full") {
		t.Fatalf("filling the database ended with %v, want SQLITE_FULL", full)
	}
	code, body := readyzBody(t, base)
	if code != 503 || body["database"] != "cannot write" || !strings.Contains(body["reason"], "the database is full") {
		t.Fatalf("readyz with the database full: %d %v, want 503 naming the reason", code, body)
	}
	if res, err := http.Get(base + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz must not depend on the database: %v", err)
	}

	if _, err := a.DB.SQL.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	// Room alone does not clear the write that failed; a write that gets
	// through does.
	if code, body := readyzBody(t, base); code != 503 || !strings.Contains(body["reason"], "a write failed") {
		t.Fatalf("readyz with room but no write since the failure: %d %v", code, body)
	}
	if _, err := a.Store.Hit(ctx, "after-the-room-came-back", time.Hour, 1); err != nil {
		t.Fatal(err)
	}
	if code, body := readyzBody(t, base); code != 200 {
		t.Fatalf("readyz once writes get through: %d %v", code, body)
	}
}
