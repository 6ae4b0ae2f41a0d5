// Package web is what every audience shares: the Echo instance, its
// middleware, the one error handler, the operations endpoints, and the
// route table (routes.go) that puts each audience's handlers behind their
// middleware. The audiences live in their own packages below (owner, api,
// webhook, console, devinbox) and never import each other; what they share
// lives further down (render, viewer, paths, session, middleware).
package web

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"reconnect/internal/audit"
	"reconnect/internal/campaign"
	"reconnect/internal/config"
	"reconnect/internal/database"
	"reconnect/internal/erasure"
	"reconnect/internal/i18n"
	"reconnect/internal/ingest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/mail"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/notify"
	"reconnect/internal/repair"
	"reconnect/internal/staff"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	"reconnect/web/api"
	"reconnect/web/brand"
	"reconnect/web/console"
	"reconnect/web/devinbox"
	"reconnect/web/middleware"
	"reconnect/web/owner"
	"reconnect/web/paths"
	"reconnect/web/session"
	"reconnect/web/viewer"
	"reconnect/web/webhook"
)

// Deps is everything the web layer needs, built once in internal/app.
type Deps struct {
	Config   config.Config
	Logger   *slog.Logger
	DB       *database.DB
	Store    *store.Store
	I18n     *i18n.Catalog
	Registry *prometheus.Registry

	Links  *links.Service
	Repair *repair.Service
	// FreshLinks gives owners a new link when they or staff ask for one.
	FreshLinks *notify.FreshLinks
	// MailReports records bounces and complaints the host's mail provider
	// reports.
	MailReports *notify.Service
	// Unsubscriber serves the unsubscribe link in every email.
	Unsubscriber owner.Unsubscriber
	// DevInbox, in demo mode, is what the in-process SMTP server received;
	// without it there is no /dev/inbox.
	DevInbox *devsmtp.Inbox
	// Ingest records and applies webhooks and reported errors (detection).
	Ingest *ingest.Service
	// Lifecycle saves the vehicles the host pushes, with what follows
	// (a running campaign takes in a car that matches).
	Lifecycle *lifecycle.Machine
	// Campaigns runs migration campaigns: their API (503 without it), the
	// console's campaign pages, and which campaign each car follows, for
	// the owner's card and the host's status.
	Campaigns *campaign.Service
	// Mail sends the console's test emails to staff; nil while email is off.
	Mail mail.Sender
	// Staff and Audit run the support console: staff accounts, sessions,
	// views as an owner, and the trail of what staff do. Without Staff
	// nobody can view as an owner.
	Staff *staff.Service
	Audit *audit.Log
	// InboxRetries lets admins put events that failed for good back in line.
	InboxRetries *ingest.Retries
	// Erasure erases an owner's personal data (the host's API).
	Erasure *erasure.Service
	// Brand is the host's logo and colour; nil builds it from Config.
	Brand *brand.Assets
	// StaffOIDC signs staff in through the company's identity provider;
	// nil when STAFF_OIDC_ISSUER is not set.
	StaffOIDC *staff.OIDC
}

// Server holds the Echo instance and what the shared parts use.
type Server struct {
	log        *slog.Logger
	appName    string
	brand      *brand.Assets
	db         *database.DB
	registry   *prometheus.Registry
	freshLinks *notify.FreshLinks
	e          *echo.Echo
	// scrape serves the registry, on the metrics listener and, with
	// metricsToken, on the public one.
	scrape       http.Handler
	metricsToken string
	// support is offered on the error pages too: an owner may be stuck there.
	support config.Support
}

// handlers are the audiences' handlers and what their middleware needs.
type handlers struct {
	sessions *session.Manager
	i18n     *i18n.Catalog
	// brand serves the host's logo and colour.
	brand   *brand.Assets
	owner   *owner.Handler
	api     *api.Handler
	webhook *webhook.Handler
	console *console.Handler
	// devInbox is nil unless the demo configured one.
	devInbox *devinbox.Handler
}

// New builds the server: each audience's handler from only what it uses,
// the middleware, and the routes.
func New(d Deps) (*Server, error) {
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
		d.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if d.I18n == nil {
		d.I18n = i18n.MustNew()
	}
	cfg := d.Config
	brandAssets := d.Brand
	if brandAssets == nil {
		brandAssets = brand.New(cfg.AppName, cfg.PublicBaseURL, cfg.Brand)
	}
	sessions := session.New(config.DecodedKeys(cfg.SessionKeys), cfg.Secure(), 12*3600)
	h := handlers{sessions: sessions, i18n: d.I18n, brand: brandAssets}
	h.console = &console.Handler{
		AppName: cfg.AppName, PublicBaseURL: cfg.PublicBaseURL, Secure: cfg.Secure(), Log: d.Logger, DB: d.DB, Store: d.Store, I18n: d.I18n,
		Sessions: sessions, Staff: d.Staff, Audit: d.Audit, Campaigns: d.Campaigns,
		PasswordOff: !cfg.Console.OIDC.PasswordLogin,
		Sending: console.Sending{CampaignRate: cfg.Campaign.Rate, EmailRate: cfg.Campaign.EmailRate,
			FirstWave: cfg.Campaign.FirstWave, WaveHold: cfg.Campaign.WaveHold, MinInterval: cfg.Email.MinInterval},
	}
	if d.Mail != nil {
		// Assigned only when set, so that a missing one stays a nil interface.
		h.console.Mail = d.Mail
	}
	if d.StaffOIDC != nil {
		// Assigned only when set, so that a missing one stays a nil interface.
		h.console.SSO = d.StaffOIDC
	}
	// Owner pages ask the console first: staff viewing as an owner see the
	// owner's pages read-only, under a banner, and every page is audited.
	var impersonation viewer.Impersonation
	if d.Staff != nil {
		impersonation = h.console
	}
	h.owner = &owner.Handler{
		AppName: cfg.AppName, Brand: brandAssets.Page(), PublicBaseURL: cfg.PublicBaseURL, Log: d.Logger, Store: d.Store, I18n: d.I18n,
		OEMLinks: vehicletext.NewOEMLinks(cfg.Brand.OEMLinks),
		Sessions: sessions, Viewer: viewer.New(sessions, d.Store, d.I18n, impersonation),
		Links: d.Links, Repair: d.Repair, Unsubscriber: d.Unsubscriber,
		SupportURL: cfg.Support.URL, SupportEmail: cfg.Support.Email,
	}
	if d.InboxRetries != nil {
		h.console.Inbox = d.InboxRetries
	}
	if d.FreshLinks != nil {
		// Assigned only when set, so that a missing one stays a nil interface.
		h.owner.FreshLinks, h.console.FreshLinks = d.FreshLinks, d.FreshLinks
	}
	h.api = &api.Handler{AppName: cfg.AppName, Log: d.Logger, Store: d.Store, I18n: d.I18n, Links: d.Links, Ingest: d.Ingest, Erasure: d.Erasure, Campaigns: d.Campaigns}
	if d.Lifecycle != nil {
		// Assigned only when set, so that a missing one stays a nil interface.
		h.api.Vehicles = d.Lifecycle
	}
	if d.MailReports != nil {
		h.api.MailReports = d.MailReports
	}
	if d.Campaigns != nil {
		// Assigned only when set, so that a missing one stays a nil interface.
		h.api.Campaigns, h.owner.Campaigns = d.Campaigns, d.Campaigns
	}
	if loc, err := time.LoadLocation(cfg.Email.TimeZone); err == nil {
		h.api.TimeZone, h.owner.TimeZone = loc, loc
	}
	h.console.OwnerCards = h.owner.Cards()
	h.webhook = &webhook.Handler{Ingest: d.Ingest}
	if d.DevInbox != nil {
		h.devInbox = &devinbox.Handler{AppName: cfg.AppName, Inbox: d.DevInbox}
	}

	s := &Server{log: d.Logger, appName: cfg.AppName, brand: brandAssets, db: d.DB, registry: d.Registry, freshLinks: d.FreshLinks,
		metricsToken: cfg.Ops.MetricsToken, support: cfg.Support}
	// One handler for both listeners: promhttp counts its own scrapes in
	// the registry, and may do so only once.
	s.scrape = promhttp.InstrumentMetricHandler(d.Registry, promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{}))
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ClientIP(cfg.Ops.TrustedProxyNets())
	// HEAD is answered as GET without a body or side effects, for every
	// GET route at once (see middleware.HeadAsGet).
	e.Pre(middleware.HeadAsGet)

	var formTargets []string
	// The console's "Sign in with …" posts, then goes on to the identity
	// provider, whose authorization endpoint shares the issuer's origin.
	if u, err := url.Parse(cfg.Console.OIDC.Issuer); err == nil && u.Host != "" {
		formTargets = append(formTargets, u.Scheme+"://"+u.Host)
	}
	if u, err := url.Parse(cfg.Smartcar.ConnectURL); err == nil && u.Host != "" {
		formTargets = append(formTargets, u.Scheme+"://"+u.Host)
	}
	// The route table's templates, read at the first request (the routes
	// are added below): the metrics' only route labels.
	routeSet := sync.OnceValue(func() map[string]bool {
		set := map[string]bool{}
		for _, r := range e.Routes() {
			// Echo's own catch-alls (a group's 404) answer paths nobody routed.
			if r.Method != echo.RouteNotFound {
				set[r.Path] = true
			}
		}
		return set
	})
	e.Use(
		middleware.Metrics(d.Registry, func(t string) bool { return routeSet()[t] }),
		echomw.RequestID(),
		middleware.RequestLog(d.Logger, paths.RouteSmartcarWebhook),
		echomw.RecoverWithConfig(echomw.RecoverConfig{LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			d.Logger.Error("panic", "err", err, "stack", string(stack))
			return err
		}}),
		middleware.SecurityHeaders(formTargets, brandAssets.ImgSources()),
		echomw.BodyLimitWithConfig(echomw.BodyLimitConfig{
			Limit: strconv.FormatInt(max(cfg.MaxBodyBytes, 1), 10) + "B",
			// A campaign's vehicle list has its own, larger limit.
			Skipper: func(c echo.Context) bool { return c.Path() == paths.RouteAPI+paths.RouteAPICampaignVehiclesCSV },
		}),
	)
	s.e = e
	s.routes(h)
	return s, nil
}

// Routes lists the route table, for tests that walk every route.
func (s *Server) Routes() []*echo.Route { return s.e.Routes() }

// ClientIP is where a request comes from: the socket's peer, or, when that
// peer is one of the trusted proxies, the address it forwarded in
// X-Forwarded-For (read from the right, past every trusted hop). Loopback
// and private networks are trusted only when listed: by default a client
// on the same network could otherwise name any address it liked.
func ClientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Handler is the root handler, for http.Server and tests.
func (s *Server) Handler() http.Handler { return s.e }

// HTTPServer wraps the handler with timeouts that keep slow clients from
// holding connections.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.e,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// MetricsServer serves /metrics alone, for METRICS_ADDR: a listener the
// operator keeps off the internet, so a scrape needs no secret.
func (s *Server) MetricsServer(addr string) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET "+paths.RouteMetrics, s.scrape)
	// Go's profiles, for an operator chasing CPU or memory in production:
	// only here, on the listener that stays on the private network.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return &http.Server{
		Addr: addr, Handler: mux,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// UseLinkMailer replaces the mailer the console and the expired-link page
// send fresh links with (tests record what would be sent).
func (s *Server) UseLinkMailer(m notify.LinkMailer) { s.freshLinks.UseMailer(m) }
