package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"reconnect/internal/app"
	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/store"
)

// openAsIs opens the configured database without migrating: the audit
// commands are run by a DBA, often as another role than the app's, and
// tables a migration created as that role would belong to it.
func openAsIs(ctx context.Context, env map[string]string, stderr io.Writer) (*store.Store, func(), error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, nil, err
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, app.NewLogger(cfg, stderr))
	if err != nil {
		return nil, nil, err
	}
	return store.New(db), func() { db.Close() }, nil
}

// cmdVerifyAudit walks the audit chain and reports the first row that does
// not match; it fails (exit 1) when there is one.
func cmdVerifyAudit(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	if len(args) != 0 {
		return &usageError{"usage: reconnect admin verify-audit"}
	}
	st, closeDB, err := openAsIs(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	v, err := audit.New(st).Verify(ctx)
	if err != nil {
		return err
	}
	if v.Anchor != nil {
		fmt.Fprintf(stdout, "The chain starts after pruning: %d rows up to #%d, older than %s, were removed.\n",
			v.Anchor.Rows, v.Anchor.LastID, v.Anchor.Before.Format(time.DateOnly))
	}
	if v.Legacy > 0 {
		fmt.Fprintf(stdout, "%d rows predate the chain; the first chained row covers them.\n", v.Legacy)
	}
	if !v.OK() {
		return fmt.Errorf("audit log row #%d: %s (%d rows checked before it)", v.Break.ID, v.Break.Reason, v.Rows-1)
	}
	fmt.Fprintf(stdout, "%d rows verified. Head: %s\nKeep the head somewhere else: a later verify-audit whose chain no longer passes through it means rows were cut from the end.\n", v.Rows, v.Head)
	return nil
}

// cmdPruneAudit removes audit rows older than a date, leaving a chain
// anchor. On a restricted PostgreSQL setup it must run as the owner role.
func cmdPruneAudit(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	const usage = "usage: reconnect admin prune-audit --before <YYYY-MM-DD>"
	fs := flag.NewFlagSet("prune-audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	before := fs.String("before", "", "remove rows older than this date (UTC)")
	if err := fs.Parse(args); err != nil || *before == "" {
		return &usageError{usage}
	}
	at, err := time.Parse(time.DateOnly, *before)
	if err != nil {
		return &usageError{"--before: a date like 2024-01-31"}
	}
	st, closeDB, err := openAsIs(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	res, err := audit.New(st).Prune(ctx, at, cliActor)
	if err != nil {
		return err
	}
	if res.Rows == 0 {
		fmt.Fprintf(stdout, "No audit rows older than %s.\n", *before)
		return nil
	}
	fmt.Fprintf(stdout, "Removed %d audit rows older than %s; anchor #%d records them.\n", res.Rows, *before, res.Anchor.ID)
	return nil
}

// cmdSecureAudit gives the audit table to another role and leaves the app's
// role only INSERT and SELECT on it (PostgreSQL). Run once by a DBA.
func cmdSecureAudit(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	const usage = "usage: reconnect admin secure-audit --owner-role <role> --app-role <role>"
	fs := flag.NewFlagSet("secure-audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	owner := fs.String("owner-role", "", "the role that will own audit_log (not the app's)")
	appRole := fs.String("app-role", "", "the role the app connects as")
	if err := fs.Parse(args); err != nil || *owner == "" || *appRole == "" || *owner == *appRole {
		return &usageError{usage}
	}
	st, closeDB, err := openAsIs(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	warn, err := st.SecureAuditTable(ctx, *owner, *appRole)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit_log now belongs to %s; %s may only insert and read it.\n", *owner, *appRole)
	for _, w := range warn {
		fmt.Fprintln(stdout, "warning:", w)
	}
	return nil
}
