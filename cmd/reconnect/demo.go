package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"reconnect/internal/app"
	"reconnect/internal/audit"
	"reconnect/internal/config"
	"reconnect/internal/demo"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/smartcarsim"
	"reconnect/internal/staff"
	"reconnect/internal/store"
	"reconnect/web/paths"
)

// cmdDemo runs the app on a fresh SQLite database and the Smartcar simulator
// beside it, seeded, so the whole journey works offline.
func cmdDemo(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(env, "RECONNECT_ADDR", "127.0.0.1:8080"), "app listen address")
	simAddr := fs.String("sim-addr", envOr(env, "SIM_ADDR", "localhost:8081"), "simulator listen address")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	appURL, simURL := "http://"+*addr, "http://"+*simAddr
	dataDir := envOr(env, "RECONNECT_DATA_DIR", "data")
	dbPath := filepath.Join(dataDir, "demo.db")
	// The simulator forgets everything on restart, so the demo database
	// starts afresh too.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(dbPath + suffix)
	}
	appEnv := demo.AppEnv(appURL, simURL)
	for k, v := range env {
		if _, set := appEnv[k]; !set {
			appEnv[k] = v
		}
	}
	appEnv["RECONNECT_ADDR"] = *addr
	appEnv["DATABASE_URL"] = "sqlite:" + dbPath

	// Mail goes over real SMTP to a server inside this process; /dev/inbox
	// shows what it received. Short waits so the demo's emails arrive while
	// someone is watching.
	smtpSrv, err := devsmtp.Start(devsmtp.Options{})
	if err != nil {
		return err
	}
	defer smtpSrv.Close()
	appEnv["SMTP_URL"] = smtpSrv.URL()
	appEnv["MAIL_FROM"] = "ChargeWell <noreply@chargewell.example>"
	for k, v := range map[string]string{"EMAIL_DEBOUNCE": "20s", "EMAIL_QUIET_HOURS": "off"} {
		if env[k] == "" {
			appEnv[k] = v
		}
	}

	cfg, err := config.Load(appEnv)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg, stderr)

	simLn, err := net.Listen("tcp", *simAddr)
	if err != nil {
		return fmt.Errorf("simulator: listen on %s (--sim-addr): %w", *simAddr, err)
	}
	simCfg := demo.SimConfig(appURL, simURL)
	simCfg.Logger = log.With("component", "simulator")
	sim := smartcarsim.New(simCfg)
	defer sim.Close()
	simSrv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := simSrv.Serve(simLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("simulator stopped", "err", err)
		}
	}()

	a, err := app.New(ctx, cfg, log, app.WithDevInbox(smtpSrv.Inbox))
	if err != nil {
		return err
	}
	if err := a.Start(ctx, nil); err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}
	seeded, err := demo.Seed(ctx, a, sim)
	if err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}
	if _, err := sim.SetWebhook(appURL+"/webhooks/smartcar", demo.ManagementToken, "4.0"); err == nil {
		vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := sim.VerifyWebhook(vctx); err != nil {
			log.Warn("the simulator could not verify the app's webhook; webhook events will not flow", "err", err)
		}
		cancel()
	}

	// A migration campaign, a draft for the console to launch, and the
	// carmaker's cut-over it announces, scheduled in the simulator.
	camp, err := demo.SeedCampaign(ctx, a, sim)
	if err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}

	// A support admin, so the console can be tried too.
	staffSvc := staff.New(a.Store, audit.New(a.Store), staff.Config{BaseURL: appURL, PasswordLinkTTL: cfg.Console.PasswordLinkTTL})
	_, staffLink, err := staffSvc.Create(ctx, audit.Actor{StaffEmail: "(demo)"}, "support@example.com", "Sam Support", store.RoleAdmin)
	if err != nil {
		_ = a.Shutdown(context.Background())
		return fmt.Errorf("demo: staff: %w", err)
	}

	fmt.Fprintf(stdout, "\nReconnect demo\n  app:        %s\n  simulator:  %s  (any email and password log in; the owners below have their own cars)\n", appURL, simURL)
	fmt.Fprintf(stdout, "  inbox:      %s/dev/inbox  (every email the app sends, over SMTP to %s; the first ones arrive within a minute)\n\n", appURL, smtpSrv.Addr())
	for _, s := range seeded {
		fmt.Fprintf(stdout, "  %-11s %-18s %s\n", s.Owner.HostUserID, s.Owner.Email, s.Link)
	}
	fmt.Fprintf(stdout, "  console     support@example.com  %s  (set a password, then sign in at %s/console)\n", staffLink.URL, appURL)
	fmt.Fprintf(stdout, "\nThings to try:\n")
	fmt.Fprintf(stdout, "  open demo-alice's link, press Reconnect on the Tesla, log in as alice@example.com\n")
	fmt.Fprintf(stdout, "  a migration campaign: Teslas switch to a new sign-in at %s UTC (notices at %s from it, in minutes).\n", camp.CutoverAt.Format("15:04"), demoOffsets())
	fmt.Fprintf(stdout, "    launch the draft at %s%s, open demo-alice's link and reconnect her Tesla early;\n", appURL, paths.ConsoleCampaign(camp.ID, nil))
	fmt.Fprintf(stdout, "    at the cut-over the simulator breaks the Teslas of owners who did not, and the follow-up begins (mail at %s/dev/inbox)\n", appURL)
	fmt.Fprintf(stdout, "  break every Tesla:   curl -X POST %s/_control/migrations -d '{\"make\":\"TESLA\"}'\n", simURL)
	fmt.Fprintf(stdout, "  list the vehicles:   curl %s/_control/vehicles\n", simURL)
	fmt.Fprintf(stdout, "  a fresh link:        reconnect link --owner demo-carol (with DATABASE_URL=sqlite:%s)\n\nCtrl-C stops the demo.\n", dbPath)

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	_ = simSrv.Shutdown(sctx)
	return a.Shutdown(sctx)
}

// demoOffsets writes the demo campaign's schedule as the console does.
func demoOffsets() string {
	out := make([]string, len(demo.CampaignOffsets))
	for i, d := range demo.CampaignOffsets {
		switch {
		case d == 0:
			out[i] = "0"
		case d > 0:
			out[i] = fmt.Sprintf("+%dm", int(d/time.Minute))
		default:
			out[i] = fmt.Sprintf("%dm", int(d/time.Minute))
		}
	}
	return strings.Join(out, ", ")
}

func envOr(env map[string]string, key, def string) string {
	if v := env[key]; v != "" {
		return v
	}
	return def
}
