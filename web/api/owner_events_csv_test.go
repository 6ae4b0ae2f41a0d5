package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/store"
	"reconnect/internal/timeline"
	"reconnect/web/webtest"
)

func TestAPITimelineExportIsCSVInSentencesWithFormulasDefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		o, _ := d.Store.UpsertOwner(ctx, store.OwnerInput{HostUserID: "host-1"})
		// A make that reads like a formula: the vehicle cell must stay text.
		if _, err := d.Store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "veh-1", OwnerID: &o.ID, Make: "=cmd|' /C calc'!A0"}); err != nil {
			t.Fatal(err)
		}
		body := webtest.VehicleErrorBody("e1", "veh-1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		if status, _ := d.Webhook(body, webtest.Sign(body)); status != 200 {
			t.Fatal(status)
		}
		if err := d.Ingest.Processor().Drain(ctx); err != nil {
			t.Fatal(err)
		}
		status, h, raw := d.Download("/api/v1/owners/host-1/events.csv")
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
			t.Fatalf("%d %s %s", status, h.Get("Content-Type"), raw)
		}
		rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != strings.Join(timeline.CSVHeader, ",") || len(rows) != 4 || rows[3][5] != "vehicle_added" {
			t.Fatalf("rows %q", rows)
		}
		col := map[string]int{}
		for i, c := range rows[0] {
			col[c] = i
		}
		// Newest first: the break, the webhook that told of it, the car added.
		newest, webhook := rows[1], rows[2]
		if newest[col["kind"]] != "state_changed" || newest[col["what"]] != "Connection broke: needs reconnecting" {
			t.Errorf("newest row %q", newest)
		}
		if !strings.HasPrefix(webhook[col["what"]], "Smartcar reported: ") || !strings.Contains(webhook[col["what"]], "account sign-in failed (AUTHENTICATION_FAILED)") {
			t.Errorf("webhook row says %q", webhook[col["what"]])
		}
		if v := webhook[col["vehicle"]]; !strings.HasPrefix(v, "'=") {
			t.Errorf("a formula-like vehicle cell went out as %q", v)
		}
		if webhook[col["vehicle_id"]] != "veh-1" || !strings.Contains(webhook[col["detail"]], `"event_id":"e1"`) {
			t.Errorf("webhook row %q", webhook)
		}
		if status, _, _ := d.Download("/api/v1/owners/nobody/events.csv"); status != http.StatusNotFound {
			t.Errorf("unknown owner: %d", status)
		}
	})
}
