package ingest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Text inside a signed Smartcar payload is the other party's: a NUL, a DEL
// or a C1 control character in a make, a model or an error's description
// must not make the write fail on PostgreSQL (which refuses NUL in text) and
// with it an event we acknowledged. The characters are dropped; the event
// is applied.
func TestControlCharactersInAWebhookAreDroppedNotFatal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		body := authFailed("ev-nul", "veh-nul", t0).body()
		body = bytes.Replace(body, []byte(`"make":"TESLA"`), []byte(`"make":"TES\u0000LA"`), 1)
		body = bytes.Replace(body, []byte(`"model":"Model 3"`), []byte(`"model":"Model\u007f 3\u0085"`), 1)
		body = bytes.Replace(body, []byte(`"description":"test"`), []byte(`"description":"sign-in\u0000 failed"`), 1)
		if !bytes.Contains(body, []byte(`\u0000LA`)) || !bytes.Contains(body, []byte(`in\u0000 failed`)) {
			t.Fatalf("the payload was not changed as meant: %s", body)
		}
		h.deliver(t, body)
		h.drain(t)
		st, err := h.svc.EventStatus(context.Background(), "ev-nul")
		if err != nil || st.Event.Status != store.InboxProcessed {
			t.Fatalf("event %+v %v, want processed", st.Event, err)
		}
		v := h.vehicle(t, "veh-nul")
		if v.State != model.StateNeedsReauth || v.Make != "TESLA" || v.Model != "Model 3" {
			t.Fatalf("vehicle %+v", v)
		}
		evs, _ := h.store.EventsByVehicle(context.Background(), v.ID, store.Page{Limit: 10})
		for _, e := range evs {
			if strings.ContainsRune(e.Detail, 0) {
				t.Fatalf("a NUL was stored in %s", e.Kind)
			}
		}
	})
}
