package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/model"
	"reconnect/internal/staff"
	"reconnect/internal/store"
)

var passwordLinkRe = regexp.MustCompile(`https?://\S+/console/password/(\S+)`)

func TestCreateStaffPrintsAOneTimePasswordLink(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	env := map[string]string{"DATABASE_URL": dbURL, "PUBLIC_BASE_URL": "https://reconnect.example"}

	code, out, stderr := runCmd(t, env, "admin", "create-staff", "--email", "Sam@Support.example", "--role", "admin", "--name", "Sam")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := passwordLinkRe.FindStringSubmatch(out)
	if m == nil || !strings.HasPrefix(m[0], "https://reconnect.example/console/password/") || !strings.Contains(out, "sam@support.example (admin)") {
		t.Fatalf("output:\n%s", out)
	}

	db, err := database.Open(context.Background(), dbURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := store.New(db)
	svc := staff.New(st, audit.New(st), staff.Config{})
	who, err := svc.CheckPasswordLink(context.Background(), m[1])
	if err != nil || who.Email != "sam@support.example" || who.Role != store.RoleAdmin || who.Name != "Sam" {
		t.Fatalf("the printed link resolves to %+v (%v)", who, err)
	}
	es, _ := st.AuditEntries(context.Background(), store.AuditFilter{Action: model.AuditStaffCreated})
	if len(es) != 1 || es[0].StaffEmail != "(command line)" {
		t.Fatalf("audit: %+v", es)
	}

	if code, _, stderr := runCmd(t, env, "admin", "create-staff", "--email", "sam@support.example", "--role", "agent"); code != 2 || !strings.Contains(stderr, "staff-password-link") {
		t.Fatalf("a second create: exit %d, %q", code, stderr)
	}
	for _, args := range [][]string{
		{"admin", "create-staff", "--email", "x@example.com", "--role", "root"},
		{"admin", "create-staff", "--role", "agent"},
		{"admin", "create-staff", "--email", "not-an-email", "--role", "agent"},
		{"admin", "staff-password-link", "--email", "nobody@example.com"},
	} {
		if code, _, _ := runCmd(t, env, args...); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}

	code, out, stderr = runCmd(t, env, "admin", "staff-password-link", "--email", "sam@support.example")
	m2 := passwordLinkRe.FindStringSubmatch(out)
	if code != 0 || m2 == nil || m2[1] == m[1] {
		t.Fatalf("new link: exit %d %q %q", code, out, stderr)
	}
	if _, err := svc.CheckPasswordLink(context.Background(), m[1]); err == nil {
		t.Fatal("the first link must stop working once a new one is made")
	}
}

func TestConsoleConfiguration(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"IMPERSONATION_TTL", "45m"},
		{"IMPERSONATION_TTL", "0s"},
		{"STAFF_SESSION_IDLE_TIMEOUT", "30s"},
		{"STAFF_LOGIN_MAX_FAILURES", "0"},
		{"STAFF_LOCKOUT_DURATION", "soon"},
	} {
		code, _, stderr := runCmd(t, map[string]string{tc.name: tc.value}, "config")
		if code != 2 || !strings.Contains(stderr, tc.name) {
			t.Errorf("%s=%s: exit %d, %q; want exit 2 naming the variable", tc.name, tc.value, code, stderr)
		}
	}
	code, out, _ := runCmd(t, map[string]string{"IMPERSONATION_TTL": "10m"}, "config")
	if code != 0 || !strings.Contains(out, "IMPERSONATION_TTL") || !strings.Contains(out, "10m0s") || !strings.Contains(out, "STAFF_SESSION_IDLE_TIMEOUT") {
		t.Fatalf("config output:\n%s", out)
	}
}
