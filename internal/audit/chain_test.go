package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// record writes n entries and returns their ids, oldest first.
func record(t *testing.T, st *store.Store, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	o, err := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-chain", Email: "chain@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(st)
	for i := 0; i < n; i++ {
		if err := log.Record(ctx, nil, audit.Entry{Actor: audit.Actor{StaffID: 1, StaffEmail: "ann@example.com"}, Owner: &o, Action: model.AuditOwnerViewed, Detail: fmt.Sprintf("n=%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	es, err := st.AuditEntries(ctx, store.AuditFilter{Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[len(es)-1-i] = e.ID
	}
	return ids
}

// superuser runs a statement the way someone with the database's own
// credentials would: past the store, with the append-only triggers lifted.
func superuser(t *testing.T, db *database.DB, q string, args ...any) {
	t.Helper()
	off, on := []string{"DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete", "DROP TRIGGER IF EXISTS audit_log_no_replace", "DROP TRIGGER IF EXISTS audit_log_chained"}, []string(nil)
	if db.Dialect == "postgres" {
		off = []string{"ALTER TABLE audit_log DISABLE TRIGGER USER", "ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_chained"}
		on = []string{"ALTER TABLE audit_log ENABLE TRIGGER USER"}
	}
	for _, s := range off {
		if err := db.Gorm.Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := db.Gorm.Exec(q, args...).Error; err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	for _, s := range on {
		if err := db.Gorm.Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func verify(t *testing.T, st *store.Store) audit.Verification {
	t.Helper()
	v, err := audit.New(st).Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAnUntouchedChainVerifiesAndEachRowLinksToTheOneBefore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		st := store.New(db)
		ids := record(t, st, 5)
		v := verify(t, st)
		if !v.OK() || v.Rows != 5 || v.Head == "" {
			t.Fatalf("verification %+v", v)
		}
		es, _ := st.AuditEntries(context.Background(), store.AuditFilter{})
		if es[len(es)-1].PrevHash != "" || es[0].PrevHash != es[1].Hash || es[0].Hash != v.Head || es[0].ID != ids[4] {
			t.Fatalf("links: %+v", es)
		}
	})
}

func TestVerifyReportsTheFirstRowAfterAChangeAnInsertionOrADeletion(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, db *database.DB, ids []int64)
		at     int // index of the row reported
		reason string
	}{
		{"a changed detail", func(t *testing.T, db *database.DB, ids []int64) {
			superuser(t, db, "UPDATE audit_log SET detail = 'nothing to see' WHERE id = ?", ids[2])
		}, 2, "changed"},
		{"a changed time", func(t *testing.T, db *database.DB, ids []int64) {
			superuser(t, db, "UPDATE audit_log SET at = ? WHERE id = ?", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ids[1])
		}, 1, "changed"},
		{"a deleted row", func(t *testing.T, db *database.DB, ids []int64) {
			superuser(t, db, "DELETE FROM audit_log WHERE id = ?", ids[2])
		}, 3, "does not follow"},
		{"a deleted first row", func(t *testing.T, db *database.DB, ids []int64) {
			superuser(t, db, "DELETE FROM audit_log WHERE id = ?", ids[0])
		}, 1, "does not follow"},
		{"a row inserted in the middle, linked correctly", func(t *testing.T, db *database.DB, ids []int64) {
			// Make room below ids[2], then forge a row that chains to ids[1]
			// with a correct hash of its own: the row after it gives it away.
			superuser(t, db, "UPDATE audit_log SET id = id + 100 WHERE id >= ?", ids[2])
			var e store.AuditEntry
			db.Gorm.Where("id = ?", ids[1]).Take(&e)
			f := store.AuditEntry{ID: ids[1] + 1, Action: model.AuditOwnerViewed, Detail: "forged", At: e.At, PrevHash: e.Hash}
			f.Hash = store.AuditHash(f.PrevHash, f)
			superuser(t, db, "INSERT INTO audit_log (id, action, detail, at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)", f.ID, f.Action, f.Detail, f.At, f.PrevHash, f.Hash)
		}, 2, "does not follow"},
		{"a row with its hash recomputed", func(t *testing.T, db *database.DB, ids []int64) {
			var e store.AuditEntry
			db.Gorm.Where("id = ?", ids[2]).Take(&e)
			e.Detail = "rewritten"
			superuser(t, db, "UPDATE audit_log SET detail = ?, hash = ? WHERE id = ?", e.Detail, store.AuditHash(e.PrevHash, e), ids[2])
		}, 3, "does not follow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				st := store.New(db)
				ids := record(t, st, 5)
				c.tamper(t, db, ids)
				if c.name == "a row inserted in the middle, linked correctly" {
					ids[2] += 100
				}
				v := verify(t, st)
				if v.OK() {
					t.Fatalf("tampering went unnoticed: %+v", v)
				}
				if want := ids[c.at]; v.Break.ID != want || !strings.Contains(v.Break.Reason, c.reason) {
					t.Fatalf("break at %d (%s), want %d (%s)", v.Break.ID, v.Break.Reason, want, c.reason)
				}
			})
		})
	}
}

func TestSQLiteRefusesToReplaceAnAuditRow(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	st := store.New(db)
	ids := record(t, st, 2)
	for _, q := range []string{
		"INSERT OR REPLACE INTO audit_log (id, action, detail, at, prev_hash, hash) VALUES (?, 'owner.viewed', 'forged', '2020-01-01', '', 'x')",
		"REPLACE INTO audit_log (id, action, detail, at, prev_hash, hash) VALUES (?, 'owner.viewed', 'forged', '2020-01-01', '', 'x')",
		"INSERT INTO audit_log (id, action, detail, at, prev_hash, hash) VALUES (?, 'owner.viewed', 'forged', '2020-01-01', '', 'x') ON CONFLICT (id) DO UPDATE SET detail = 'forged'",
	} {
		err := db.Gorm.Exec(q, ids[0]).Error
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: %v", q, err)
		}
	}
	es, _ := st.AuditEntries(context.Background(), store.AuditFilter{})
	if len(es) != 2 || es[1].Detail != "n=0" || !verify(t, st).OK() {
		t.Fatalf("the row changed: %+v", es)
	}
	// A row outside the chain is refused too.
	if err := db.Gorm.Exec("INSERT INTO audit_log (action, at) VALUES ('owner.viewed', '2020-01-01')").Error; err == nil || !strings.Contains(err.Error(), "chain hash") {
		t.Fatalf("unchained insert: %v", err)
	}
}

func TestPostgresRefusesAnUnchainedRow(t *testing.T) {
	db := dbtest.Open(t, "postgres")
	if err := db.Gorm.Exec("INSERT INTO audit_log (action, at) VALUES ('owner.viewed', now())").Error; err == nil || !strings.Contains(err.Error(), "audit_log_chained") {
		t.Fatalf("unchained insert: %v", err)
	}
}

// Rows written before the chain existed are covered by the first chained
// row: changing one of them is still detected.
func TestRowsFromBeforeTheChainAreCoveredByIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		st := store.New(db)
		superuser(t, db, "INSERT INTO audit_log (action, detail, at) VALUES ('owner.viewed', 'old 1', ?), ('owner.viewed', 'old 2', ?)", time.Now().UTC(), time.Now().UTC())
		record(t, st, 2)
		v := verify(t, st)
		if !v.OK() || v.Legacy != 2 || v.Rows != 4 {
			t.Fatalf("verification %+v", v)
		}
		superuser(t, db, "UPDATE audit_log SET detail = 'rewritten' WHERE detail = 'old 1'")
		if v := verify(t, st); v.OK() {
			t.Fatalf("a changed legacy row went unnoticed: %+v", v)
		}
	})
}

func TestPruneLeavesAnAnchorTheRemainingChainStartsAt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
		clock := now.Add(-400 * 24 * time.Hour)
		st := store.New(db).WithClock(func() time.Time { return clock })
		old := record(t, st, 3)
		clock = now
		recent := record(t, st, 2)
		log := audit.New(st)
		res, err := log.Prune(ctx, now.Add(-365*24*time.Hour), audit.Actor{StaffEmail: "ops"})
		if err != nil || res.Rows != 3 {
			t.Fatalf("prune: %+v %v", res, err)
		}
		es, _ := st.AuditEntries(ctx, store.AuditFilter{})
		if len(es) != 3 || es[len(es)-1].ID != recent[0] || es[0].Action != model.AuditPruned {
			t.Fatalf("after prune: %+v", es)
		}
		if !strings.Contains(es[0].Detail, fmt.Sprintf(`"last_id":%d`, old[2])) || !strings.Contains(es[0].Detail, `"rows":3`) {
			t.Fatalf("anchor %q", es[0].Detail)
		}
		v := verify(t, st)
		if !v.OK() || v.Anchor == nil || v.Anchor.LastID != old[2] || v.Rows != 3 {
			t.Fatalf("verification %+v", v)
		}
		// Removing the first remaining row is still detected.
		superuser(t, db, "DELETE FROM audit_log WHERE id = ?", recent[0])
		if v := verify(t, st); v.OK() || v.Break.ID != recent[1] {
			t.Fatalf("verification %+v", v)
		}
		// Nothing older: nothing to prune, nothing written.
		superuser(t, db, "DELETE FROM audit_log WHERE id > 0")
		if res, err := log.Prune(ctx, now, audit.Actor{}); err != nil || res.Rows != 0 {
			t.Fatalf("empty prune: %+v %v", res, err)
		}
	})
}

func TestPruneRefusesToRemoveRowsThatDoNotVerify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		st := store.New(db)
		ids := record(t, st, 3)
		superuser(t, db, "UPDATE audit_log SET detail = 'x' WHERE id = ?", ids[0])
		if _, err := audit.New(st).Prune(context.Background(), st.Now().Add(time.Hour), audit.Actor{}); err == nil {
			t.Fatal("pruned over a broken chain")
		}
		if es, _ := st.AuditEntries(context.Background(), store.AuditFilter{}); len(es) != 3 {
			t.Fatalf("rows removed: %d", len(es))
		}
	})
}
