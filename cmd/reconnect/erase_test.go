package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestEraseOwnerErasesOnceAndSaysSoInTheAuditLog(t *testing.T) {
	dbURL := dbtest.URL(t, "sqlite")
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
	o, err := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-9", Email: "nine@example.com", Name: "Nine"})
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCmd(t, env, "admin", "erase-owner", "--owner", "u-9"); code != 0 || !strings.Contains(out, "Erased") {
		t.Fatalf("erase: exit %d %q %q", code, out, errs)
	}
	after, err := st.OwnerByID(ctx, o.ID)
	if err != nil || after.Email != "" || after.Name != "" || after.HostUserID == "u-9" {
		t.Fatalf("after: %+v %v", after, err)
	}
	es, _ := st.AuditEntries(ctx, store.AuditFilter{Action: model.AuditOwnerErased})
	if len(es) != 1 || es[0].StaffEmail != "(command line)" || es[0].OwnerRef != o.AuditID {
		t.Fatalf("audit: %+v", es)
	}
	if code, _, errs := runCmd(t, env, "admin", "erase-owner", "--owner", "u-9"); code != 2 || !strings.Contains(errs, "no owner") {
		t.Fatalf("again: exit %d %q", code, errs)
	}
	if code, _, _ := runCmd(t, env, "admin", "erase-owner"); code != 2 {
		t.Fatalf("no --owner: exit %d", code)
	}
}
