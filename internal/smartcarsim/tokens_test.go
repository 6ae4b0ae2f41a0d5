package smartcarsim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBehaviour07_TokenCodeGrant(t *testing.T) {
	h := newHarness(t)
	code := func() string {
		return h.connect("tokens@example.com", map[string]string{"approval_prompt": "force"}).Get("code")
	}

	t.Run("client authentication", func(t *testing.T) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code()}, "redirect_uri": {testRedirect}}
		cases := []struct {
			name  string
			setup func(*http.Request)
		}{
			{"no credentials", func(*http.Request) {}},
			{"wrong secret", func(r *http.Request) { r.SetBasicAuth(testClientID, "wrong") }},
			{"M2M credentials", func(r *http.Request) { r.SetBasicAuth(testAPIClientID, testAPISecret) }},
			{"credentials in the body", func(r *http.Request) {}},
		}
		for _, tc := range cases {
			body := form
			if tc.name == "credentials in the body" {
				body = url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret}}
				for k, v := range form {
					body[k] = v
				}
			}
			r := h.do("POST", "/oauth/token", strings.NewReader(body.Encode()), func(r *http.Request) {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				tc.setup(r)
			})
			if r.status != http.StatusUnauthorized || r.json["error"] != "invalid_client" {
				t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
			}
		}
	})

	t.Run("raw Basic credentials as the Node SDK sends them also work", func(t *testing.T) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code()}, "redirect_uri": {testRedirect}}
		r := h.do("POST", "/oauth/token", strings.NewReader(form.Encode()), func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth(testClientID, testClientSecret)
		})
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("form body only", func(t *testing.T) {
		r := h.do("POST", "/oauth/token", strings.NewReader(`{"grant_type":"authorization_code","code":"x"}`), func(r *http.Request) {
			r.Header.Set("Content-Type", "application/json")
			r.SetBasicAuth(url.QueryEscape(testClientID), url.QueryEscape(testClientSecret))
		})
		if r.status != http.StatusBadRequest || r.json["error"] != "invalid_request" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("redirect_uri must match the authorize request", func(t *testing.T) {
		r := h.exchange(code(), localRedirect)
		if r.status != http.StatusBadRequest || r.json["error"] != "invalid_grant" ||
			r.json["error_description"] != "Unauthorized redirect_uri: "+localRedirect {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("success shape, then the code is spent", func(t *testing.T) {
		c := code()
		r := h.exchange(c, testRedirect)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		var keys []string
		for k := range r.json {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"access_token", "expires_in", "refresh_token", "token_type"}) ||
			r.json["token_type"] != "Bearer" || r.json["expires_in"] != float64(7200) {
			t.Fatalf("token response %s", r.raw)
		}
		again := h.exchange(c, testRedirect)
		if again.status != http.StatusBadRequest || again.json["error"] != "invalid_grant" {
			t.Fatalf("reused code: %d %s", again.status, again.raw)
		}
	})

	t.Run("codes expire after ten minutes", func(t *testing.T) {
		c := code()
		h.clock.Advance(9*time.Minute + 59*time.Second)
		if r := h.exchange(c, testRedirect); r.status != http.StatusOK {
			t.Fatalf("9m59s: %d %s", r.status, r.raw)
		}
		c = code()
		h.clock.Advance(10 * time.Minute)
		if r := h.exchange(c, testRedirect); r.status != http.StatusBadRequest || r.json["error"] != "invalid_grant" {
			t.Fatalf("10m: %d %s", r.status, r.raw)
		}
	})
}

func TestBehaviour08_RefreshGrant(t *testing.T) {
	h := newHarness(t)
	pair := func(email string) (string, string) {
		r := h.exchange(h.connect(email, map[string]string{"approval_prompt": "force"}).Get("code"), testRedirect)
		return r.json["access_token"].(string), r.json["refresh_token"].(string)
	}
	user := func(token string) int { return h.do("GET", "/v2.0/user", nil, withBearer(token)).status }

	t.Run("new pair, old access token lives on, old refresh token dies after the grace", func(t *testing.T) {
		at, rt := pair("r1@example.com")
		h.clock.Advance(time.Hour)
		r := h.refresh(rt)
		if r.status != http.StatusOK || r.json["refresh_token"] == rt || r.json["access_token"] == at {
			t.Fatalf("refresh: %d %s", r.status, r.raw)
		}
		if user(at) != http.StatusOK {
			t.Fatal("the old access token should stay valid until it expires")
		}
		h.clock.Advance(30 * time.Second)
		if r := h.refresh(rt); r.status != http.StatusOK {
			t.Fatalf("within the grace: %d %s", r.status, r.raw)
		}
		h.clock.Advance(31 * time.Second)
		if r := h.refresh(rt); r.status != http.StatusBadRequest || r.json["error"] != "invalid_grant" {
			t.Fatalf("after the grace: %d %s", r.status, r.raw)
		}
		h.clock.Advance(time.Hour)
		if user(at) != http.StatusUnauthorized {
			t.Fatal("the old access token should expire two hours after issue")
		}
	})

	t.Run("the grace can be ten minutes", func(t *testing.T) {
		h.switches(func(s *Switches) { s.RefreshGrace = Duration(10 * time.Minute) })
		defer h.switches(func(s *Switches) { s.RefreshGrace = Duration(time.Minute) })
		_, rt := pair("r2@example.com")
		h.refresh(rt)
		h.clock.Advance(9 * time.Minute)
		if r := h.refresh(rt); r.status != http.StatusOK {
			t.Fatalf("9 minutes into a 10 minute grace: %d", r.status)
		}
	})

	t.Run("refresh tokens die 60 days after issue", func(t *testing.T) {
		_, rt1 := pair("r3@example.com")
		_, rt2 := pair("r3@example.com")
		h.clock.Advance(59 * 24 * time.Hour)
		if r := h.refresh(rt1); r.status != http.StatusOK {
			t.Fatalf("day 59: %d", r.status)
		}
		h.clock.Advance(24 * time.Hour)
		if r := h.refresh(rt2); r.status != http.StatusBadRequest || r.json["error"] != "invalid_grant" {
			t.Fatalf("day 60: %d %s", r.status, r.raw)
		}
	})

	t.Run("an OEM migration can revoke tokens", func(t *testing.T) {
		at, rt := pair("r4@example.com")
		if _, err := h.sim.Migrate("tesla", RevokeTokens(true)); err != nil {
			t.Fatal(err)
		}
		if r := h.refresh(rt); r.status != http.StatusBadRequest || r.json["error"] != "invalid_grant" {
			t.Fatalf("refresh after revoke: %d %s", r.status, r.raw)
		}
		if user(at) != http.StatusUnauthorized {
			t.Fatal("access token survived the revoking migration")
		}
	})

	t.Run("a make the application may not use", func(t *testing.T) {
		_, rt := pair("r5@example.com")
		code := h.connect("r6@example.com", map[string]string{"approval_prompt": "force"}).Get("code")
		h.switches(func(s *Switches) { s.UnauthorizedMakes = []string{"tesla"} })
		defer h.switches(func(s *Switches) { s.UnauthorizedMakes = nil })
		for name, r := range map[string]apiResp{"refresh": h.refresh(rt), "code": h.exchange(code, testRedirect)} {
			if r.status != http.StatusBadRequest || r.json["error"] != "unauthorized_client" ||
				r.json["error_description"] != "Application not authorized to requested make(s): TESLA" {
				t.Errorf("%s: %d %s", name, r.status, r.raw)
			}
		}
	})
}

func TestBehaviour09_ClientCredentials(t *testing.T) {
	h := newHarness(t)
	post := func(contentType, body string) apiResp {
		return h.do("POST", "/oauth2/token", strings.NewReader(body), func(r *http.Request) { r.Header.Set("Content-Type", contentType) })
	}
	form := "application/x-www-form-urlencoded"
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {testAPIClientID}, "client_secret": {testAPISecret}}.Encode()
	for name, r := range map[string]apiResp{
		"form": post(form, good),
		"json": post("application/json", `{"grant_type":"client_credentials","client_id":"`+testAPIClientID+`","client_secret":"`+testAPISecret+`"}`),
	} {
		if r.status != http.StatusOK || r.json["token_type"] != "Bearer" || r.json["expires_in"] != float64(3600) ||
			r.json["access_token"] == "" || r.json["refresh_token"] != nil {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	for name, tc := range map[string]struct {
		ct, body, err string
		status        int
	}{
		"missing grant_type":   {form, "client_id=" + testAPIClientID + "&client_secret=" + testAPISecret, "invalid_request", 400},
		"missing client":       {form, "grant_type=client_credentials", "invalid_request", 400},
		"wrong secret":         {form, "grant_type=client_credentials&client_id=" + testAPIClientID + "&client_secret=no", "invalid_client", 401},
		"legacy app id":        {form, "grant_type=client_credentials&client_id=" + testClientID + "&client_secret=" + url.QueryEscape(testClientSecret), "invalid_client", 401},
		"unsupported encoding": {"text/plain", good, "invalid_request", 400},
	} {
		r := post(tc.ct, tc.body)
		if r.status != tc.status || r.json["error"] != tc.err {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}

	t.Run("the token lasts an hour", func(t *testing.T) {
		tok := h.appToken()
		h.clock.Advance(59 * time.Minute)
		if r := h.do("GET", "/v3/connections", nil, withBearer(tok)); r.status != http.StatusOK {
			t.Fatalf("at 59 min: %d", r.status)
		}
		h.clock.Advance(time.Minute)
		if r := h.do("GET", "/v3/connections", nil, withBearer(tok)); r.status != http.StatusUnauthorized ||
			dig(r.json, "errors", 0, "type") != "AUTHENTICATION" {
			t.Fatalf("at 60 min: %d %s", r.status, r.raw)
		}
	})
}

func TestBehaviour10_ClockUnderTestControl(t *testing.T) {
	h := newHarness(t)
	_, tok := h.seed("clock@example.com", "TESLA")
	if got := h.sim.Now(); !got.Equal(testEpoch) {
		t.Fatalf("clock at %v", got)
	}
	r := h.control("POST", "/_control/clock", map[string]string{"advance": "90m"})
	if r.status != http.StatusOK || r.json["now"] != "2026-10-01T10:30:00.000Z" {
		t.Fatalf("advance: %d %s", r.status, r.raw)
	}
	if s := h.do("GET", "/v2.0/user", nil, withBearer(tok.AccessToken)).status; s != http.StatusOK {
		t.Fatalf("token dead after 90 minutes: %d", s)
	}
	if err := h.sim.Advance(30 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if s := h.do("GET", "/v2.0/user", nil, withBearer(tok.AccessToken)).status; s != http.StatusUnauthorized {
		t.Fatalf("token alive after two hours: %d", s)
	}

	t.Run("a wall clock cannot be advanced", func(t *testing.T) {
		h2 := newHarness(t, func(c *Config) { c.Clock = nil })
		if r := h2.control("POST", "/_control/clock", map[string]string{"advance": "1h"}); r.status != http.StatusConflict {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("an offset clock keeps running and can jump", func(t *testing.T) {
		c := NewOffsetClock()
		before := c.Now()
		c.Advance(2 * time.Hour)
		if d := c.Now().Sub(before); d < 2*time.Hour || d > 2*time.Hour+time.Second {
			t.Fatalf("offset clock moved %v", d)
		}
	})
}
