package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// browser is a plain HTTP client with a cookie jar that does not follow
// redirects, so each hop can be checked.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
}

func newBrowser(t testing.TB, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	res, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if strings.HasPrefix(path, "/") {
		path = b.base + path
	}
	res, err := b.c.PostForm(path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

// csrf fetches a page and returns its form token.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// open uses an owner link the way a person does: GET, then one POST.
func (b *browser) open(link string) {
	b.t.Helper()
	tok := b.csrf(link)
	res, _ := b.post(link, url.Values{"_csrf": {tok}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/me") {
		b.t.Fatalf("continue: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// reconnect presses Reconnect and returns the Connect URL it was sent to.
func (b *browser) reconnect(vehicleID int64, flow string) *url.URL {
	b.t.Helper()
	tok := b.csrf("/me")
	res, body := b.post("/me/vehicles/"+strconv.FormatInt(vehicleID, 10)+"/reconnect", url.Values{"_csrf": {tok}, "flow": {flow}})
	if res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("reconnect: %d %s", res.StatusCode, body)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

func TestReconnectSendsOwnerToReauthenticate(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	b := newBrowser(t, w.appURL)
	b.open(alice.Link)
	u := b.reconnect(tesla.ID, "")
	q := u.Query()
	if u.Scheme+"://"+u.Host != w.simURL || u.Path != "/oauth/reauthenticate" {
		t.Fatalf("went to %s", u)
	}
	for k, want := range map[string]string{
		"response_type": "vehicle_id", "vehicle_id": tesla.SmartcarID, "redirect_uri": w.appURL + "/connect/callback",
		"external_id": "demo-alice", "client_id": w.app.Config.Smartcar.ClientID,
	} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 32 {
		t.Errorf("state %q is too short to be unguessable", q.Get("state"))
	}
	if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateReconnecting {
		t.Errorf("after Reconnect the car is %s, want reconnecting (abandonment is tracked)", v.State)
	}

	// Without the CSRF token the same POST is refused and changes nothing.
	res, _ := b.post("/me/vehicles/"+strconv.FormatInt(tesla.ID, 10)+"/reconnect", url.Values{})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("reconnect without CSRF: %d", res.StatusCode)
	}
	// Another owner's vehicle is not found, not revealed.
	carol := w.vehicle(t, "demo-carol", "TESLA")
	tok := b.csrf("/me")
	res, _ = b.post("/me/vehicles/"+strconv.FormatInt(carol.ID, 10)+"/reconnect", url.Values{"_csrf": {tok}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("another owner's car: %d, want 404", res.StatusCode)
	}
}

func TestCallbackRefusesBadStatesAndChangesNothing(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	ford := w.vehicle(t, "demo-alice", "FORD")
	b := newBrowser(t, w.appURL)
	b.open(alice.Link)
	state := b.reconnect(tesla.ID, "").Query().Get("state")
	callback := func(b *browser, q url.Values) (int, string) {
		res, body := b.get("/connect/callback?" + q.Encode())
		return res.StatusCode, body
	}
	before := len(w.events(t, tesla.ID))

	t.Run("tampered", func(t *testing.T) {
		code, body := callback(b, url.Values{"state": {state + "x"}, "vehicle_id": {tesla.SmartcarID}})
		if code != 400 || !strings.Contains(body, "This page has expired") {
			t.Fatalf("tampered state: %d", code)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if code, _ := callback(b, url.Values{"vehicle_id": {tesla.SmartcarID}}); code != 400 {
			t.Fatalf("missing state: %d", code)
		}
	})
	t.Run("another browser session", func(t *testing.T) {
		other := newBrowser(t, w.appURL)
		other.open(alice.Link)
		if code, _ := callback(other, url.Values{"state": {state}, "vehicle_id": {tesla.SmartcarID}}); code != 400 {
			t.Fatalf("state from another session: %d", code)
		}
	})
	if got := len(w.events(t, tesla.ID)); got != before {
		t.Fatalf("refused callbacks wrote %d timeline events", got-before)
	}
	if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateReconnecting {
		t.Fatalf("refused callbacks changed the car to %s", v.State)
	}

	t.Run("vehicle mismatch", func(t *testing.T) {
		code, _ := callback(b, url.Values{"state": {state}, "vehicle_id": {ford.SmartcarID}})
		if code != 400 {
			t.Fatalf("vehicle mismatch: %d", code)
		}
		if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateNeedsReauth {
			t.Fatalf("after a mismatch the Tesla is %s, want needs_reauth again", v.State)
		}
		if v := w.vehicle(t, "demo-alice", "FORD"); v.State != model.StateConnected {
			t.Fatalf("the Ford changed to %s", v.State)
		}
	})
	t.Run("replayed", func(t *testing.T) {
		if code, _ := callback(b, url.Values{"state": {state}, "vehicle_id": {tesla.SmartcarID}}); code != 400 {
			t.Fatalf("replayed state: %d", code)
		}
	})
	t.Run("expired", func(t *testing.T) {
		s2 := b.reconnect(tesla.ID, "").Query().Get("state")
		if err := w.app.Store.DB().Exec("UPDATE connect_states SET expires_at = ? WHERE state_hash = ?", time.Now().Add(-time.Minute), store.HashSecret(s2)).Error; err != nil {
			t.Fatal(err)
		}
		if code, _ := callback(b, url.Values{"state": {s2}, "vehicle_id": {tesla.SmartcarID}}); code != 400 {
			t.Fatalf("expired state: %d", code)
		}
	})
	t.Run("connect error", func(t *testing.T) {
		s3 := b.reconnect(tesla.ID, "").Query().Get("state")
		code, body := callback(b, url.Values{"state": {s3}, "error": {"invalid_subscription"}, "error_description": {"User does not have an active connected vehicle subscription."}})
		if code != 200 || !strings.Contains(body, "subscription is not active") || !strings.Contains(body, `data-testid="reconnect-`+tesla.SmartcarID) {
			t.Fatalf("invalid_subscription: %d", code)
		}
	})
}

func TestLinks(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	ctx := context.Background()
	alice := w.owner(t, "demo-alice")

	t.Run("GET twice then use", func(t *testing.T) {
		b := newBrowser(t, w.appURL)
		for i := 0; i < 2; i++ {
			res, body := b.get(alice.Link)
			if res.StatusCode != 200 || !strings.Contains(body, `data-testid="continue"`) {
				t.Fatalf("GET %d: %d", i, res.StatusCode)
			}
		}
		b.open(alice.Link)
		// An email link can be used again until it expires.
		newBrowser(t, w.appURL).open(alice.Link)
	})
	t.Run("in-app links work once", func(t *testing.T) {
		m, err := w.app.Links.Mint(ctx, nil, linkMintInApp(alice.Owner.ID))
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, w.appURL)
		b.get(m.URL)
		b.get(m.URL)
		b.open(m.URL)
		other := newBrowser(t, w.appURL)
		tok := other.csrf("/")
		res, body := other.post(m.URL, url.Values{"_csrf": {tok}})
		if res.StatusCode != http.StatusGone || !strings.Contains(body, "already used") {
			t.Fatalf("second use of an in-app link: %d", res.StatusCode)
		}
	})
	t.Run("expired", func(t *testing.T) {
		m, _ := w.app.Links.Mint(ctx, nil, linkMintEmail(alice.Owner.ID))
		w.app.Store.DB().Exec("UPDATE owner_links SET expires_at = ? WHERE id = ?", time.Now().Add(-time.Second), m.Link.ID)
		b := newBrowser(t, w.appURL)
		res, body := b.get(m.URL)
		if res.StatusCode != http.StatusGone || !strings.Contains(body, "This link has expired") || !strings.Contains(body, `action="/links/resend"`) {
			t.Fatalf("expired link: %d", res.StatusCode)
		}
		tok := b.csrf("/")
		res, _ = b.post(m.URL, url.Values{"_csrf": {tok}})
		if res.StatusCode != http.StatusGone {
			t.Fatalf("POST on an expired link: %d", res.StatusCode)
		}
		if res, _ := b.get("/me"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("an expired link opened a session: %d", res.StatusCode)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		res, body := newBrowser(t, w.appURL).get("/l/" + strings.Repeat("A", 43))
		if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "This link does not work") {
			t.Fatalf("unknown link: %d", res.StatusCode)
		}
	})
	t.Run("resend answers the same for known and unknown addresses", func(t *testing.T) {
		b := newBrowser(t, w.appURL)
		tok := b.csrf("/")
		r1, b1 := b.post("/links/resend", url.Values{"_csrf": {tok}, "email": {"alice@example.com"}})
		r2, b2 := b.post("/links/resend", url.Values{"_csrf": {tok}, "email": {"nobody@example.com"}})
		if r1.StatusCode != 200 || r2.StatusCode != 200 || stripCSRF(b1) != stripCSRF(b2) {
			t.Fatalf("resend differs: %d %d", r1.StatusCode, r2.StatusCode)
		}
		// A job looks the address up, so the answer cannot wait for it.
		waitFor(t, "the request on the owner's timeline", 10*time.Second, func() bool {
			evs, _ := w.app.Store.EventsByOwner(ctx, alice.Owner.ID, store.Page{})
			return slices.ContainsFunc(evs, func(e model.Event) bool { return e.Kind == "fresh_link_requested" })
		})
		r3, _ := b.post("/links/resend", url.Values{"_csrf": {tok}, "email": {"not an address"}})
		if r3.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad address: %d", r3.StatusCode)
		}
		var last int
		for i := 0; i < 4; i++ {
			r, _ := b.post("/links/resend", url.Values{"_csrf": {tok}, "email": {"alice@example.com"}})
			last = r.StatusCode
		}
		if last != http.StatusTooManyRequests {
			t.Fatalf("resend is not rate limited: %d", last)
		}
	})
	t.Run("no session", func(t *testing.T) {
		res, body := newBrowser(t, w.appURL).get("/me")
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "open your link again") {
			t.Fatalf("/me without a session: %d", res.StatusCode)
		}
	})
}

func stripCSRF(s string) string { return csrfRe.ReplaceAllString(s, "") }

func TestDecline(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	b := newBrowser(t, w.appURL)
	b.open(w.owner(t, "demo-alice").Link)
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	path := "/me/vehicles/" + strconv.FormatInt(tesla.ID, 10) + "/decline"
	tok := b.csrf(path)
	if res, body := b.post(path, url.Values{"_csrf": {tok}}); res.StatusCode != 422 || !strings.Contains(body, "Please choose a reason") {
		t.Fatalf("decline without a reason: %d", res.StatusCode)
	}
	if res, _ := b.post(path, url.Values{"_csrf": {tok}, "reason": {"remind_later"}}); res.StatusCode != 303 {
		t.Fatalf("remind later: %d", res.StatusCode)
	}
	if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateNeedsReauth || v.SnoozedUntil == nil {
		t.Fatalf("remind later: state %s snoozed %v", v.State, v.SnoozedUntil)
	}
	if res, _ := b.post(path, url.Values{"_csrf": {tok}, "reason": {"sold"}}); res.StatusCode != 303 {
		t.Fatalf("sold: %d", res.StatusCode)
	}
	v := w.vehicle(t, "demo-alice", "TESLA")
	if v.State != model.StateDeclined || v.Reason != "declined:sold" {
		t.Fatalf("after 'sold' the car is %s (%s)", v.State, v.Reason)
	}
	_, body := b.get("/me")
	if !strings.Contains(body, "All your cars are connected") && !strings.Contains(body, "Not reconnecting") {
		t.Fatalf("a declined car must not be shown as a problem")
	}
	if strings.Contains(body, "Cars that need you") {
		t.Fatal("the summary still counts the declined car")
	}
}

// The host API: API key, validation with field names, links, status.
func TestHostAPI(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	ctx := context.Background()
	_, key, err := w.app.Store.CreateAPIKey(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, key string, body any) (int, map[string]any) {
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, w.appURL+path, r)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	fieldOf := func(out map[string]any) string {
		e, _ := out["error"].(map[string]any)
		f, _ := e["field"].(string)
		return f
	}
	if code, _ := call("PUT", "/api/v1/owners/u-9", "", map[string]any{"email": "x@example.com"}); code != 401 {
		t.Fatalf("no key: %d", code)
	}
	if code, _ := call("PUT", "/api/v1/owners/u-9", "rk_wrong", map[string]any{}); code != 401 {
		t.Fatalf("wrong key: %d", code)
	}
	for field, body := range map[string]map[string]any{
		"email": {"email": "not-an-email"}, "time_zone": {"time_zone": "Mars/Olympus"},
		"locale": {"locale": "!!"}, "colour": {"colour": "red"},
	} {
		if code, out := call("PUT", "/api/v1/owners/u-9", key, body); code != 422 || fieldOf(out) != field {
			t.Errorf("bad %s: %d %v", field, code, out)
		}
	}
	code, out := call("PUT", "/api/v1/owners/u-9", key, map[string]any{"email": "dana@example.com", "name": "Dana", "locale": "de", "time_zone": "Europe/Berlin"})
	if code != 200 || out["email"] != "dana@example.com" {
		t.Fatalf("put owner: %d %v", code, out)
	}
	if code, _ := call("PUT", "/api/v1/owners/nobody/vehicles/v-1", key, map[string]any{"make": "KIA"}); code != 404 {
		t.Fatalf("vehicle of unknown owner: %d", code)
	}
	if code, out := call("PUT", "/api/v1/owners/u-9/vehicles/v-9", key, map[string]any{"make": "KIA", "model": "EV6", "year": 2023, "vin": "KNDC4DLC1P5000009"}); code != 200 || out["state"] != "connected" {
		t.Fatalf("put vehicle: %d %v", code, out)
	}
	if code, out := call("PUT", "/api/v1/owners/u-9/vehicles/v-9", key, map[string]any{"vin": "SHORT"}); code != 422 || fieldOf(out) != "vin" {
		t.Fatalf("bad vin: %d %v", code, out)
	}
	if code, out := call("POST", "/api/v1/links", key, map[string]any{"host_user_id": "u-9", "purpose": "email", "return_url": "https://evil.example/phish"}); code != 422 || fieldOf(out) != "return_url" {
		t.Fatalf("return URL off the allow-list: %d %v", code, out)
	}
	code, out = call("POST", "/api/v1/links", key, map[string]any{"host_user_id": "u-9", "vehicle_id": "v-9", "purpose": "in_app", "return_url": w.appURL + "/home"})
	if code != 201 || !strings.HasPrefix(out["url"].(string), w.appURL+"/l/") {
		t.Fatalf("mint link: %d %v", code, out)
	}
	v, _ := w.app.Store.VehicleBySmartcarID(ctx, "v-9")
	if _, _, err := w.app.Lifecycle.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED"}); err != nil {
		t.Fatal(err)
	}
	code, out = call("GET", "/api/v1/owners/u-9/status", key, nil)
	if code != 200 || out["needs_action"] != true {
		t.Fatalf("status: %d %v", code, out)
	}
	veh := out["vehicles"].([]any)[0].(map[string]any)
	msg, _ := veh["message"].(string)
	link, _ := veh["link"].(map[string]any)
	if !strings.Contains(msg, "Kia-Konto") || link == nil || !strings.HasPrefix(link["url"].(string), w.appURL+"/l/") {
		t.Fatalf("status vehicle (German message and a fresh link expected): %v", veh)
	}
}
