package ingest_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/ingest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/secrets"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

// fakeTokenEndpoint answers refresh grants like Smartcar's v2 token endpoint:
// a new pair for a good refresh token, invalid_grant for a dead one, a 500
// for a flaky one.
type fakeTokenEndpoint struct {
	mu   sync.Mutex
	hits map[string]int
}

func (f *fakeTokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/oauth/token" || r.FormValue("grant_type") != "refresh_token" {
		http.Error(w, "unexpected", http.StatusBadRequest)
		return
	}
	if id, secret, ok := r.BasicAuth(); !ok || id != "client" || secret != "secret" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rt := r.FormValue("refresh_token")
	f.mu.Lock()
	f.hits[rt]++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch rt {
	case "r-dead":
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"Invalid or expired refresh token."}`)
	case "r-flaky":
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"type":"SERVER","code":"INTERNAL","description":"oops"}`)
	default:
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "a-new-" + rt, "token_type": "Bearer", "expires_in": 7200, "refresh_token": "r-new-" + rt})
	}
}

func (f *fakeTokenEndpoint) count(rt string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[rt]
}

func TestKeepAliveRefreshesBeforeExpiryAndGivesUpOnDeadTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		fake := &fakeTokenEndpoint{hits: map[string]int{}}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		// The store runs on the wall clock here: the pair's updated_at is set
		// by the database layer, and "failed for good" is judged against it.
		now := time.Now().UTC().Truncate(time.Millisecond)
		client, err := smartcar.New(smartcar.Config{AuthURL: srv.URL, ClientID: "client", ClientSecret: "secret", Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		sealer, _ := secrets.NewSealer([][]byte{key})
		s := store.New(db)
		machine := lifecycle.New(s)

		save := func(user, refresh string, expiresIn time.Duration) {
			a, _ := sealer.Seal("a-" + refresh)
			r, _ := sealer.Seal(refresh)
			if err := s.SaveToken(ctx, store.SmartcarToken{SmartcarUserID: user, AccessToken: a, RefreshToken: r,
				AccessExpiresAt: now.Add(-time.Hour), RefreshExpiresAt: now.Add(expiresIn)}); err != nil {
				t.Fatal(err)
			}
		}
		save("u-ok", "r-ok", 5*24*time.Hour)
		save("u-dead", "r-dead", 2*24*time.Hour)
		save("u-flaky", "r-flaky", 3*24*time.Hour)
		save("u-later", "r-later", 40*24*time.Hour)
		car, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "car-dead", SmartcarUserID: "u-dead"})
		sold, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "car-sold", SmartcarUserID: "u-dead"})
		if _, _, err := machine.Transition(ctx, nil, sold.ID, store.StateChange{To: model.StateDeclined, Reason: "declined:sold", Source: "owner"}); err != nil {
			t.Fatal(err)
		}

		k := &ingest.KeepAlive{Store: s, Sealer: sealer, API: client, Lifecycle: machine,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Window: 14 * 24 * time.Hour}
		sum, err := k.Run(ctx)
		if err != nil || sum != (ingest.KeepAliveSummary{Refreshed: 1, Dead: 1, Failed: 1}) {
			t.Fatalf("first run: %+v %v", sum, err)
		}

		tok, _ := s.TokenByUser(ctx, "u-ok")
		access, _ := sealer.Open(tok.AccessToken)
		refresh, _ := sealer.Open(tok.RefreshToken)
		if access != "a-new-r-ok" || refresh != "r-new-r-ok" || !tok.RefreshExpiresAt.Equal(now.Add(smartcar.RefreshLifetime)) || !tok.AccessExpiresAt.Equal(now.Add(2*time.Hour)) {
			t.Fatalf("the new pair was not stored sealed: %q %q %v", access, refresh, tok.RefreshExpiresAt)
		}
		if v, _ := s.VehicleByID(ctx, car.ID); v.State != model.StateNeedsReauth || v.Reason != "invalid_grant" {
			t.Fatalf("a dead refresh token must ask the owner to reconnect: %+v", v)
		}
		if v, _ := s.VehicleByID(ctx, sold.ID); v.State != model.StateDeclined {
			t.Fatalf("a declined vehicle stays declined: %s", v.State)
		}
		if fake.count("r-later") != 0 {
			t.Fatal("a pair far from expiry was refreshed")
		}

		// The dead pair is not hammered; the flaky one is tried again.
		if _, err := k.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if fake.count("r-dead") != 1 || fake.count("r-flaky") != 2 || fake.count("r-new-r-ok") != 0 {
			t.Fatalf("second run hits: dead %d, flaky %d", fake.count("r-dead"), fake.count("r-flaky"))
		}
		// A new Connect stores a fresh pair: it is looked after again.
		save("u-dead", "r-revived", 24*time.Hour)
		if _, err := k.Run(ctx); err != nil || fake.count("r-revived") != 1 {
			t.Fatalf("revived pair: %d hits, %v", fake.count("r-revived"), err)
		}
	})
}
