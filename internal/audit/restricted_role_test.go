package audit_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// The app migrates and runs as its own role, as in production; then a DBA
// hands the audit table to another role. From then on the app's credentials
// can add and read audit rows and nothing else.
func TestOnPostgresTheAppRoleCanOnlyAppendToASecuredAuditLog(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	superURL := dbtest.URL(t, "postgres")
	u, _ := url.Parse(superURL)
	schema := u.Query().Get("search_path")
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	appRole, ownerRole := "rc_app_"+hex.EncodeToString(b), "rc_audit_"+hex.EncodeToString(b)

	admin, err := sql.Open("pgx", superURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{
		"CREATE ROLE " + appRole + " LOGIN PASSWORD 'app-secret'",
		"CREATE ROLE " + ownerRole + " NOLOGIN",
		"GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + appRole,
		"GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + ownerRole,
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var dbs []*database.DB
	t.Cleanup(func() {
		for _, d := range dbs {
			_ = d.Close()
		}
		a, err := sql.Open("pgx", superURL)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP SCHEMA " + schema + " CASCADE")
		_, _ = a.Exec("DROP ROLE " + appRole)
		_, _ = a.Exec("DROP ROLE " + ownerRole)
	})

	app := *u
	app.User = url.UserPassword(appRole, "app-secret")
	appURL := app.String()
	if err := database.Migrate(ctx, appURL, log); err != nil {
		t.Fatalf("migrate as the app role: %v", err)
	}
	open := func(raw string) *store.Store {
		d, err := database.Open(ctx, raw, log)
		if err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, d)
		return store.New(d)
	}
	appSt, dba := open(appURL), open(superURL)
	o, err := appSt.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	entry := audit.Entry{Owner: &o, Action: model.AuditOwnerViewed}
	if err := audit.New(appSt).Record(ctx, nil, entry); err != nil {
		t.Fatal(err)
	}

	for range 2 { // idempotent
		warn, err := dba.SecureAuditTable(ctx, ownerRole, appRole)
		if err != nil || len(warn) != 0 {
			t.Fatalf("secure: %v %v", warn, err)
		}
	}

	if err := audit.New(appSt).Record(ctx, nil, entry); err != nil {
		t.Fatalf("the app can no longer write audit rows: %v", err)
	}
	if es, err := appSt.AuditEntries(ctx, store.AuditFilter{}); err != nil || len(es) != 2 {
		t.Fatalf("the app can no longer read audit rows: %d %v", len(es), err)
	}
	for _, q := range []string{
		"UPDATE audit_log SET detail = 'x'",
		"DELETE FROM audit_log",
		"TRUNCATE audit_log",
		"DROP TRIGGER audit_log_no_change ON audit_log",
		"ALTER TABLE audit_log DISABLE TRIGGER ALL",
		"ALTER TABLE audit_log DROP CONSTRAINT audit_log_chained",
		"ALTER TABLE audit_log OWNER TO " + appRole,
		"CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$",
		"DROP TABLE audit_log",
	} {
		err := appSt.DB().Exec(q).Error
		if err == nil || !(strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "must be owner")) {
			t.Fatalf("the app role could run %q: %v", q, err)
		}
	}
	if _, err := audit.New(appSt).Prune(ctx, appSt.Now().Add(1e12), audit.Actor{}); err == nil {
		t.Fatal("the app role pruned the audit log")
	}
	if v, err := audit.New(appSt).Verify(ctx); err != nil || !v.OK() || v.Rows != 2 {
		t.Fatalf("verify: %+v %v", v, err)
	}
	// The owner's side (here the DBA) still prunes, through the anchor.
	if res, err := audit.New(dba).Prune(ctx, dba.Now().Add(1e12), audit.Actor{StaffEmail: "dba"}); err != nil || res.Rows != 2 {
		t.Fatalf("prune by the owner: %+v %v", res, err)
	}
	if v, err := audit.New(appSt).Verify(ctx); err != nil || !v.OK() || v.Rows != 1 || v.Anchor == nil {
		t.Fatalf("verify after prune: %+v %v", v, err)
	}
}
