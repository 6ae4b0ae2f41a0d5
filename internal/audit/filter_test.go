package audit_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// The console's filters: the owner by the pseudonym the rows carry (found
// from the owner's email or host user id, also after the owner is
// erased), the staff member's email in any case, and a range of times;
// the CSV export honours them and keeps every value whole.
func TestFilterByOwnerStaffEmailAndTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		st := store.New(db).WithClock(func() time.Time { return now })
		log := audit.New(st)
		alice, _ := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-alice", Email: "Alice@Example.com"})
		bob, _ := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-bob", Email: "bob@example.com"})
		const longUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 and a long tail that a table cell would cut"
		ann := audit.Actor{StaffID: 7, StaffEmail: "ann@support.example", UserAgent: longUA}
		bo := audit.Actor{StaffID: 8, StaffEmail: "bo@support.example"}
		record := func(at time.Time, a audit.Actor, o *model.Owner, action model.AuditAction) {
			t.Helper()
			now = at
			if err := log.Record(ctx, nil, audit.Entry{Actor: a, Owner: o, Action: action}); err != nil {
				t.Fatal(err)
			}
		}
		may31, jun1, jun2 := time.Date(2026, 5, 31, 23, 59, 0, 0, time.UTC), time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
		record(may31, ann, &alice, model.AuditOwnerViewed)
		record(jun1, ann, &bob, model.AuditOwnerViewed)
		record(jun1, bo, &alice, model.AuditLinkShown)
		record(jun2, bo, nil, model.AuditStaffLogin)

		count := func(name string, f store.AuditFilter, want int) []store.AuditEntry {
			t.Helper()
			es, err := log.List(ctx, f)
			if err != nil || len(es) != want {
				t.Fatalf("%s: %d rows (%v), want %d", name, len(es), err, want)
			}
			return es
		}
		for _, who := range []string{"alice@example.com", "ALICE@example.com", "u-alice"} {
			refs, err := st.AuditIDsOfOwner(ctx, who)
			if err != nil || len(refs) != 1 || refs[0] != alice.AuditID {
				t.Fatalf("%s names %v (%v), want Alice's pseudonym", who, refs, err)
			}
			for _, e := range count(who, store.AuditFilter{OwnerRefs: refs}, 2) {
				if e.OwnerRef != alice.AuditID {
					t.Fatalf("%s: a row about someone else: %+v", who, e)
				}
			}
		}
		if refs, _ := st.AuditIDsOfOwner(ctx, "nobody@example.com"); len(refs) != 0 {
			t.Fatalf("an unknown address names %v", refs)
		}
		count("no owner", store.AuditFilter{OwnerRefs: []string{}}, 0)
		count("staff email, any case", store.AuditFilter{StaffEmail: "Ann@Support.Example"}, 2)
		count("from June 1", store.AuditFilter{From: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, 3)
		count("June 1 only", store.AuditFilter{From: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), To: jun2}, 2)
		count("Alice, by Bo, on June 1", store.AuditFilter{OwnerRefs: []string{alice.AuditID}, StaffEmail: "bo@support.example", From: jun1, To: jun2}, 1)

		// Erased, Alice is still found by her pseudonym; her address leads
		// nowhere any more.
		if err := st.EraseOwner(ctx, alice.ID, alice.HostUserID); err != nil {
			t.Fatal(err)
		}
		if refs, _ := st.AuditIDsOfOwner(ctx, "alice@example.com"); len(refs) != 0 {
			t.Fatalf("an erased address still names %v", refs)
		}
		count("by pseudonym after erasure", store.AuditFilter{OwnerRefs: []string{alice.AuditID}}, 2)

		var buf bytes.Buffer
		if err := log.WriteCSV(ctx, &buf, store.AuditFilter{StaffEmail: "ann@support.example"}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("CSV: %d lines (%v), want the header and Ann's 2 rows", len(rows), err)
		}
		for _, r := range rows[1:] {
			if r[3] != "ann@support.example" || r[10] != longUA {
				t.Fatalf("CSV row %v: want Ann's rows with the whole user agent", r)
			}
		}
	})
}
