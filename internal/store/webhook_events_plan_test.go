package store_test

import (
	"context"
	"strings"
	"testing"

	"reconnect/internal/dbtest"
	"reconnect/internal/store"
)

// The inbox's batch insert looks each event up in the unique index, whatever
// the planner believes of the table. A plan that hashes the inbox instead
// reads every row of it for every batch: made while the table was empty and
// kept by the prepared statement, it doubled the database's CPU per event
// within a minute of a burst.
func TestInboxInsertNeverReadsTheWholeInbox(t *testing.T) {
	db := dbtest.Open(t, "postgres")
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PREPARE inbox_insert AS "+store.PostgresInboxInsert); err != nil {
		t.Fatal(err)
	}
	const batch = `EXECUTE inbox_insert('{e1,e2}', '{smartcar,smartcar}', '{VEHICLE_ERROR,VEHICLE_ERROR}', '{v1,v2}', '{"\\x7b7d","\\x7b7d"}', '{NULL,NULL}', '{2026-11-30T00:00:00Z,2026-11-30T00:00:00Z}')`
	// The table is as a fresh install has it: empty and never analysed.
	// A prepared statement gets custom plans first and a generic one later.
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = "+mode); err != nil {
			t.Fatal(err)
		}
		rows, err := conn.QueryContext(ctx, "EXPLAIN "+batch)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if strings.Contains(text, "Seq Scan on webhook_events") || strings.Contains(text, "Hash") ||
			!strings.Contains(text, "Scan using webhook_events_event_id_key on webhook_events w") {
			t.Fatalf("%s: the insert does not look each event up in the event id index:\n%s", mode, text)
		}
	}
}
