package api_test

import (
	"net/http"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/web/webtest"
)

// An Idempotency-Key names one report: the same body again is the first
// answer, marked a duplicate; another body under the key is refused.
func TestErrorReportIdempotencyKeyNamesOneBody(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		report := func(key, body string) (int, map[string]any) {
			return d.Do(http.MethodPost, "/api/v1/errors", []byte(body), map[string]string{"Authorization": "Bearer " + d.APIKey(), "Idempotency-Key": key})
		}
		first := `{"vehicle_id":"veh-1","status_code":401,"error":{"type":"AUTHENTICATION","code":null,"description":"expired"}}`
		other := `{"vehicle_id":"veh-2","error":{"type":"SERVER","code":"INTERNAL","description":"x"}}`
		status, a := report("k-1", first)
		if status != 202 || a["duplicate"] != false {
			t.Fatalf("first: %d %v", status, a)
		}
		status, b := report("k-1", first)
		if status != 202 || b["duplicate"] != true || b["event_id"] != a["event_id"] {
			t.Fatalf("the same body again: %d %v", status, b)
		}
		if cl, _ := b["classification"].(map[string]any); cl["reason"] != a["classification"].(map[string]any)["reason"] {
			t.Fatalf("the retry is answered as the first: %v vs %v", b, a)
		}
		status, c := report("k-1", other)
		if e, _ := c["error"].(map[string]any); status != 422 || e["field"] != "Idempotency-Key" {
			t.Fatalf("another body under the key: %d %v", status, c)
		}
		if n := d.Recorded(); n != 1 {
			t.Fatalf("%d events recorded", n)
		}
		if status, _ := report("k-2", other); status != 202 {
			t.Fatalf("the other body under its own key: %d", status)
		}
	})
}
