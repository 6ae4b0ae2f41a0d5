package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"reconnect/internal/app"
	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/erasure"
	"reconnect/internal/jobs"
	"reconnect/internal/store"
)

// cmdEraseOwner erases an owner's personal data, as the host's
// DELETE /api/v1/owners/{host_user_id} does.
func cmdEraseOwner(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	const usage = "usage: reconnect admin erase-owner --owner <host user id>"
	fs := flag.NewFlagSet("erase-owner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	owner := fs.String("owner", "", "the owner's host user id (required)")
	if err := fs.Parse(args); err != nil || *owner == "" {
		return &usageError{usage}
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg, stderr)
	if err := database.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer db.Close()
	q, err := jobs.New(db, jobs.Config{Logger: log})
	if err != nil {
		return err
	}
	st := store.New(db)
	err = erasure.New(st, q, audit.New(st)).Erase(ctx, *owner, cliActor)
	if errors.Is(err, erasure.ErrUnknownOwner) {
		return &usageError{fmt.Sprintf("no owner with host user id %q (an erased owner is not known any more)", *owner)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Erased the personal data of %q; the audit log records it.\n", *owner)
	return nil
}
