package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestVerifyAuditFailsAtTheFirstTamperedRowAndPruneAuditLeavesAVerifyingChain(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			env := map[string]string{"DATABASE_URL": dbURL}
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			if err := database.Migrate(ctx, dbURL, log); err != nil {
				t.Fatal(err)
			}
			db, err := database.Open(ctx, dbURL, log)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			st := store.New(db)
			for i := range 3 {
				if err := audit.New(st).Record(ctx, nil, audit.Entry{Action: model.AuditStaffLogin, Detail: fmt.Sprint(i)}); err != nil {
					t.Fatal(err)
				}
			}
			if code, out, errs := runCmd(t, env, "admin", "verify-audit"); code != 0 || !strings.Contains(out, "3 rows verified") {
				t.Fatalf("verify: exit %d %q %q", code, out, errs)
			}
			es, _ := st.AuditEntries(ctx, store.AuditFilter{})
			lift := "DROP TRIGGER audit_log_no_update"
			if dialect == "postgres" {
				lift = "ALTER TABLE audit_log DISABLE TRIGGER USER"
			}
			if err := db.Gorm.Exec(lift).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm.Exec("UPDATE audit_log SET reason = 'edited' WHERE id = ?", es[1].ID).Error; err != nil {
				t.Fatal(err)
			}
			code, _, errs := runCmd(t, env, "admin", "verify-audit")
			if code != 1 || !strings.Contains(errs, fmt.Sprintf("row #%d", es[1].ID)) {
				t.Fatalf("after tampering: exit %d %q", code, errs)
			}
			if code, _, errs := runCmd(t, env, "admin", "prune-audit", "--before", "2999-01-01"); code != 1 || !strings.Contains(errs, "not pruning") {
				t.Fatalf("prune over a broken chain: exit %d %q", code, errs)
			}
			if code, _, _ := runCmd(t, env, "admin", "prune-audit", "--before", "yesterday"); code != 2 {
				t.Fatalf("a bad date: exit %d", code)
			}
		})
	}
}

func TestPruneAuditRecordsAnAnchorThatVerifyAuditAccepts(t *testing.T) {
	dbURL := dbtest.URL(t, "sqlite")
	env := map[string]string{"DATABASE_URL": dbURL}
	if code, _, errs := runCmd(t, env, "admin", "create-api-key", "--name", "host"); code != 0 {
		t.Fatal(errs)
	}
	db, err := database.Open(context.Background(), dbURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := audit.New(store.New(db)).Record(context.Background(), nil, audit.Entry{Action: model.AuditStaffLogin}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, env, "admin", "prune-audit", "--before", "2999-01-01")
	if code != 0 || !strings.Contains(out, "Removed 1 audit rows") {
		t.Fatalf("prune: exit %d %q %q", code, out, errs)
	}
	code, out, errs = runCmd(t, env, "admin", "verify-audit")
	if code != 0 || !strings.Contains(out, "starts after pruning: 1 rows") || !strings.Contains(out, "1 rows verified") {
		t.Fatalf("verify: exit %d %q %q", code, out, errs)
	}
	if code, _, errs := runCmd(t, env, "admin", "secure-audit", "--owner-role", "a", "--app-role", "b"); code != 1 || !strings.Contains(errs, "PostgreSQL only") {
		t.Fatalf("secure-audit on SQLite: exit %d %q", code, errs)
	}
}
