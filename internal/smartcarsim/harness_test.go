package smartcarsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID     = "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07"
	testClientSecret = "s3cr+t/with=odd&chars"
	testAPIClientID  = "client_5f0c2b7e"
	testAPISecret    = "api-secret-1"
	testAMT          = "amt-2b9d6f2e-1c44-4d8e-9a43-0c6f7a1e55aa"
	testRedirect     = "https://app.example.com/connect/callback"
	localRedirect    = "http://localhost:8000/exchange"
	plainHTTPRemote  = "http://app.example.com/insecure"
)

var testEpoch = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	sim   *Sim
	clock *FakeClock
	base  string
}

// newHarness starts the simulator on a real listener with a frozen clock and
// webhook retries scaled down to milliseconds.
func newHarness(t *testing.T, opts ...func(*Config)) *harness {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	clock := NewFakeClock(testEpoch)
	cfg := Config{
		ClientID: testClientID, ClientSecret: testClientSecret,
		APIClientID: testAPIClientID, APIClientSecret: testAPISecret,
		ManagementToken:    testAMT,
		RedirectURIs:       []string{testRedirect, localRedirect, plainHTTPRemote},
		DefaultScopes:      []string{"read_vehicle_info", "read_odometer"},
		WebhookRetryDelays: []time.Duration{0, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond},
		WebhookTimeout:     2 * time.Second,
		WebhookID:          "wh-1",
		Clock:              clock,
		PublicURL:          "http://" + srv.Listener.Addr().String(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	sim := New(cfg)
	srv.Config.Handler = sim.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	h := &harness{t: t, sim: sim, base: srv.URL}
	if fc, ok := cfg.Clock.(*FakeClock); ok {
		h.clock = fc
	}
	return h
}

// browser is a cookie-jar client that follows the simulator's own redirects
// but stops at the app's callback.
func (h *harness) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), h.base) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

type page struct {
	status   int
	body     string // HTML-unescaped text, as a person reads it
	raw      string
	location string
	header   http.Header
}

func (p page) callback(t *testing.T) url.Values {
	t.Helper()
	if p.status != http.StatusFound || p.location == "" {
		t.Fatalf("want a 302 to the callback, got %d: %s", p.status, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func (p page) has(s string) bool { return strings.Contains(p.body, s) }

var sessionRE = regexp.MustCompile(`name="session" value="([^"]+)"`)

func (p page) session(t *testing.T) string {
	t.Helper()
	m := sessionRE.FindStringSubmatch(p.raw)
	if m == nil {
		t.Fatalf("no session field in page %d: %s", p.status, p.body)
	}
	return m[1]
}

var vehicleRE = regexp.MustCompile(`data-testid="sim-vehicle-([^"]+)"`)

func (p page) vehicleIDs() []string {
	var ids []string
	for _, m := range vehicleRE.FindAllStringSubmatch(p.raw, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

var scopeRE = regexp.MustCompile(`name="scope" value="([^"]+)"`)

func (p page) scopeNames() []string {
	var out []string
	for _, m := range scopeRE.FindAllStringSubmatch(p.raw, -1) {
		out = append(out, m[1])
	}
	return out
}

func readPage(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, raw: string(b), body: html.UnescapeString(string(b)),
		location: resp.Header.Get("Location"), header: resp.Header}
}

func (h *harness) open(c *http.Client, rawURL string) page {
	h.t.Helper()
	resp, err := c.Get(rawURL)
	if err != nil {
		h.t.Fatal(err)
	}
	return readPage(h.t, resp)
}

func (h *harness) submit(c *http.Client, path string, form url.Values) page {
	h.t.Helper()
	resp, err := c.PostForm(h.base+path, form)
	if err != nil {
		h.t.Fatal(err)
	}
	return readPage(h.t, resp)
}

// authURL builds an authorize URL; a param set to "-" is left out.
func (h *harness) authURL(params map[string]string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect},
		"scope": {"read_vehicle_info read_odometer"}, "state": {"st-1"}, "make": {"TESLA"}}
	for k, v := range params {
		if v == "-" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return h.base + "/oauth/authorize?" + q.Encode()
}

// walk answers each Connect page the way an owner who agrees to
// everything would, and returns the page that leaves the simulator.
func (h *harness) walk(c *http.Client, p page, email string) page {
	h.t.Helper()
	for range 8 {
		if p.status == http.StatusFound || p.status >= 400 || p.has(`data-testid="sim-done"`) {
			return p
		}
		sess := p.session(h.t)
		switch {
		case strings.Contains(p.raw, `action="/oauth/brand"`):
			p = h.submit(c, "/oauth/brand", url.Values{"session": {sess}, "make": {"TESLA"}})
		case strings.Contains(p.raw, `action="/oauth/login"`):
			p = h.submit(c, "/oauth/login", url.Values{"session": {sess}, "email": {email}, "password": {"pw"}, "action": {"login"}})
		case strings.Contains(p.raw, `action="/oauth/vehicles"`):
			ids := p.vehicleIDs()
			if strings.Contains(p.raw, `type="radio"`) {
				ids = ids[:1]
			}
			p = h.submit(c, "/oauth/vehicles", url.Values{"session": {sess}, "vehicle": ids, "action": {"continue"}})
		case strings.Contains(p.raw, `action="/oauth/grant"`):
			p = h.submit(c, "/oauth/grant", url.Values{"session": {sess}, "scope": p.scopeNames(), "action": {"approve"}})
		case strings.Contains(p.raw, `action="/oauth/confirm"`):
			p = h.submit(c, "/oauth/confirm", url.Values{"session": {sess}, "action": {"approve"}})
		default:
			h.t.Fatalf("unknown page: %s", p.body)
		}
	}
	h.t.Fatal("Connect flow did not end")
	return p
}

// connect runs a whole Connect session and returns the callback query.
func (h *harness) connect(email string, params map[string]string) url.Values {
	h.t.Helper()
	c := h.browser()
	return h.walk(c, h.open(c, h.authURL(params)), email).callback(h.t)
}

type apiResp struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

func (h *harness) do(method, path string, body io.Reader, setup func(*http.Request)) apiResp {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if setup != nil {
		setup(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := apiResp{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.json)
	return out
}

func withBearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// tokenRequest posts to the v2 token endpoint the way golang.org/x/oauth2
// does: each Basic half form-encoded first.
func (h *harness) tokenRequest(form url.Values) apiResp {
	h.t.Helper()
	return h.do("POST", "/oauth/token", strings.NewReader(form.Encode()), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(url.QueryEscape(testClientID), url.QueryEscape(testClientSecret))
	})
}

func (h *harness) exchange(code, redirect string) apiResp {
	h.t.Helper()
	return h.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}})
}

func (h *harness) refresh(token string) apiResp {
	h.t.Helper()
	return h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
}

func (h *harness) appToken() string {
	h.t.Helper()
	r := h.do("POST", "/oauth2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"},
		"client_id": {testAPIClientID}, "client_secret": {testAPISecret}}.Encode()), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	})
	if r.status != http.StatusOK {
		h.t.Fatalf("app token: %d %s", r.status, r.raw)
	}
	return r.json["access_token"].(string)
}

func (h *harness) control(method, path string, body any) apiResp {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	return h.do(method, path, rd, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") })
}

// seed creates a connected owner with the given makes and a v2 token pair.
func (h *harness) seed(email string, makes ...string) (UserInfo, TokenInfo) {
	h.t.Helper()
	spec := UserSpec{Email: email, Connected: true}
	for _, m := range makes {
		spec.Vehicles = append(spec.Vehicles, VehicleSpec{Make: m})
	}
	u, err := h.sim.CreateUser(spec)
	if err != nil {
		h.t.Fatal(err)
	}
	tok, err := h.sim.IssueTokens(u.UserID)
	if err != nil {
		h.t.Fatal(err)
	}
	return u, tok
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// receiver is a webhook endpoint written the way a careful app writes one:
// it answers VERIFY and checks SC-Signature with its own HMAC over the raw
// bytes it received.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	amt string

	mu       sync.Mutex
	events   []received
	verifies []map[string]any
	// answer decides the status of each non-VERIFY request, numbered from 1.
	answer      func(n int, r *http.Request) int
	n           int
	wrongHash   bool
	inFlight    int
	maxInFlight int
	hold        time.Duration
}

type received struct {
	raw       []byte
	header    http.Header
	body      map[string]any
	signedOK  bool
	arrivedAt time.Time
}

func hmacHex(key string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

func newReceiver(t *testing.T, amt string) *receiver {
	rc := &receiver{t: t, amt: amt}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	challenge := ""
	if body["eventType"] == "VERIFY" {
		challenge, _ = body["data"].(map[string]any)["challenge"].(string)
	} else if body["eventName"] == "verify" {
		challenge, _ = body["payload"].(map[string]any)["challenge"].(string)
	}
	if challenge != "" {
		rc.mu.Lock()
		rc.verifies = append(rc.verifies, body)
		wrong := rc.wrongHash
		rc.mu.Unlock()
		key := rc.amt
		if wrong {
			key = "not-the-amt"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": hmacHex(key, []byte(challenge))})
		return
	}
	rc.mu.Lock()
	rc.n++
	n := rc.n
	rc.inFlight++
	rc.maxInFlight = max(rc.maxInFlight, rc.inFlight)
	hold := rc.hold
	rc.events = append(rc.events, received{raw: raw, header: r.Header.Clone(), body: body,
		signedOK: hmac.Equal([]byte(r.Header.Get("SC-Signature")), []byte(hmacHex(rc.amt, raw))), arrivedAt: time.Now()})
	answer := rc.answer
	rc.mu.Unlock()
	if hold > 0 {
		time.Sleep(hold)
	}
	status := http.StatusOK
	if answer != nil {
		status = answer(n, r)
	}
	rc.mu.Lock()
	rc.inFlight--
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.events...)
}

func (rc *receiver) ofType(typ string) []received {
	var out []received
	for _, e := range rc.got() {
		if e.body["eventType"] == typ {
			out = append(out, e)
		}
	}
	return out
}

// webhook points the simulator at rc and verifies it.
func (h *harness) webhook(rc *receiver) {
	h.t.Helper()
	if _, err := h.sim.SetWebhook(rc.srv.URL, testAMT, "4.0"); err != nil {
		h.t.Fatal(err)
	}
	if err := h.sim.VerifyWebhook(h.t.Context()); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) switches(change func(*Switches)) {
	h.t.Helper()
	sw := h.sim.Switches()
	change(&sw)
	if err := h.sim.SetSwitches(sw); err != nil {
		h.t.Fatal(err)
	}
}

// dig walks a decoded JSON value along keys and indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}
