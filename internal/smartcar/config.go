// Package smartcar is Reconnect's own typed client for Smartcar: Connect and
// re-auth URLs, callbacks, tokens, the v2, v3 and management APIs, error
// decoding and classification, and webhooks.
package smartcar

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Mode is the kind of vehicles a Connect session offers.
type Mode string

const (
	// ModeLive connects real vehicles.
	ModeLive Mode = "live"
	// ModeSimulated connects vehicles from Smartcar's simulator.
	ModeSimulated Mode = "simulated"
	// ModeTest connects random test vehicles; Smartcar now calls it deprecated.
	ModeTest Mode = "test"
)

// Smartcar's real origins, used wherever a Config leaves one empty.
const (
	DefaultConnectURL    = "https://connect.smartcar.com"
	DefaultAuthURL       = "https://auth.smartcar.com"
	DefaultIAMURL        = "https://iam.smartcar.com"
	DefaultAPIURL        = "https://api.smartcar.com"
	DefaultVehicleAPIURL = "https://vehicle.api.smartcar.com"
	DefaultManagementURL = "https://management.smartcar.com"
)

// DefaultTimeout bounds every HTTP call when no client is injected.
const DefaultTimeout = 15 * time.Second

const userAgent = "reconnect/1"

// Config holds the origins, credentials and injected dependencies of a Client.
// Every origin is configurable so the client can point at a simulator.
type Config struct {
	ConnectURL string // Connect UI origin
	AuthURL    string // v2 token endpoint origin
	IAMURL     string // v3 application token origin
	// APIURL is the v2 API origin; the client appends /v2.0.
	APIURL string
	// VehicleAPIURL is the v3 API origin; the client appends /v3.
	VehicleAPIURL string
	// ManagementURL is the v2 management origin; the client appends /v2.0/management/connections.
	ManagementURL string

	// ClientID is the Application ID (a UUID); Connect rejects the M2M client_… id.
	ClientID     string
	ClientSecret string
	// APIClientID and APIClientSecret are the M2M credentials for the v3
	// application token; when empty, ClientID and ClientSecret are used.
	APIClientID     string
	APIClientSecret string
	// ManagementToken is the Application Management Token (AMT).
	ManagementToken string
	// RedirectURI must match a registered URI exactly, at authorize and at exchange time.
	RedirectURI string
	// Mode is sent to Connect unless a call overrides it; empty leaves Smartcar's default (live).
	Mode Mode

	HTTPClient *http.Client
	Now        func() time.Time
}

// WithDefaults returns a copy with Smartcar's origins, a client with
// DefaultTimeout and the wall clock filled in where unset.
func (c Config) WithDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.ConnectURL, DefaultConnectURL)
	def(&c.AuthURL, DefaultAuthURL)
	def(&c.IAMURL, DefaultIAMURL)
	def(&c.APIURL, DefaultAPIURL)
	def(&c.VehicleAPIURL, DefaultVehicleAPIURL)
	def(&c.ManagementURL, DefaultManagementURL)
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Client talks to Smartcar. It is safe for concurrent use.
type Client struct {
	cfg   Config
	oauth oauth2.Config
	app   clientcredentials.Config

	mu     sync.Mutex // guards the cached application token
	appTok string
	appExp time.Time
}

// New validates cfg (after WithDefaults) and returns a Client.
func New(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	for _, f := range []struct {
		name string
		val  *string
	}{
		{"ConnectURL", &cfg.ConnectURL}, {"AuthURL", &cfg.AuthURL}, {"IAMURL", &cfg.IAMURL},
		{"APIURL", &cfg.APIURL}, {"VehicleAPIURL", &cfg.VehicleAPIURL}, {"ManagementURL", &cfg.ManagementURL},
	} {
		origin, err := validOrigin(*f.val)
		if err != nil {
			return nil, fmt.Errorf("smartcar: config %s: %w", f.name, err)
		}
		*f.val = origin
	}
	switch cfg.Mode {
	case "", ModeLive, ModeSimulated, ModeTest:
	default:
		return nil, fmt.Errorf("smartcar: config Mode %q: want live, simulated or test", cfg.Mode)
	}
	if cfg.RedirectURI != "" {
		// Custom schemes (sc<clientId>://host) are allowed, so only insist on an absolute URI.
		if u, err := url.Parse(cfg.RedirectURI); err != nil || u.Scheme == "" {
			return nil, fmt.Errorf("smartcar: config RedirectURI %q: want an absolute URI", cfg.RedirectURI)
		}
	}
	c := &Client{cfg: cfg}
	c.oauth = oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURI,
		// Auto-detect would retry a failed exchange with the secret in the body.
		Endpoint: oauth2.Endpoint{
			AuthURL:   cfg.ConnectURL + "/oauth/authorize",
			TokenURL:  cfg.AuthURL + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
	id, secret := cfg.APIClientID, cfg.APIClientSecret
	if id == "" {
		id, secret = cfg.ClientID, cfg.ClientSecret
	}
	c.app = clientcredentials.Config{
		ClientID:     id,
		ClientSecret: secret,
		TokenURL:     cfg.IAMURL + "/oauth2/token",
		AuthStyle:    oauth2.AuthStyleInParams, // Smartcar documents a form body
	}
	return c, nil
}

// Config returns the effective configuration, defaults included.
func (c *Client) Config() Config { return c.cfg }

func validOrigin(raw string) (string, error) {
	raw = strings.TrimRight(raw, "/")
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("want an http or https URL")
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("want scheme://host[:port][/path] without credentials, query or fragment")
	}
	return raw, nil
}
