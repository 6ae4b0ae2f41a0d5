// Package config loads Reconnect's configuration from the environment into one
// typed struct and validates it before anything else starts.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"reconnect/web/paths"
)

// Environments the program knows. Production makes secrets mandatory.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is the whole configuration. It is passed around as a value, never
// read from a global.
type Config struct {
	Env       string `env:"RECONNECT_ENV" envDefault:"development"`
	Addr      string `env:"RECONNECT_ADDR" envDefault:"127.0.0.1:8080"`
	DataDir   string `env:"RECONNECT_DATA_DIR" envDefault:"data"`
	AppName   string `env:"APP_NAME" envDefault:"Reconnect"`
	LogLevel  string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"LOG_FORMAT"`

	DatabaseURL string `env:"DATABASE_URL"`
	// DatabaseMaxConns caps this instance's PostgreSQL connections, the app's
	// pool and the job workers' together (SQLite always uses one).
	DatabaseMaxConns int `env:"DATABASE_MAX_CONNS" envDefault:"35"`
	// MigrateOnStart lets an operator run `reconnect migrate up` as a separate
	// release step instead.
	MigrateOnStart bool `env:"RECONNECT_MIGRATE_ON_START" envDefault:"true"`

	PublicBaseURL string `env:"PUBLIC_BASE_URL" envDefault:"http://127.0.0.1:8080"`
	// SessionKeys: newest first; older keys still decode cookies during a rotation.
	SessionKeys []string `env:"SESSION_KEYS" envSeparator:","`
	// TokenKeys encrypt Smartcar tokens at rest: newest first, older ones still decrypt.
	TokenKeys []string `env:"TOKEN_ENCRYPTION_KEYS" envSeparator:","`
	// CookieSecure overrides the default, which follows PUBLIC_BASE_URL's scheme.
	CookieSecure *bool `env:"COOKIE_SECURE"`

	// ReturnURLAllowList holds the origins (scheme://host[:port]) an owner may be
	// sent back to after a repair.
	ReturnURLAllowList []string `env:"RETURN_URL_ALLOWLIST" envSeparator:","`

	// Link lifetimes: email links are reused for days, in-app links are
	// minted on demand and single use.
	LinkEmailTTL time.Duration `env:"LINK_EMAIL_TTL" envDefault:"168h"`
	LinkInAppTTL time.Duration `env:"LINK_IN_APP_TTL" envDefault:"15m"`

	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	MaxBodyBytes    int64         `env:"MAX_BODY_BYTES" envDefault:"1048576"`

	Smartcar  Smartcar
	Jobs      Jobs
	Detection Detection
	Email     Email
	Console   Console
	Ops       Ops
	Retention Retention
	Brand     Brand
	Support   Support
	Alerts    Alerts
	Campaign  Campaign

	// generated records which secrets were made up for a development run, so the
	// operator is warned that sessions will not survive a restart.
	generated []string
}

// Smartcar holds the credentials and base URLs of the Smartcar platform (or the
// simulator in demo mode).
type Smartcar struct {
	ClientID         string   `env:"SMARTCAR_CLIENT_ID"`
	ClientSecret     string   `env:"SMARTCAR_CLIENT_SECRET"`
	APIClientID      string   `env:"SMARTCAR_API_CLIENT_ID"`
	APIClientSecret  string   `env:"SMARTCAR_API_CLIENT_SECRET"`
	ManagementTokens []string `env:"SMARTCAR_MANAGEMENT_TOKEN" envSeparator:","`
	RedirectURI      string   `env:"SMARTCAR_REDIRECT_URI"`
	Mode             string   `env:"SMARTCAR_MODE" envDefault:"live"`
	// Scopes asked for when an owner has to go through a full Connect.
	Scopes        []string `env:"SMARTCAR_SCOPES" envSeparator:" " envDefault:"read_vehicle_info"`
	ConnectURL    string   `env:"SMARTCAR_CONNECT_URL" envDefault:"https://connect.smartcar.com"`
	AuthURL       string   `env:"SMARTCAR_AUTH_URL" envDefault:"https://auth.smartcar.com"`
	IAMURL        string   `env:"SMARTCAR_IAM_URL" envDefault:"https://iam.smartcar.com"`
	APIURL        string   `env:"SMARTCAR_API_URL" envDefault:"https://api.smartcar.com"`
	VehicleAPIURL string   `env:"SMARTCAR_VEHICLE_API_URL" envDefault:"https://vehicle.api.smartcar.com"`
	ManagementURL string   `env:"SMARTCAR_MANAGEMENT_URL" envDefault:"https://management.smartcar.com"`
}

// Jobs tunes the durable job queue.
type Jobs struct {
	MaxWorkers    int           `env:"JOBS_MAX_WORKERS" envDefault:"50"`
	FetchCooldown time.Duration `env:"JOBS_FETCH_COOLDOWN" envDefault:"50ms"`
	FetchPoll     time.Duration `env:"JOBS_FETCH_POLL_INTERVAL" envDefault:"500ms"`
	RescueAfter   time.Duration `env:"JOBS_RESCUE_STUCK_AFTER" envDefault:"10m"`
}

// Detection tunes the webhooks sent to the host, token keep-alive and the
// optional health check.
type Detection struct {
	// HostWebhookURL receives vehicle.* webhooks; empty sends none.
	HostWebhookURL string `env:"HOST_WEBHOOK_URL"`
	// HostWebhookSecret signs them ("whsec_" + base64, Standard Webhooks).
	HostWebhookSecret   string `env:"HOST_WEBHOOK_SECRET"`
	HostWebhookAttempts int    `env:"HOST_WEBHOOK_MAX_ATTEMPTS" envDefault:"12"`
	// TokenRefreshWindow: legacy v2 pairs are refreshed this long before
	// their 60-day refresh token expires.
	TokenRefreshWindow  time.Duration `env:"TOKEN_REFRESH_WINDOW" envDefault:"336h"`
	TokenKeepAliveEvery time.Duration `env:"TOKEN_KEEPALIVE_INTERVAL" envDefault:"1h"`
	// HealthCheckEvery is how often each vehicle is probed; 0 turns the
	// health check off.
	HealthCheckEvery time.Duration `env:"HEALTH_CHECK_INTERVAL" envDefault:"0s"`
	// HealthCheckRate caps health-check calls per second (per instance leader).
	HealthCheckRate float64 `env:"HEALTH_CHECK_RATE" envDefault:"1"`
}

// Error names the variable that is wrong and what it expects.
type Error struct {
	Var    string
	Expect string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Var, e.Expect) }

// Load reads the environment through lookup (os.LookupEnv in main; a map in
// tests) and validates the result.
func Load(environ map[string]string) (Config, error) {
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: environ}); err != nil {
		var agg env.AggregateError
		if errors.As(err, &agg) && len(agg.Errors) > 0 {
			return c, describe(agg.Errors[0])
		}
		return c, fmt.Errorf("config: %w", err)
	}
	if err := c.validate(); err != nil {
		return c, err
	}
	return c, nil
}

func describe(err error) *Error {
	var pe env.ParseError
	if errors.As(err, &pe) {
		want := "a valid " + pe.Type.String()
		switch pe.Type {
		case reflect.TypeOf(time.Duration(0)):
			want = "a duration such as 15s or 10m"
		case reflect.TypeOf(0), reflect.TypeOf(int64(0)):
			want = "a whole number"
		case reflect.TypeOf(true), reflect.TypeOf(new(bool)):
			want = "true or false"
		}
		return &Error{Var: envName(reflect.TypeOf(Config{}), pe.Name), Expect: want}
	}
	return &Error{Var: "environment", Expect: err.Error()}
}

// envName finds the variable behind a struct field, because the parser's
// errors name the Go field, which would mean nothing to an operator.
func envName(t reflect.Type, field string) string {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Name == field {
			if tag := f.Tag.Get("env"); tag != "" {
				return strings.Split(tag, ",")[0]
			}
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
			if n := envName(f.Type, field); n != field {
				return n
			}
		}
	}
	return field
}

func (c *Config) validate() error {
	switch c.Env {
	case EnvDevelopment, EnvProduction:
	default:
		return &Error{"RECONNECT_ENV", `"development" or "production"`}
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "reconnect.db")
	}
	if _, _, err := ParseDatabaseURL(c.DatabaseURL); err != nil {
		return &Error{"DATABASE_URL", `"sqlite:<path>" or "postgres://user@host:port/db"`}
	}
	if c.DatabaseMaxConns < 6 || c.DatabaseMaxConns > 1000 {
		return &Error{"DATABASE_MAX_CONNS", "a number of connections from 6 to 1000"}
	}
	u, err := url.Parse(c.PublicBaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{"PUBLIC_BASE_URL", "an absolute http(s) URL such as https://reconnect.example.com"}
	}
	c.PublicBaseURL = strings.TrimRight(c.PublicBaseURL, "/")
	if c.Env == EnvProduction && u.Scheme != "https" {
		return &Error{"PUBLIC_BASE_URL", "an https URL in production"}
	}
	for _, o := range c.ReturnURLAllowList {
		ou, err := url.Parse(o)
		if err != nil || (ou.Scheme != "http" && ou.Scheme != "https") || ou.Host == "" || (ou.Path != "" && ou.Path != "/") {
			return &Error{"RETURN_URL_ALLOWLIST", "comma-separated origins such as https://app.example.com"}
		}
	}
	if err := c.secret(&c.SessionKeys, "SESSION_KEYS", 64); err != nil {
		return err
	}
	if err := c.secret(&c.TokenKeys, "TOKEN_ENCRYPTION_KEYS", 32); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &Error{"LOG_LEVEL", `one of debug, info, warn, error`}
	}
	switch c.LogFormat {
	case "":
		c.LogFormat = "text"
		if c.Env == EnvProduction {
			c.LogFormat = "json"
		}
	case "text", "json":
	default:
		return &Error{"LOG_FORMAT", `"text" or "json"`}
	}
	if c.Env == EnvProduction && len(c.Smartcar.ManagementTokens) == 0 {
		return &Error{"SMARTCAR_MANAGEMENT_TOKEN", "the Application Management Token (required in production)"}
	}
	for name, raw := range map[string]string{
		"SMARTCAR_CONNECT_URL": c.Smartcar.ConnectURL, "SMARTCAR_AUTH_URL": c.Smartcar.AuthURL,
		"SMARTCAR_IAM_URL": c.Smartcar.IAMURL, "SMARTCAR_API_URL": c.Smartcar.APIURL,
		"SMARTCAR_VEHICLE_API_URL": c.Smartcar.VehicleAPIURL, "SMARTCAR_MANAGEMENT_URL": c.Smartcar.ManagementURL,
	} {
		if su, err := url.Parse(raw); err != nil || su.Host == "" || (su.Scheme != "http" && su.Scheme != "https") {
			return &Error{name, "an absolute http(s) URL"}
		}
	}
	if c.Smartcar.RedirectURI == "" {
		c.Smartcar.RedirectURI = c.PublicBaseURL + paths.ConnectCallback()
	}
	switch c.Smartcar.Mode {
	case "live", "simulated", "test":
	default:
		return &Error{"SMARTCAR_MODE", `"live", "simulated" or "test"`}
	}
	if c.LinkEmailTTL < time.Hour || c.LinkInAppTTL < time.Minute || c.LinkInAppTTL > 24*time.Hour {
		return &Error{"LINK_EMAIL_TTL / LINK_IN_APP_TTL", "at least 1h for email links; between 1m and 24h for in-app links"}
	}
	if c.Jobs.MaxWorkers < 1 {
		return &Error{"JOBS_MAX_WORKERS", "a positive number"}
	}
	if c.Jobs.FetchPoll < c.Jobs.FetchCooldown {
		return &Error{"JOBS_FETCH_POLL_INTERVAL", "a duration no shorter than JOBS_FETCH_COOLDOWN"}
	}
	if err := c.Detection.validate(); err != nil {
		return err
	}
	if err := c.Retention.validate(); err != nil {
		return err
	}
	if err := c.Email.validate(); err != nil {
		return err
	}
	if err := c.Campaign.validate(); err != nil {
		return err
	}
	if err := c.Support.validate(); err != nil {
		return err
	}
	if err := c.Console.validate(c.Env); err != nil {
		return err
	}
	if err := c.Ops.validate(); err != nil {
		return err
	}
	if err := c.Brand.validate(); err != nil {
		return err
	}
	if err := c.Alerts.validate(); err != nil {
		return err
	}
	return nil
}

// secret checks that every key is base64 of exactly size bytes. In development
// a missing key is generated so that `make run` needs nothing set.
func (c *Config) secret(keys *[]string, name string, size int) error {
	if len(*keys) == 0 {
		if c.Env == EnvProduction {
			return &Error{name, fmt.Sprintf("at least one base64 key of %d bytes (required in production; make one with `reconnect keygen`)", size)}
		}
		*keys = []string{NewKey(size)}
		c.generated = append(c.generated, name)
		return nil
	}
	for _, k := range *keys {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k))
		if err != nil || len(b) != size {
			return &Error{name, fmt.Sprintf("comma-separated base64 keys of %d bytes each", size)}
		}
	}
	return nil
}

// Generated lists the secrets that were made up for this run.
func (c Config) Generated() []string { return c.generated }

// Secure reports whether cookies must carry the Secure flag.
func (c Config) Secure() bool {
	if c.CookieSecure != nil {
		return *c.CookieSecure
	}
	return strings.HasPrefix(c.PublicBaseURL, "https://")
}

// DecodedKeys returns the base64-decoded keys.
func DecodedKeys(keys []string) [][]byte {
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(k))
		out = append(out, b)
	}
	return out
}

// NewKey returns a fresh random base64 key of size bytes.
func NewKey(size int) string {
	b := make([]byte, size)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Dialects of DATABASE_URL.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// ParseDatabaseURL splits DATABASE_URL into a dialect and the driver's DSN.
func ParseDatabaseURL(raw string) (dialect, dsn string, err error) {
	switch {
	case strings.HasPrefix(raw, "sqlite:"):
		p := strings.TrimPrefix(raw, "sqlite:")
		p = strings.TrimPrefix(p, "//")
		if p == "" {
			return "", "", errors.New("empty sqlite path")
		}
		return SQLite, p, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return "", "", errors.New("bad postgres URL")
		}
		return Postgres, raw, nil
	}
	return "", "", errors.New("unknown database URL")
}

// Redacted returns the configuration as name/value pairs with every secret
// replaced, for `reconnect config`.
func (c Config) Redacted() [][2]string {
	red := func(s string) string {
		if s == "" {
			return ""
		}
		return "[redacted]"
	}
	redList := func(l []string) string {
		if len(l) == 0 {
			return ""
		}
		return fmt.Sprintf("[redacted: %d key(s)]", len(l))
	}
	dbURL := c.DatabaseURL
	if u, err := url.Parse(dbURL); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "redacted")
			dbURL = u.String()
		}
	}
	secure := c.Secure()
	return append([][2]string{
		{"RECONNECT_ENV", c.Env},
		{"RECONNECT_ADDR", c.Addr},
		{"RECONNECT_DATA_DIR", c.DataDir},
		{"APP_NAME", c.AppName},
		{"LOG_LEVEL", c.LogLevel},
		{"LOG_FORMAT", c.LogFormat},
		{"DATABASE_URL", dbURL},
		{"RECONNECT_MIGRATE_ON_START", fmt.Sprint(c.MigrateOnStart)},
		{"PUBLIC_BASE_URL", c.PublicBaseURL},
		{"SESSION_KEYS", redList(c.SessionKeys)},
		{"TOKEN_ENCRYPTION_KEYS", redList(c.TokenKeys)},
		{"COOKIE_SECURE", fmt.Sprint(secure)},
		{"RETURN_URL_ALLOWLIST", strings.Join(c.ReturnURLAllowList, ",")},
		{"LINK_EMAIL_TTL", c.LinkEmailTTL.String()},
		{"LINK_IN_APP_TTL", c.LinkInAppTTL.String()},
		{"SHUTDOWN_TIMEOUT", c.ShutdownTimeout.String()},
		{"MAX_BODY_BYTES", fmt.Sprint(c.MaxBodyBytes)},
		{"SMARTCAR_CLIENT_ID", c.Smartcar.ClientID},
		{"SMARTCAR_CLIENT_SECRET", red(c.Smartcar.ClientSecret)},
		{"SMARTCAR_API_CLIENT_ID", c.Smartcar.APIClientID},
		{"SMARTCAR_API_CLIENT_SECRET", red(c.Smartcar.APIClientSecret)},
		{"SMARTCAR_MANAGEMENT_TOKEN", redList(c.Smartcar.ManagementTokens)},
		{"SMARTCAR_REDIRECT_URI", c.Smartcar.RedirectURI},
		{"SMARTCAR_MODE", c.Smartcar.Mode},
		{"SMARTCAR_SCOPES", strings.Join(c.Smartcar.Scopes, " ")},
		{"SMARTCAR_CONNECT_URL", c.Smartcar.ConnectURL},
		{"SMARTCAR_AUTH_URL", c.Smartcar.AuthURL},
		{"SMARTCAR_IAM_URL", c.Smartcar.IAMURL},
		{"SMARTCAR_API_URL", c.Smartcar.APIURL},
		{"SMARTCAR_VEHICLE_API_URL", c.Smartcar.VehicleAPIURL},
		{"SMARTCAR_MANAGEMENT_URL", c.Smartcar.ManagementURL},
		{"JOBS_MAX_WORKERS", fmt.Sprint(c.Jobs.MaxWorkers)},
		{"JOBS_FETCH_COOLDOWN", c.Jobs.FetchCooldown.String()},
		{"JOBS_FETCH_POLL_INTERVAL", c.Jobs.FetchPoll.String()},
		{"JOBS_RESCUE_STUCK_AFTER", c.Jobs.RescueAfter.String()},
		{"SMTP_URL", c.Email.redactedURL()},
		{"MAIL_FROM", c.Email.From},
		{"MAIL_REPLY_TO", c.Email.ReplyTo},
		{"SUPPORT_URL", c.Support.URL},
		{"SUPPORT_EMAIL", c.Support.Email},
		{"EMAIL_DEBOUNCE", c.Email.Debounce.String()},
		{"EMAIL_REMINDERS", c.Email.reminders()},
		{"EMAIL_MAX", fmt.Sprint(c.Email.Max)},
		{"EMAIL_MIN_INTERVAL", c.Email.MinInterval.String()},
		{"EMAIL_QUIET_HOURS", c.Email.QuietHoursRaw},
		{"EMAIL_TIME_ZONE", c.Email.TimeZone},
		{"EMAIL_RATE", fmt.Sprint(c.Campaign.EmailRate)},
		{"CAMPAIGN_FIRST_WAVE", fmt.Sprintf("%d%%", c.Campaign.FirstWave)},
		{"CAMPAIGN_WAVE_HOLD", c.Campaign.WaveHold.String()},
		{"CAMPAIGN_RATE", fmt.Sprint(c.Campaign.Rate)},
		{"HOST_WEBHOOK_URL", c.Detection.HostWebhookURL},
		{"HOST_WEBHOOK_SECRET", red(c.Detection.HostWebhookSecret)},
		{"HOST_WEBHOOK_MAX_ATTEMPTS", fmt.Sprint(c.Detection.HostWebhookAttempts)},
		{"TOKEN_REFRESH_WINDOW", c.Detection.TokenRefreshWindow.String()},
		{"TOKEN_KEEPALIVE_INTERVAL", c.Detection.TokenKeepAliveEvery.String()},
		{"HEALTH_CHECK_INTERVAL", c.Detection.HealthCheckEvery.String()},
		{"HEALTH_CHECK_RATE", fmt.Sprint(c.Detection.HealthCheckRate)},
		{"STAFF_SESSION_IDLE_TIMEOUT", c.Console.IdleTimeout.String()},
		{"STAFF_SESSION_MAX_AGE", c.Console.SessionMaxAge.String()},
		{"STAFF_LOGIN_MAX_FAILURES", fmt.Sprint(c.Console.MaxFailures)},
		{"STAFF_LOCKOUT_DURATION", c.Console.LockFor.String()},
		{"STAFF_PASSWORD_LINK_TTL", c.Console.PasswordLinkTTL.String()},
		{"IMPERSONATION_TTL", c.Console.ImpersonationTTL.String()},
		{"STAFF_OIDC_ISSUER", c.Console.OIDC.Issuer},
		{"STAFF_OIDC_CLIENT_ID", c.Console.OIDC.ClientID},
		{"STAFF_OIDC_CLIENT_SECRET", red(c.Console.OIDC.ClientSecret)},
		{"STAFF_OIDC_PROVIDER_NAME", c.Console.OIDC.ProviderName},
		{"STAFF_OIDC_SCOPES", strings.Join(c.Console.OIDC.Scopes, " ")},
		{"STAFF_OIDC_GROUPS_CLAIM", c.Console.OIDC.GroupsClaim},
		{"STAFF_OIDC_ADMIN_GROUPS", strings.Join(c.Console.OIDC.AdminGroups, ",")},
		{"STAFF_OIDC_AGENT_GROUPS", strings.Join(c.Console.OIDC.AgentGroups, ",")},
		{"STAFF_PASSWORD_LOGIN", fmt.Sprint(c.Console.OIDC.PasswordLogin)},
		{"METRICS_ADDR", c.Ops.MetricsAddr},
		{"METRICS_TOKEN", red(c.Ops.MetricsToken)},
		{"TRUSTED_PROXIES", strings.Join(c.Ops.TrustedProxies, ",")},
		{"RETENTION_TIMELINE", c.Retention.Timeline.String()},
		{"RETENTION_EMAILS", c.Retention.Emails.String()},
		{"BRAND_LOGO", c.Brand.LogoSource},
		{"BRAND_COLOR", c.Brand.Color},
		{"APP_BENEFIT", c.Brand.Benefit},
		{"APP_BENEFIT_DE", c.Brand.BenefitDE},
		{"APP_BENEFIT_FR", c.Brand.BenefitFR},
		{"APP_BENEFIT_ES", c.Brand.BenefitES},
		{"OEM_LINKS_FILE", c.Brand.OEMLinksFile},
	}, c.Alerts.redacted()...)
}
