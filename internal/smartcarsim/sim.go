// Package smartcarsim is an in-memory Smartcar: Connect (authorize and
// re-authenticate), the v2 and v3 token endpoints, the v2 and v3 vehicle APIs,
// the v2 Management API and webhook deliveries, all on one origin, plus a
// control API that breaks vehicles, runs OEM migrations and moves the clock.
//
// It is written from the protocol, not from Reconnect's own Smartcar client,
// so that a misreading in the client shows up as a failing test instead of
// being shared by both sides.
package smartcarsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config describes the one Smartcar application the simulator hosts.
type Config struct {
	// ClientID is the Application ID (a UUID): Connect's client_id and the
	// user name of the v2 token endpoint's Basic auth.
	ClientID     string
	ClientSecret string
	// APIClientID ("client_…") and APIClientSecret are the M2M credentials of
	// the v3 client_credentials grant. Connect rejects them.
	APIClientID     string
	APIClientSecret string
	// ManagementToken is the Application Management Token (AMT).
	ManagementToken string
	// RedirectURIs are the registered callbacks; the first is the default.
	RedirectURIs []string
	// DefaultScopes are the dashboard's "Vehicle Access" defaults, used when
	// the authorize URL has no scope.
	DefaultScopes []string
	// AppName appears on the Connect pages and in suggested user messages.
	AppName string
	// RefreshGrace is how long a used refresh token keeps working. Smartcar's
	// pages say 1 minute in one place and 10 in another.
	RefreshGrace time.Duration
	// WebhookRetryDelays are the waits before each delivery attempt; their
	// number is the number of attempts.
	WebhookRetryDelays []time.Duration
	WebhookTimeout     time.Duration
	// WebhookID and WebhookName identify the webhook in payloads and in the
	// v2 subscribe path. A random id is used when empty.
	WebhookID   string
	WebhookName string
	// ReauthMissingVehicleError is the Connect error a re-authentication gets
	// when the vehicle is gone from the owner's account: "no_vehicles" or
	// "vehicle_incompatible". Smartcar does not document which.
	ReauthMissingVehicleError string
	// Clock defaults to the wall clock. Pass a FakeClock or an OffsetClock to
	// control expiry.
	Clock Clock
	// PublicURL is the simulator's own base URL, used in resolution.url and
	// paging links. When empty it is taken from each request's Host.
	PublicURL string
	Logger    *slog.Logger
	// HTTPClient sends webhooks; its Timeout is replaced by WebhookTimeout.
	HTTPClient *http.Client
}

// Sim is a running simulator. All state is in memory; a restart starts empty.
type Sim struct {
	cfg   Config
	clock Clock
	log   *slog.Logger
	pages *pages
	pool  *pool

	mu            sync.Mutex
	users         map[string]*user
	usersByEmail  map[string]*user
	vehicles      map[string]*vehicle
	vehiclesByVIN map[string]*vehicle
	conns         map[string]*connection
	connByVehicle map[string]*connection
	codes         map[string]*authCode
	access        map[string]*accessToken
	refresh       map[string]*refreshToken
	appTokens     map[string]time.Time
	flows         map[string]*flow
	switches      Switches
	webhook       webhookState
	deliveries    deliveryLog
	// scheduled are migrations waiting for their cut-over.
	scheduled []scheduledMigration
	// stop ends the watch over scheduled migrations.
	stop     chan struct{}
	stopOnce sync.Once
}

// New returns a simulator with defaults filled in and its webhook workers
// started. Call Close when done.
func New(cfg Config) *Sim {
	if cfg.RefreshGrace == 0 {
		cfg.RefreshGrace = time.Minute
	}
	if cfg.WebhookRetryDelays == nil {
		cfg.WebhookRetryDelays = []time.Duration{0, 25 * time.Second, 50 * time.Second, 100 * time.Second}
	}
	if cfg.WebhookTimeout == 0 {
		cfg.WebhookTimeout = 15 * time.Second
	}
	if cfg.ReauthMissingVehicleError == "" {
		cfg.ReauthMissingVehicleError = "no_vehicles"
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AppName == "" {
		cfg.AppName = "Reconnect"
	}
	if len(cfg.DefaultScopes) == 0 {
		cfg.DefaultScopes = []string{"read_vehicle_info", "read_vin", "read_odometer"}
	}
	if cfg.WebhookID == "" {
		cfg.WebhookID = newID()
	}
	if cfg.WebhookName == "" {
		cfg.WebhookName = cfg.AppName + " webhook"
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	client := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	client.Timeout = cfg.WebhookTimeout
	// A 3xx is a failed delivery, as at Smartcar; following it would hide a
	// misconfigured receiver.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	s := &Sim{
		cfg:           cfg,
		clock:         cfg.Clock,
		log:           cfg.Logger,
		pages:         loadPages(),
		users:         map[string]*user{},
		usersByEmail:  map[string]*user{},
		vehicles:      map[string]*vehicle{},
		vehiclesByVIN: map[string]*vehicle{},
		conns:         map[string]*connection{},
		connByVehicle: map[string]*connection{},
		codes:         map[string]*authCode{},
		access:        map[string]*accessToken{},
		refresh:       map[string]*refreshToken{},
		appTokens:     map[string]time.Time{},
		flows:         map[string]*flow{},
		switches: Switches{
			Concurrency:               4,
			AutoSubscribe:             true,
			RefreshGrace:              Duration(cfg.RefreshGrace),
			ReauthMissingVehicleError: cfg.ReauthMissingVehicleError,
			UnauthorizedMakes:         []string{},
		},
		deliveries: deliveryLog{max: 10000},
	}
	s.pool = newPool(s, client)
	s.stop = make(chan struct{})
	go s.watchSchedule()
	return s
}

// watchSchedule runs scheduled migrations as the clock reaches them, for a
// clock that moves by itself (the wall clock, the demo's offset clock).
func (s *Sim) watchSchedule() {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.runDueMigrations()
		}
	}
}

// Close stops the webhook workers and drops pending retries.
func (s *Sim) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.pool.close()
}

// Now is the simulator's current time.
func (s *Sim) Now() time.Time { return s.clock.Now() }

// ErrNoFakeClock is returned by Advance when the Clock cannot be moved.
var ErrNoFakeClock = errors.New("smartcarsim: the configured clock cannot be advanced")

// Advance moves the clock forward when it is an Advancer.
func (s *Sim) Advance(d time.Duration) error {
	a, ok := s.clock.(Advancer)
	if !ok {
		return ErrNoFakeClock
	}
	a.Advance(d)
	s.runDueMigrations()
	return nil
}

// publicURL is the base for links the simulator hands out.
func (s *Sim) publicURL(r *http.Request) string {
	if s.cfg.PublicURL != "" || r == nil {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// webhookPublicURL is used where no request is at hand.
func (s *Sim) webhookPublicURL() string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	return "http://localhost"
}

const requestIDHeader = "SC-Request-Id"

// withRequestID gives every response an SC-Request-Id; error bodies repeat it.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(requestIDHeader, newID())
		next.ServeHTTP(w, r)
	})
}

func requestID(w http.ResponseWriter) string { return w.Header().Get(requestIDHeader) }

// marshal encodes compactly without HTML escaping, the way Smartcar's
// Node services do, so that a JavaScript receiver re-serialising the parsed
// body gets the same bytes back.
func marshal(v any, pretty bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		panic("smartcarsim: encode: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(marshal(v, false))
}

// writeV2ErrorLocked writes the v2 flat error body; s.mu must be held for
// the legacy_resolution switch.
func (s *Sim) writeV2ErrorLocked(w http.ResponseWriter, e apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.status, e.v2Body(requestID(w), s.switches.LegacyResolution))
}

// writeV3ErrorLocked writes the v3 errors[] body; s.mu must be held.
func (s *Sim) writeV3ErrorLocked(w http.ResponseWriter, e apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.status, e.v3Body(requestID(w), s.switches.LegacyResolution))
}

// writeOAuthError answers the token endpoints in the OAuth shape, which is
// not the API's error shape.
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}
