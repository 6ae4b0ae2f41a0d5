package e2e

import (
	"net/http"
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
