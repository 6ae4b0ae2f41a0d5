package audit_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestRecordListAndFilter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		log := audit.New(st)
		o, _ := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-1"})
		ann := audit.Actor{StaffID: 7, StaffEmail: "ann@example.com", IP: "203.0.113.9", UserAgent: "Firefox"}
		bo := audit.Actor{StaffID: 8, StaffEmail: "bo@example.com"}
		for _, e := range []audit.Entry{
			{Actor: ann, Action: model.AuditStaffLogin},
			{Actor: ann, Owner: &o, Action: model.AuditImpersonationStart, Reason: "ticket 1"},
			{Actor: bo, Owner: &o, Action: model.AuditOwnerViewed},
		} {
			if err := log.Record(ctx, nil, e); err != nil {
				t.Fatal(err)
			}
		}
		all, err := log.List(ctx, store.AuditFilter{})
		if err != nil || len(all) != 3 || all[0].Action != model.AuditOwnerViewed {
			t.Fatalf("newest first: %+v %v", all, err)
		}
		start := all[1]
		if *start.StaffID != 7 || start.StaffEmail != "ann@example.com" || *start.OwnerID != o.ID ||
			start.OwnerRef != o.AuditID || len(o.AuditID) != 32 || start.Reason != "ticket 1" || start.IP != "203.0.113.9" || start.UserAgent != "Firefox" || start.At.IsZero() {
			t.Fatalf("entry %+v", start)
		}
		staffID := int64(7)
		if es, _ := log.List(ctx, store.AuditFilter{StaffID: &staffID}); len(es) != 2 {
			t.Fatalf("by staff: %d", len(es))
		}
		if es, _ := log.List(ctx, store.AuditFilter{OwnerID: &o.ID}); len(es) != 2 {
			t.Fatalf("by owner: %d", len(es))
		}
		if es, _ := log.List(ctx, store.AuditFilter{Action: model.AuditStaffLogin}); len(es) != 1 {
			t.Fatalf("by action: %d", len(es))
		}
		if es, _ := log.List(ctx, store.AuditFilter{Before: all[0].ID, Limit: 1}); len(es) != 1 || es[0].ID != all[1].ID {
			t.Fatalf("paging: %+v", es)
		}
	})
}

// The trail outlives what it names and cannot be rewritten, even by a
// query that bypasses the store.
func TestTheDatabaseRefusesToChangeTheLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		o, _ := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-1"})
		if err := audit.New(st).Record(ctx, nil, audit.Entry{Owner: &o, Action: model.AuditOwnerViewed}); err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Exec("UPDATE audit_log SET action = 'nothing'").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("update: %v", err)
		}
		if err := db.Gorm.Exec("DELETE FROM audit_log").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("delete: %v", err)
		}
		if err := db.Gorm.Exec("DELETE FROM owners WHERE id = ?", o.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.Prune(ctx, st.Now().Add(1e12)); err != nil {
			t.Fatal(err)
		}
		es, _ := st.AuditEntries(ctx, store.AuditFilter{})
		if len(es) != 1 || es[0].OwnerRef != o.AuditID {
			t.Fatalf("the entry must survive its owner and pruning: %+v", es)
		}
	})
}

func TestCSVExportStreamsEveryRowAndDefusesFormulas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		log := audit.New(st)
		const n = 1203 // more than one batch
		err := st.Tx(ctx, func(tx *store.Store) error {
			for i := 0; i < n; i++ {
				e := audit.Entry{Actor: audit.Actor{StaffID: 1, StaffEmail: "ann@example.com"}, Action: model.AuditOwnerSearched, Detail: fmt.Sprintf("q=%d", i)}
				if i == n-1 {
					e.Reason, e.Actor.UserAgent = `=HYPERLINK("http://evil.example")`, "-1+1"
				}
				if err := log.Record(ctx, tx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := log.WriteCSV(ctx, &buf, store.AuditFilter{}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != n+1 || strings.Join(rows[0], ",") != strings.Join(audit.CSVHeader, ",") {
			t.Fatalf("%d rows, header %v", len(rows), rows[0])
		}
		newest := rows[1]
		if newest[7] != `'=HYPERLINK("http://evil.example")` || newest[10] != "'-1+1" || newest[8] != fmt.Sprintf("q=%d", n-1) {
			t.Fatalf("newest row %q", newest)
		}
		if rows[n][8] != "q=0" {
			t.Fatalf("oldest row %q", rows[n])
		}
	})
}
