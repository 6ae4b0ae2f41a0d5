// Package web is the only package tree that knows Echo: the route table, the
// handlers (one file per page or action), the error handler and rendering.
package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"reconnect/internal/audit"
	"reconnect/internal/config"
	"reconnect/internal/database"
	"reconnect/internal/i18n"
	"reconnect/internal/ingest"
	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/notify"
	"reconnect/internal/repair"
	"reconnect/internal/secrets"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
	"reconnect/web/middleware"
	"reconnect/web/session"
)

// Deps is everything the web layer needs, built once in main.
type Deps struct {
	Config   config.Config
	Logger   *slog.Logger
	DB       *database.DB
	Store    *store.Store
	Jobs     *jobs.Queue
	I18n     *i18n.Catalog
	Registry *prometheus.Registry

	Smartcar  *smartcar.Client
	Sealer    *secrets.Sealer
	Lifecycle *lifecycle.Machine
	Links     *links.Service
	Repair    *repair.Service
	// LinkMailer emails owners a fresh link (nil until email is configured).
	LinkMailer notify.LinkMailer
	// Unsubscriber serves the unsubscribe link in every email.
	Unsubscriber Unsubscriber
	// DevInbox, in demo mode, is what the in-process SMTP server received.
	DevInbox *devsmtp.Inbox
	// Ingest records and applies webhooks and reported errors (detection).
	Ingest *ingest.Service
}

// Server holds the Echo instance and the handlers' dependencies.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	db       *database.DB
	store    *store.Store
	jobs     *jobs.Queue
	i18n     *i18n.Catalog
	sessions *session.Manager
	registry *prometheus.Registry
	e        *echo.Echo

	smartcar     *smartcar.Client
	sealer       *secrets.Sealer
	lifecycle    *lifecycle.Machine
	links        *links.Service
	repair       *repair.Service
	freshLinks   *notify.FreshLinks
	unsubscriber Unsubscriber
	devInbox     *devsmtp.Inbox
	ingest       *ingest.Service
	// impersonation, when set, recognises staff viewing as an owner.
	impersonation func(c echo.Context) (viewer, bool, error)
}

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
		d.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if d.I18n == nil {
		d.I18n = i18n.MustNew()
	}
	s := &Server{
		cfg: d.Config, log: d.Logger, db: d.DB, store: d.Store, jobs: d.Jobs, i18n: d.I18n,
		sessions: session.New(config.DecodedKeys(d.Config.SessionKeys), d.Config.Secure(), 12*3600),
		registry: d.Registry,
		smartcar: d.Smartcar, sealer: d.Sealer, lifecycle: d.Lifecycle,
		links: d.Links, repair: d.Repair, freshLinks: notify.NewFreshLinks(d.Store, d.Links, audit.New(d.Store), d.LinkMailer),
		unsubscriber: d.Unsubscriber, devInbox: d.DevInbox,
		ingest: d.Ingest,
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()

	var formTargets []string
	if u, err := url.Parse(d.Config.Smartcar.ConnectURL); err == nil && u.Host != "" {
		formTargets = append(formTargets, u.Scheme+"://"+u.Host)
	}
	e.Use(
		echomw.RequestID(),
		middleware.RequestLog(d.Logger),
		echomw.RecoverWithConfig(echomw.RecoverConfig{LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			d.Logger.Error("panic", "err", err, "stack", string(stack))
			return err
		}}),
		middleware.SecurityHeaders(formTargets...),
		echomw.BodyLimit(strconvFormat(max(d.Config.MaxBodyBytes, 1))+"B"),
		echoprometheus.NewMiddlewareWithConfig(echoprometheus.MiddlewareConfig{
			Registerer: d.Registry, Subsystem: "http",
			Skipper: func(c echo.Context) bool { return c.Path() == "/metrics" },
		}),
	)
	s.e = e
	s.routes()
	return s, nil
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

func (s *Server) metricsHandler() echo.HandlerFunc {
	return echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: s.registry})
}
