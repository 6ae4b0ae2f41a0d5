// Package app assembles Reconnect from its parts: the composition root that
// `serve`, `demo` and the end-to-end tests share.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"reconnect/internal/alerts"
	"reconnect/internal/audit"
	"reconnect/internal/campaign"
	"reconnect/internal/config"
	"reconnect/internal/database"
	"reconnect/internal/erasure"
	"reconnect/internal/hostwebhook"
	"reconnect/internal/i18n"
	"reconnect/internal/ingest"
	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/mail"
	"reconnect/internal/notify"
	"reconnect/internal/repair"
	"reconnect/internal/secrets"
	"reconnect/internal/smartcar"
	"reconnect/internal/staff"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	"reconnect/web"
	"reconnect/web/brand"
)

// App is a running Reconnect instance.
type App struct {
	Config config.Config
	Log    *slog.Logger
	DB     *database.DB
	Store  *store.Store
	Jobs   *jobs.Queue
	Web    *web.Server
	// Smartcar is our client of the Smartcar platform (or the simulator).
	Smartcar *smartcar.Client
	// Sealer encrypts Smartcar tokens at rest.
	Sealer *secrets.Sealer
	// Lifecycle is the one way vehicle states change; features add hooks.
	Lifecycle *lifecycle.Machine
	I18n      *i18n.Catalog
	Registry  *prometheus.Registry
	Links     *links.Service
	Repair    *repair.Service
	// Ingest records and applies Smartcar webhooks and reported errors.
	Ingest *ingest.Service
	// HostWebhooks tells the host app about connection changes.
	HostWebhooks *hostwebhook.Notifier
	// Notify emails owners: the digest, reminders and fresh links.
	Notify *notify.Service
	// FreshLinks serves owners' and staff's asks for a new link.
	FreshLinks *notify.FreshLinks
	// Staff runs the console's accounts, sessions and views as an owner.
	Staff *staff.Service
	// Campaigns runs planned carmaker migrations: cohorts, notices, completion.
	Campaigns *campaign.Service
	// Alerts raises suspected migrations and the "Needs a person" queue.
	Alerts *alerts.Service
	// Mail is the SMTP sender, nil while email is off; the console's test
	// emails go through it directly.
	Mail mail.Sender
	// StaffOIDC signs staff in through the company's identity provider;
	// nil unless STAFF_OIDC_ISSUER is set.
	StaffOIDC *staff.OIDC

	httpServer *http.Server
	// metricsServer serves /metrics on METRICS_ADDR, apart from the public
	// listener; nil when it is off.
	metricsServer *http.Server
	metricsAddr   net.Addr
	started       bool
}

// NewLogger builds the structured logger the configuration asks for.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// New migrates (unless told not to), opens the database and builds every
// part, in the order below. Nothing runs until Start.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.MigrateOnStart {
		if err := database.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
			return nil, err
		}
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, log, database.MaxConns(cfg.DatabaseMaxConns))
	if err != nil {
		return nil, err
	}
	a, err := assemble(cfg, log, db, o)
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// assemble builds the parts on an open database.
func assemble(cfg config.Config, log *slog.Logger, db *database.DB, o options) (*App, error) {
	a := &App{Config: cfg, Log: log, DB: db, Store: store.New(db), I18n: i18n.MustNew()}
	var err error

	// What every part shares: metrics, the token sealer, our Smartcar
	// client, and the job queue (it inserts from now on and works once it
	// has the workers, below).
	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if a.Sealer, err = secrets.NewSealer(config.DecodedKeys(cfg.TokenKeys)); err != nil {
		return nil, err
	}
	if a.Smartcar, err = smartcar.New(SmartcarConfig(cfg)); err != nil {
		return nil, &config.Error{Var: "SMARTCAR_*", Expect: err.Error()}
	}
	if a.Jobs, err = jobs.New(db, jobs.Config{
		MaxWorkers: cfg.Jobs.MaxWorkers, FetchCooldown: cfg.Jobs.FetchCooldown,
		FetchPoll: cfg.Jobs.FetchPoll, RescueAfter: cfg.Jobs.RescueAfter, Logger: log,
	}); err != nil {
		return nil, err
	}

	// Owner links, the host webhooks and the owner's emails.
	a.Links = links.New(a.Store, links.Config{
		PublicBaseURL: cfg.PublicBaseURL, AllowedReturn: cfg.ReturnURLAllowList,
		EmailTTL: cfg.LinkEmailTTL, InAppTTL: cfg.LinkInAppTTL,
	})
	if a.HostWebhooks, err = hostwebhook.New(hostwebhook.Config{
		URL: cfg.Detection.HostWebhookURL, Secret: cfg.Detection.HostWebhookSecret,
		MaxAttempts: cfg.Detection.HostWebhookAttempts,
	}, a.Store, log.With("component", "host_webhook"), a.Registry); err != nil {
		return nil, &config.Error{Var: "HOST_WEBHOOK_SECRET", Expect: err.Error()}
	}
	// The host's brand (logo, colour) on the owners' pages and emails.
	brandAssets := brand.New(cfg.AppName, cfg.PublicBaseURL, cfg.Brand)
	if a.Notify, err = newNotify(a, brandAssets); err != nil {
		return nil, err
	}
	// A new link when an owner asks (a job looks the address up and
	// sends) or staff do (with an entry in the audit log of what staff do).
	auditLog := audit.New(a.Store)
	linkMailer, unsubscriber, devInbox := a.emailDeps(o)
	a.FreshLinks = notify.NewFreshLinks(a.Store, a.Links, auditLog, linkMailer, a.Jobs)
	// The support console's services: staff accounts, sessions and views as
	// an owner.
	a.Staff = staff.New(a.Store, auditLog, staff.Config{
		BaseURL: cfg.PublicBaseURL, PasswordLinkTTL: cfg.Console.PasswordLinkTTL,
		IdleTimeout: cfg.Console.IdleTimeout, SessionMaxAge: cfg.Console.SessionMaxAge,
		MaxFailures: cfg.Console.MaxFailures, LockFor: cfg.Console.LockFor,
		ImpersonationTTL: cfg.Console.ImpersonationTTL,
	})
	if o := cfg.Console.OIDC; o.Enabled() {
		a.StaffOIDC = staff.NewOIDC(a.Staff, staff.OIDCConfig{
			Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: cfg.StaffOIDCRedirectURL(),
			Name: o.ProviderName, Scopes: o.Scopes, GroupsClaim: o.GroupsClaim,
			AdminGroups: o.AdminGroups, AgentGroups: o.AgentGroups,
		})
	}

	// What happens when a car's connection state changes, wherever the
	// change comes from (a Smartcar webhook, an error the host reports, the
	// keep-alive, the owner's repair): the lifecycle writes it on the
	// timeline and, in the same transaction, tells the host (when
	// HOST_WEBHOOK_URL is set) and schedules or stops the owner's emails
	// (when SMTP_URL is set). Nothing else changes a state.
	a.Lifecycle = lifecycle.New(a.Store, a.HostWebhooks.Hook(a.Jobs), a.Notify)
	// When a car changes hands (the host attaches it to someone else, or
	// Smartcar names it under another user), the previous owner's emails
	// about it stop, the new owner's start if it is broken, and the host
	// hears vehicle.owner_changed, in the transaction that recorded it.
	a.Lifecycle.AddOwnerHook(a.HostWebhooks.OwnerHook(a.Jobs))
	a.Lifecycle.AddOwnerHook(a.Notify)

	// Migration campaigns, on the same lifecycle: a vehicle saved while a
	// campaign runs joins it when it matches; a state change that proves a
	// re-authentication completes it there (and tells the host), a decline
	// ends its part; either ends the owner's campaign notices once they
	// have no car left to repair. All in the transaction of the change.
	a.Campaigns = campaign.New(a.Store, a.Lifecycle, a.HostWebhooks.Campaigns(a.Jobs))
	// A campaign without waves of its own gets the configured ones; one
	// whose last wave bounces, draws complaints or fails at Connect pauses
	// itself, tells the host (campaign.paused) and is counted.
	a.Campaigns.Configure(campaign.Settings{FirstWave: cfg.Campaign.FirstWave, WaveHold: cfg.Campaign.WaveHold})
	a.Campaigns.ObserveAutoPauses(campaign.NewAutoPauses(a.Registry))
	// A launch commits its cohort; a job writes the timeline entries and
	// the notices right after, so that a launch of 200,000 cars is short.
	a.Campaigns.SettleLater(a.Jobs)
	a.Lifecycle.AddHook(a.Campaigns)
	a.Lifecycle.AddVehicleHook(a.Campaigns)
	a.Lifecycle.AddOwnerHook(a.Campaigns)
	// Their notices go out with the owner's email job, under the same
	// schedule lock, quiet hours and unsubscribe as every other email.
	a.Notify.SendCampaigns(a.Campaigns)

	// The two ways a state changes: detection (webhooks, reported errors,
	// keep-alive, health checks) and the owner's repair through Connect.
	a.Ingest = ingest.New(a.Store, a.Lifecycle, log, ingest.NewMetrics(a.Registry), ingestConfig(cfg, db))
	a.Repair = repair.New(a.Store, a.Smartcar, a.Lifecycle, a.Sealer, cfg.Smartcar.Scopes, a.Links)
	// Connect's errors are counted, and configuration errors logged for staff.
	a.Repair.ObserveConnectErrors(repair.NewConnectErrors(log.With("component", "repair"), a.Registry))
	// A campaign whose owners' trips to Connect keep failing pauses itself.
	a.Repair.ObserveCampaignFailures(a.Campaigns)

	// Alerts: a make whose cars break together (checked by a periodic job),
	// and owners who need a person: their third failed trip to Connect in
	// an episode of a broken car is told in its transaction.
	a.Alerts = alerts.New(a.Store, alertsConfig(cfg), a.HostWebhooks.Alerts(a.Jobs), log.With("component", "alerts"), a.Registry)
	a.Repair.OnFailedAttempt(a.Alerts)

	// The job workers of every part, and the periodic jobs.
	if err := a.Jobs.Work(a.workers(), a.periodicJobs()...); err != nil {
		return nil, err
	}

	// The web: owners, the host's API, Smartcar's webhooks, the console.
	a.Web, err = web.New(web.Deps{
		Config: cfg, Logger: log, DB: db, Store: a.Store, I18n: a.I18n, Registry: a.Registry,
		Links: a.Links, Repair: a.Repair, Ingest: a.Ingest, Lifecycle: a.Lifecycle, Campaigns: a.Campaigns,
		FreshLinks: a.FreshLinks, MailReports: a.Notify,
		Unsubscriber: unsubscriber, DevInbox: devInbox,
		Staff: a.Staff, Audit: auditLog, Brand: brandAssets, Mail: a.Mail,
		InboxRetries: ingest.NewRetries(a.Store, auditLog, a.Ingest.Processor().Wake),
		// Erasure: the owner's personal data, their jobs, one audit row.
		Erasure:   erasure.New(a.Store, a.Jobs, auditLog),
		StaffOIDC: a.StaffOIDC,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// alertsConfig maps our configuration onto the alerts'.
func alertsConfig(c config.Config) alerts.Config {
	emails := 0
	if c.Email.Enabled() {
		// The schedule sends the first email and each reminder, up to the cap.
		emails = min(c.Email.Max, 1+len(c.Email.Reminders))
	}
	return alerts.Config{MinVehicles: c.Alerts.MigrationMinVehicles, MinShare: c.Alerts.MigrationMinShare,
		Window: c.Alerts.MigrationWindow, Emails: emails}
}

// ingestConfig tunes the webhook pipeline to the database. Acknowledgements
// come first: the processor gives way to the receiver's commits, on SQLite
// for the one connection, on PostgreSQL for the two cores.
func ingestConfig(c config.Config, db *database.DB) ingest.Config {
	cfg := ingest.Config{ManagementTokens: c.Smartcar.ManagementTokens, YieldToReceiver: true}
	if db.IsPostgres() {
		// Two writers overlap one batch's commit with the next batch's
		// insert; a third only split the batches further, and every commit
		// is a sync of the log. Two processors work disjoint batches
		// (SKIP LOCKED).
		cfg.Writer = ingest.WriterConfig{Writers: 2}
		cfg.Processor = ingest.ProcessorConfig{Batch: 250, Workers: 2}
	} else {
		// One connection: the processor's transactions stay short. The
		// linger is half the default: with checkpoints off the writer's
		// path (see internal/database) its commits are cheap enough that
		// answering senders sooner wins more than fuller batches save.
		cfg.Writer = ingest.WriterConfig{Writers: 1, Linger: time.Millisecond}
		cfg.Processor = ingest.ProcessorConfig{Batch: 128, TargetTx: 8 * time.Millisecond}
	}
	return cfg
}

// newNotify builds the owner email service. Without SMTP_URL it has no
// sender: nothing is scheduled, but unsubscribe links from earlier emails
// keep working.
func newNotify(a *App, b *brand.Assets) (*notify.Service, error) {
	e := a.Config.Email
	var sender mail.Sender
	if e.Enabled() {
		snd, err := mail.NewSMTP(mail.Settings{SMTP: e.SMTP, From: e.From, ReplyTo: e.ReplyTo})
		if err != nil {
			return nil, &config.Error{Var: "MAIL_FROM", Expect: err.Error()}
		}
		sender, a.Mail = snd, snd
	} else {
		a.Log.Warn("email is off: owners are not emailed until SMTP_URL and MAIL_FROM are set")
	}
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		return nil, &config.Error{Var: "EMAIL_TIME_ZONE", Expect: err.Error()}
	}
	return notify.New(notify.Config{
		AppName: a.Config.AppName, BaseURL: a.Config.PublicBaseURL,
		Debounce: e.Debounce, Reminders: e.Reminders, Max: e.Max, MinInterval: e.MinInterval,
		Quiet: e.QuietHours, TimeZone: loc, LinkTTL: a.Config.LinkEmailTTL, UnknownRetryAfter: e.UnknownRetryAfter,
		Benefits: a.Config.Brand.Benefits(), OEMLinks: vehicletext.NewOEMLinks(a.Config.Brand.OEMLinks),
		LogoURL: b.EmailLogo(), BrandColor: b.Color(),
		SupportURL: a.Config.Support.URL, SupportEmail: a.Config.Support.Email, ReplyTo: e.ReplyTo != "",
		EmailRate: a.Config.Campaign.EmailRate, CampaignRate: a.Config.Campaign.Rate,
	}, a.Store, a.Links, sender, a.Jobs, a.I18n, a.Log.With("component", "email")), nil
}

// SmartcarConfig maps our configuration onto the Smartcar client's.
func SmartcarConfig(cfg config.Config) smartcar.Config {
	amt := ""
	if len(cfg.Smartcar.ManagementTokens) > 0 {
		amt = cfg.Smartcar.ManagementTokens[0]
	}
	return smartcar.Config{
		ConnectURL: cfg.Smartcar.ConnectURL, AuthURL: cfg.Smartcar.AuthURL, IAMURL: cfg.Smartcar.IAMURL,
		APIURL: cfg.Smartcar.APIURL, VehicleAPIURL: cfg.Smartcar.VehicleAPIURL, ManagementURL: cfg.Smartcar.ManagementURL,
		ClientID: cfg.Smartcar.ClientID, ClientSecret: cfg.Smartcar.ClientSecret,
		APIClientID: cfg.Smartcar.APIClientID, APIClientSecret: cfg.Smartcar.APIClientSecret,
		ManagementToken: amt, RedirectURI: cfg.Smartcar.RedirectURI, Mode: smartcar.Mode(cfg.Smartcar.Mode),
	}.WithDefaults()
}

// Start begins working jobs and serving HTTP on ln (or the configured
// address when ln is nil). It returns once the listener is open.
func (a *App) Start(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", a.Config.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s (RECONNECT_ADDR): %w", a.Config.Addr, err)
		}
	}
	if a.Config.Ops.MetricsOn() {
		mln, err := net.Listen("tcp", a.Config.Ops.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s (METRICS_ADDR): %w", a.Config.Ops.MetricsAddr, err)
		}
		a.metricsAddr = mln.Addr()
		a.metricsServer = a.Web.MetricsServer(mln.Addr().String())
		go func() {
			if err := a.metricsServer.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.Log.Error("metrics server stopped", "err", err)
			}
		}()
	}
	if err := a.Jobs.Start(ctx); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	a.Ingest.Start(ctx)
	if a.StaffOIDC != nil {
		// In the background and bounded: a provider that is down must not
		// keep the app from starting; the first sign-in tries again.
		go func() {
			if err := a.StaffOIDC.Warm(ctx); err != nil {
				a.Log.Warn("staff sign-in: the identity provider cannot be reached yet", "issuer", a.StaffOIDC.Issuer(), "err", err)
			}
		}()
	}
	a.httpServer = a.Web.HTTPServer(ln.Addr().String())
	a.started = true
	go func() {
		if err := a.httpServer.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server stopped", "err", err)
		}
	}()
	a.Log.Info("reconnect listening", "addr", "http://"+ln.Addr().String(), "public", a.Config.PublicBaseURL,
		"metrics", a.Config.Ops.MetricsAddr, "database", a.DB.Dialect)
	return nil
}

// MetricsAddr is where the metrics listener listens, nil when it is off.
func (a *App) MetricsAddr() net.Addr { return a.metricsAddr }

// Shutdown drains in-flight requests, lets running jobs finish, and closes
// the database, all within ctx's deadline.
func (a *App) Shutdown(ctx context.Context) error {
	var errs []error
	if a.httpServer != nil {
		errs = append(errs, a.httpServer.Shutdown(ctx))
	}
	if a.metricsServer != nil {
		errs = append(errs, a.metricsServer.Shutdown(ctx))
	}
	// After the server, so every acknowledged request was written; before
	// the database closes.
	errs = append(errs, a.Ingest.Stop(ctx))
	if a.started {
		errs = append(errs, a.Jobs.Stop(ctx))
	}
	errs = append(errs, a.DB.Close())
	err := errors.Join(errs...)
	if err != nil {
		a.Log.Error("stopped with errors", "err", err)
	} else {
		a.Log.Info("stopped: requests drained, jobs and ingest finished, database closed")
	}
	return err
}

// Environ turns os.Environ into the map config.Load reads.
func Environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
