package ingest_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// An acknowledged event is never marked failed for a fault a retry can
// outlive. Each fault is real: the database refuses the processor's writes
// (a full disk on SQLite; on PostgreSQL the server terminates the
// connection in the middle of the transaction, as a restart or failover
// does), the batch and then the event alone fail, the event stays pending,
// and it is applied once the fault is gone.
func TestTransientFaultsNeverFailAnAcknowledgedEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		for i := range 3 {
			h.deliver(t, authFailed(id("ev", i), id("car", i), t0).body())
		}

		var faults atomic.Int32
		if db.IsPostgres() {
			// The server ends the processor's connection twice, mid-transaction.
			h.machine.AddHook(lifecycle.HookFunc(func(ctx context.Context, tx *store.Store, _ lifecycle.Change) error {
				if faults.Load() >= 2 {
					return nil
				}
				faults.Add(1)
				return tx.DB().Exec("SELECT pg_terminate_backend(pg_backend_pid())").Error
			}))
		} else {
			// The file may not grow, and what room is left is filled:
			// SQLITE_FULL, as on a full disk.
			var pages int
			if err := db.SQL.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{"CREATE TABLE filler (b BLOB)", "PRAGMA max_page_count = " + strconv.Itoa(pages+8)} {
				if _, err := db.SQL.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			for size := 1 << 20; size >= 16; size /= 2 {
				for {
					if _, err := db.SQL.Exec("INSERT INTO filler VALUES (zeroblob(?))", size); err != nil {
						break
					}
				}
			}
			// Small rows still fit in the slack of existing pages; the
			// processor's transaction also writes one that needs a page.
			h.machine.AddHook(lifecycle.HookFunc(func(ctx context.Context, tx *store.Store, _ lifecycle.Change) error {
				return tx.DB().Exec("INSERT INTO filler VALUES (zeroblob(8192))").Error
			}))
		}

		err := h.svc.Processor().Drain(ctx)
		if err == nil || !database.IsTransient(err) {
			t.Fatalf("processing under the fault: %v, want a transient error", err)
		}
		if n := h.pending(t); n != 3 {
			t.Fatalf("%d events pending under the fault, want all 3", n)
		}
		for i := range 3 {
			st, err := h.svc.EventStatus(ctx, id("ev", i))
			if err != nil || st.Event.Status == store.InboxFailed {
				t.Fatalf("event %d under the fault: %+v %v", i, st.Event, err)
			}
		}

		// The fault passes: the disk has room again, or the server is back.
		if db.IsPostgres() {
			// A terminated backend rolls back and lets go of the rows it
			// had claimed as it exits, which on a busy machine can be after
			// the next claim: that claim skips them (SKIP LOCKED), and the
			// drain below would end with them pending. Wait for it.
			waitNoOtherLocks(t, db, "webhook_events")
		}
		if !db.IsPostgres() {
			if _, err := db.SQL.Exec("PRAGMA max_page_count = 1073741823"); err != nil {
				t.Fatal(err)
			}
		}
		for range 5 {
			if err = h.svc.Processor().Drain(ctx); err == nil {
				break
			}
			if !database.IsTransient(err) {
				t.Fatalf("after the fault: %v", err)
			}
		}
		if err != nil || h.pending(t) != 0 {
			t.Fatalf("after the fault: %v, %d pending", err, h.pending(t))
		}
		for i := range 3 {
			if v := h.vehicle(t, id("car", i)); v.State != model.StateNeedsReauth {
				t.Fatalf("car %d: %s", i, v.State)
			}
			st, _ := h.svc.EventStatus(ctx, id("ev", i))
			if st.Event.Status != store.InboxProcessed {
				t.Fatalf("event %d: %s", i, st.Event.Status)
			}
		}
	})
}

// waitNoOtherLocks waits until no other PostgreSQL backend holds a lock on
// table (as this connection's search path names it).
func waitNoOtherLocks(t *testing.T, db *database.DB, table string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := db.SQL.QueryRow("SELECT count(*) FROM pg_locks WHERE relation = $1::regclass AND pid <> pg_backend_pid()", table).Scan(&n)
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("other backends still lock %s: %d locks, %v", table, n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
