package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"reconnect/internal/app"
	"reconnect/internal/database"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// openStore opens the configured database, migrated, for a one-off command.
func openStore(ctx context.Context, env map[string]string, stderr io.Writer) (*store.Store, func(), error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, nil, err
	}
	log := app.NewLogger(cfg, stderr)
	if err := database.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
		return nil, nil, err
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, log, database.MaxConns(min(cfg.DatabaseMaxConns, 8)))
	if err != nil {
		return nil, nil, err
	}
	return store.New(db), func() { db.Close() }, nil
}

// cmdLink prints a fresh owner link, for operators and support.
func cmdLink(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("link", flag.ContinueOnError)
	fs.SetOutput(stderr)
	owner := fs.String("owner", "", "the owner's host user id (required)")
	vehicle := fs.String("vehicle", "", "a Smartcar vehicle id, to open that vehicle")
	purpose := fs.String("purpose", string(model.PurposeEmail), "email (days, reusable) or in_app (minutes, single use)")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if *owner == "" || !model.LinkPurpose(*purpose).Valid() {
		return &usageError{"usage: reconnect link --owner <host user id> [--vehicle <id>] [--purpose email|in_app]"}
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	st, closeDB, err := openStore(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	o, err := st.OwnerByHostID(ctx, *owner)
	if errors.Is(err, store.ErrNotFound) {
		return &usageError{fmt.Sprintf("no owner with host user id %q", *owner)}
	}
	if err != nil {
		return err
	}
	var vid *int64
	if *vehicle != "" {
		v, err := st.VehicleBySmartcarID(ctx, *vehicle)
		if err != nil || v.OwnerID == nil || *v.OwnerID != o.ID {
			return &usageError{fmt.Sprintf("owner %q has no vehicle %q", *owner, *vehicle)}
		}
		vid = &v.ID
	}
	svc := links.New(st, links.Config{PublicBaseURL: cfg.PublicBaseURL, EmailTTL: cfg.LinkEmailTTL, InAppTTL: cfg.LinkInAppTTL})
	m, err := svc.Mint(ctx, nil, links.Mint{OwnerID: o.ID, VehicleID: vid, Purpose: model.LinkPurpose(*purpose), Source: model.SourceCLI})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n(expires %s)\n", m.URL, m.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"))
	return nil
}

// adminFunc is an admin sub-command: it gets the arguments after its name.
type adminFunc func(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error

// adminCommands are the admin sub-commands, all of them.
var adminCommands = map[string]adminFunc{
	"create-api-key":      cmdCreateAPIKey,
	"create-staff":        cmdCreateStaff,
	"staff-password-link": cmdStaffPasswordLink,
}

// cmdAdmin groups the administrative sub-commands.
func cmdAdmin(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{"usage: reconnect admin create-api-key --name <name>"}
	}
	if h := adminCommands[args[0]]; h != nil {
		return h(ctx, args[1:], env, stdout, stderr)
	}
	return &usageError{fmt.Sprintf("unknown admin command %q", args[0])}
}

// cmdCreateAPIKey creates an API key for the host backend and prints it once.
func cmdCreateAPIKey(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("create-api-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "what the key is for (required)")
	if err := fs.Parse(args); err != nil || *name == "" {
		return &usageError{"usage: reconnect admin create-api-key --name <name>"}
	}
	st, closeDB, err := openStore(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	k, secret, err := st.CreateAPIKey(ctx, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n\nAPI key %q (id %d). This is the only time it is shown; only its hash is stored.\nUse it as: Authorization: Bearer <key>\n", secret, k.Name, k.ID)
	return nil
}
