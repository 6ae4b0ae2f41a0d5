package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"reconnect/internal/audit"
	"reconnect/internal/staff"
	"reconnect/internal/store"
)

// staffService opens the database and the staff service the console uses.
func staffService(ctx context.Context, env map[string]string, stderr io.Writer) (*staff.Service, *store.Store, func(), error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, nil, nil, err
	}
	st, closeDB, err := openStore(ctx, env, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	svc := staff.New(st, audit.New(st), staff.Config{BaseURL: cfg.PublicBaseURL, PasswordLinkTTL: cfg.Console.PasswordLinkTTL})
	return svc, st, closeDB, nil
}

// cliActor is how the audit log names a command-line action.
var cliActor = audit.Actor{StaffEmail: "(command line)"}

func printLink(w io.Writer, email string, l staff.Link) {
	fmt.Fprintf(w, "%s\n\nSend this link to %s over a channel you trust: it sets their console password,\nworks once, and expires %s. Only its hash is stored.\n",
		l.URL, email, l.ExpiresAt.UTC().Format(time.RFC1123))
}

// cmdCreateStaff adds a support staff member and prints their one-time
// set-password link.
func cmdCreateStaff(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	const usage = "usage: reconnect admin create-staff --email <address> --role agent|admin [--name <name>]"
	fs := flag.NewFlagSet("create-staff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the staff member's email address (required)")
	role := fs.String("role", "", "agent or admin (required)")
	name := fs.String("name", "", "their name, as the console shows it")
	if err := fs.Parse(args); err != nil || *email == "" || !store.ValidRole(*role) {
		return &usageError{usage}
	}
	svc, _, closeDB, err := staffService(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	st, link, err := svc.Create(ctx, cliActor, *email, *name, *role)
	var bad *staff.InputError
	switch {
	case errors.As(err, &bad):
		return &usageError{bad.Field + ": " + bad.Message}
	case errors.Is(err, staff.ErrExists):
		return &usageError{fmt.Sprintf("%s is already a staff member; make a new link with: reconnect admin staff-password-link --email %s", *email, *email)}
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "Created %s (%s).\n\n", st.Email, st.Role)
	printLink(stdout, st.Email, link)
	return nil
}

// cmdStaffPasswordLink prints a new set-password link for a staff member
// who lost theirs or forgot the password.
func cmdStaffPasswordLink(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	const usage = "usage: reconnect admin staff-password-link --email <address>"
	fs := flag.NewFlagSet("staff-password-link", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the staff member's email address (required)")
	if err := fs.Parse(args); err != nil || *email == "" {
		return &usageError{usage}
	}
	svc, st, closeDB, err := staffService(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	who, err := st.StaffByEmail(ctx, *email)
	if errors.Is(err, store.ErrNotFound) {
		return &usageError{fmt.Sprintf("no staff member %q", *email)}
	}
	if err != nil {
		return err
	}
	link, err := svc.NewPasswordLink(ctx, cliActor, who.ID)
	if err != nil {
		return err
	}
	printLink(stdout, who.Email, link)
	return nil
}
