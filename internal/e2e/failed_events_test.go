package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// TestConsoleFailedEventsCanBeRetried: an admin sees how many received
// events failed on the dashboard, lists them with their error, event id and
// vehicle, and retries one; the processor applies it, and the audit log
// names the admin.
func TestConsoleFailedEventsCanBeRetried(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		ctx := context.Background()
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		car, err := w.app.Store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "failed-event-car", OwnerID: tesla.OwnerID,
			SmartcarUserID: "u-failed", Make: "BMW", Model: "i4", Year: 2023})
		if err != nil {
			t.Fatal(err)
		}
		// A valid VEHICLE_ERROR that an earlier version of the code refused.
		body := `{"eventId":"evt-failed-1","eventType":"VEHICLE_ERROR","vehicleId":"failed-event-car","data":{"user":{"id":"u-failed"},` +
			`"errors":[{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED","state":"ERROR","resolution":{"type":"REAUTHENTICATE"}}]},` +
			`"meta":{"version":"4.0","deliveryId":"d1","deliveredAt":` + itoa(time.Now().UnixMilli()) + `,"webhookId":"wh","mode":"LIVE"}}`
		now := time.Now().UTC()
		if err := w.app.Store.DB().Create(&store.InboxEvent{EventID: "evt-failed-1", Source: store.InboxSmartcar, EventType: "VEHICLE_ERROR",
			VehicleID: car.SmartcarID, Body: []byte(body), ReceivedAt: now, ProcessedAt: &now, Status: store.InboxFailed,
			Error: "ingest: apply event evt-failed-1: a bug since fixed"}).Error; err != nil {
			t.Fatal(err)
		}

		link := staffLink(t, w, "ada@support.example", store.RoleAdmin)
		bctx := bt.New(t, 120*time.Second)
		setPassword(t, bctx, link, false)
		signIn(t, bctx, w.appURL, "ada@support.example", staffPassword)
		do(t, bctx, chromedp.WaitVisible(bt.TestID("failed-events-count")))
		if got := text(t, bctx, "failed-events-count"); !strings.HasPrefix(got, "1 failed events") {
			t.Fatalf("dashboard: %q", got)
		}
		bt.NoAxeViolations(t, bctx, "dashboard with failed events")

		do(t, bctx, chromedp.Click(chromedp.CSS(`[data-testid="failed-events-count"] a`)), chromedp.WaitVisible(bt.TestID("failed-events")))
		row := text(t, bctx, "failed-evt-failed-1")
		for _, want := range []string{"evt-failed-1", "failed-event-car", "BMW i4", "a bug since fixed"} {
			if !strings.Contains(row, want) {
				t.Fatalf("row %q lacks %q", row, want)
			}
		}
		bt.NoAxeViolations(t, bctx, "failed events")

		do(t, bctx, chromedp.Click(bt.TestID("retry-evt-failed-1")), chromedp.WaitVisible(bt.TestID("console-flash")))
		if msg := text(t, bctx, "console-flash"); !strings.Contains(msg, "is back in line") {
			t.Fatalf("after retry: %q", msg)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			v, err := w.app.Store.VehicleByID(ctx, car.ID)
			if err != nil {
				t.Fatal(err)
			}
			if v.State == model.StateNeedsReauth {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the retried event was not applied: %s", v.State)
			}
			time.Sleep(100 * time.Millisecond)
		}
		do(t, bctx, chromedp.Navigate(w.appURL+"/console/failed-events"), chromedp.WaitVisible(bt.TestID("no-failed-events")))
		es, err := w.app.Store.AuditEntries(ctx, store.AuditFilter{Action: model.AuditInboxRetried})
		if err != nil || len(es) != 1 || es[0].StaffEmail != "ada@support.example" || !strings.Contains(es[0].Detail, "evt-failed-1") {
			t.Fatalf("audit: %+v %v", es, err)
		}
		// The retry is a POST with the form's token: without it nothing changes.
		ev, _ := w.app.Store.InboxByEventID(ctx, "evt-failed-1")
		if status, _ := fetchStatus(t, bctx, "POST", "/console/failed-events/"+itoa(ev.ID)+"/retry", ""); status != 403 {
			t.Fatalf("a retry without the CSRF token answered %d", status)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
