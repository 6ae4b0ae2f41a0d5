// Command reconnect is the whole product in one binary: the web app, its
// migrations, the Smartcar simulator, the demo and the admin tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"text/tabwriter"
	"time"

	"reconnect/internal/app"
	"reconnect/internal/config"
	"reconnect/internal/database"
)

// exitUsage is the exit code for bad configuration or bad arguments.
const exitUsage = 2

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], app.Environ(), os.Stdout, os.Stderr))
}

type command struct {
	name, usage string
	run         func(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the web app and the job workers", cmdServe},
		{"migrate", "migrate up | status: apply or list the database migrations", cmdMigrate},
		{"demo", "the app and the Smartcar simulator together, seeded (--addr, --sim-addr)", cmdDemo},
		{"sim", "the Smartcar simulator alone (--addr)", cmdSim},
		{"link", "print a fresh owner link: --owner <host user id> [--vehicle <id>] [--purpose email|in_app]", cmdLink},
		{"admin", "create-api-key --name <name> | create-staff --email <address> --role agent|admin | staff-password-link --email <address> | verify-audit | prune-audit --before <date> | secure-audit --owner-role <role> --app-role <role> | erase-owner --owner <host user id>", cmdAdmin},
		{"config", "print the effective configuration, secrets redacted", cmdConfig},
		{"keygen", "print fresh SESSION_KEYS and TOKEN_ENCRYPTION_KEYS values", cmdKeygen},
		{"help", "list the commands", nil},
	}
}

// usageError makes run exit with code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] || c.run == nil {
			continue
		}
		err := c.run(ctx, args[1:], env, stdout, stderr)
		if err == nil {
			return 0
		}
		fmt.Fprintln(stderr, "reconnect:", err)
		var ce *config.Error
		var ue *usageError
		if errors.As(err, &ce) || errors.As(err, &ue) {
			return exitUsage
		}
		return 1
	}
	fmt.Fprintf(stderr, "reconnect: unknown command %q\n\n", args[0])
	printHelp(stderr)
	return exitUsage
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "Reconnect keeps Smartcar vehicle connections healthy.\n\nUsage: reconnect <command> [arguments]\n\nCommands:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.usage)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nConfiguration comes from environment variables; see README.md.")
}

func loadConfig(env map[string]string) (config.Config, error) {
	return config.Load(env)
}

func cmdServe(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg, stderr)
	for _, g := range cfg.Generated() {
		log.Warn("no key configured; generated one for this run only (sessions and stored tokens will not survive a restart)", "variable", g)
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := a.Start(ctx, nil); err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}
	<-ctx.Done()
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	return a.Shutdown(sctx)
}

func cmdMigrate(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return &usageError{"usage: reconnect migrate up|status"}
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg, stderr)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if args[0] == "up" {
		return database.Migrate(ctx, cfg.DatabaseURL, log)
	}
	lines, err := database.Status(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return nil
}

func cmdConfig(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, kv := range cfg.Redacted() {
		fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
	}
	return tw.Flush()
}

func cmdKeygen(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "SESSION_KEYS=%s\nTOKEN_ENCRYPTION_KEYS=%s\n", config.NewKey(64), config.NewKey(32))
	return nil
}

// tuneGC trades memory for throughput unless the operator chose otherwise:
// a webhook burst allocates a lot of short-lived garbage, and collecting less
// often raised the durable ingest rate by about a sixth, while the soft
// memory limit keeps the process near its budget. GOGC and GOMEMLIMIT, when
// set, win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(192 << 20)
	}
}
