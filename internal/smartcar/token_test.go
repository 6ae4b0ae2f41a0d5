package smartcar

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reconnect/internal/model"
)

// checkBasic asserts x/oauth2's Basic header, whose halves are form-encoded
// before base64 and so must be URL-decoded.
func checkBasic(t *testing.T, r *http.Request, wantID, wantSecret string) {
	t.Helper()
	user, pass, ok := r.BasicAuth()
	if !ok {
		t.Fatalf("no Basic auth header")
	}
	id, _ := url.QueryUnescape(user)
	secret, _ := url.QueryUnescape(pass)
	if id != wantID || secret != wantSecret {
		t.Errorf("basic = %q:%q, want %q:%q", id, secret, wantID, wantSecret)
	}
}

func TestExchangeCodeAndRefresh(t *testing.T) {
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		checkBasic(t, r, "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07", "s3cr3t&=+/")
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("content type %q", ct)
		}
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		if r.PostForm.Has("client_secret") {
			t.Error("secret leaked into the form body")
		}
		switch r.PostForm.Get("grant_type") {
		case "authorization_code":
			if r.PostForm.Get("code") != "c0de" || r.PostForm.Get("redirect_uri") != "https://reconnect.example/callback" {
				t.Errorf("form = %v", r.PostForm)
			}
			writeJSON(w, 200, `{"access_token":"acc1","token_type":"Bearer","expires_in":7200,"refresh_token":"ref1"}`)
		case "refresh_token":
			switch r.PostForm.Get("refresh_token") {
			case "ref1":
				writeJSON(w, 200, `{"access_token":"acc2","token_type":"Bearer","expires_in":7200,"refresh_token":"ref2"}`)
			case "dead":
				writeJSON(w, 400, `{"error":"invalid_grant","error_description":"Invalid or expired refresh token."}`)
			default:
				writeJSON(w, 401, `{"error":"invalid_client","error_description":"Invalid client credentials."}`)
			}
		default:
			t.Errorf("grant_type %q", r.PostForm.Get("grant_type"))
		}
	})
	c, _ := newTestClient(t, mux)
	ctx := context.Background()

	tok, err := c.ExchangeCode(ctx, "c0de")
	if err != nil {
		t.Fatal(err)
	}
	want := Token{AccessToken: "acc1", RefreshToken: "ref1", Expiry: testNow.Add(2 * time.Hour), RefreshExpiry: testNow.AddDate(0, 0, 60)}
	if tok != want {
		t.Errorf("token = %+v, want %+v", tok, want)
	}

	tok, err = c.Refresh(ctx, "ref1")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "acc2" || tok.RefreshToken != "ref2" || !tok.RefreshExpiry.Equal(testNow.Add(RefreshLifetime)) {
		t.Errorf("refreshed = %+v", tok)
	}

	t.Run("invalid_grant is a typed error that needs reauth", func(t *testing.T) {
		_, err := c.Refresh(ctx, "dead")
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %T %v", err, err)
		}
		if e.HTTPStatus != 400 || e.Type != "invalid_grant" || e.Description != "Invalid or expired refresh token." || e.RequestID == "" {
			t.Errorf("err = %+v", e)
		}
		if got := Classify(e); got.Kind != KindPrompt || got.State != model.StateNeedsReauth {
			t.Errorf("classified %+v", got)
		}
	})

	t.Run("invalid_client is not retried with the secret in the body", func(t *testing.T) {
		before := calls.Load()
		_, err := c.Refresh(ctx, "other")
		var e *Error
		if !errors.As(err, &e) || e.Type != "invalid_client" || e.HTTPStatus != 401 {
			t.Fatalf("err = %v", err)
		}
		if n := calls.Load() - before; n != 1 {
			t.Errorf("%d token requests, want 1", n)
		}
		if got := Classify(e); got.Kind != KindIgnore {
			t.Errorf("a config error prompted the owner: %+v", got)
		}
	})

	if _, err := c.Refresh(ctx, ""); err == nil {
		t.Error("empty refresh token accepted")
	}
}

func TestNeedsRefresh(t *testing.T) {
	tok := Token{Expiry: testNow.Add(10 * time.Minute)}
	tests := []struct {
		name   string
		tok    Token
		margin time.Duration
		want   bool
	}{
		{"fresh", tok, 5 * time.Minute, false},
		{"inside margin", tok, 10 * time.Minute, true},
		{"expired", Token{Expiry: testNow.Add(-time.Second)}, 0, true},
		{"unknown expiry", Token{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsRefresh(tt.tok, testNow, tt.margin); got != tt.want {
				t.Errorf("NeedsRefresh = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAppToken(t *testing.T) {
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		time.Sleep(5 * time.Millisecond) // widen the race window
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		f := r.PostForm
		if f.Get("grant_type") != "client_credentials" || f.Get("client_id") != "client_m2m" || f.Get("client_secret") != "m2m-secret" {
			t.Errorf("form = %v", f)
		}
		writeJSON(w, 200, `{"access_token":"app`+string('0'+rune(n))+`","token_type":"Bearer","expires_in":3600}`)
	})
	now := testNow
	var mu sync.Mutex
	c, _ := newTestClient(t, mux, func(cfg *Config) {
		cfg.APIClientID, cfg.APIClientSecret = "client_m2m", "m2m-secret"
		cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	ctx := context.Background()

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if tok, err := c.AppToken(ctx); err != nil || tok != "app1" {
				t.Errorf("AppToken = %q, %v", tok, err)
			}
		})
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d fetches, want 1 shared", calls.Load())
	}

	mu.Lock()
	now = testNow.Add(58 * time.Minute)
	mu.Unlock()
	if tok, _ := c.AppToken(ctx); tok != "app1" {
		t.Errorf("at 58 min got %q, want cached app1", tok)
	}
	mu.Lock()
	now = testNow.Add(59 * time.Minute)
	mu.Unlock()
	if tok, _ := c.AppToken(ctx); tok != "app2" {
		t.Errorf("at 59 min got %q, want a fresh app2", tok)
	}
}

func TestAppTokenFallsBackToLegacyCredentials(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("client_id") != "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07" || r.PostForm.Get("client_secret") != "s3cr3t&=+/" {
			writeJSON(w, 401, `{"error":"invalid_client","error_description":"bad credentials"}`)
			return
		}
		writeJSON(w, 200, `{"access_token":"app","token_type":"Bearer","expires_in":3600}`)
	})
	c, _ := newTestClient(t, mux)
	if tok, err := c.AppToken(context.Background()); err != nil || tok != "app" {
		t.Fatalf("AppToken = %q, %v", tok, err)
	}
}
