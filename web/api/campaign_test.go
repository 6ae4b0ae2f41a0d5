package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"net/http"
	"strings"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/store"
	"reconnect/web/webtest"
)

// campaignBody is a valid create body with some fields replaced.
func campaignBody(over map[string]any) []byte {
	b := map[string]any{"name": "Tesla platform", "make": "TESLA", "reason": "new_platform",
		"cutover_at": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)}
	for k, v := range over {
		if v == nil {
			delete(b, k)
			continue
		}
		b[k] = v
	}
	out, _ := json.Marshal(b)
	return out
}

func fieldOf(res map[string]any) any {
	e, _ := res["error"].(map[string]any)
	return e["field"]
}

func TestAPICampaignCreateNamesEachBadField(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		for _, tc := range []struct {
			over  map[string]any
			field string
		}{
			{map[string]any{"name": nil}, "name"},
			{map[string]any{"name": strings.Repeat("n", 201)}, "name"},
			{map[string]any{"make": nil}, "make"},
			{map[string]any{"make": "Tesla"}, "make"},
			{map[string]any{"make": 7}, "make"},
			{map[string]any{"models": []string{""}}, "models[0]"},
			{map[string]any{"year_from": 1850}, "year_from"},
			{map[string]any{"year_from": 2024, "year_to": 2020}, "year_to"},
			{map[string]any{"countries": []string{"de"}}, "countries[0]"},
			{map[string]any{"vehicle_ids": []string{""}}, "vehicle_ids[0]"},
			{map[string]any{"reason": "whim"}, "reason"},
			{map[string]any{"reason": nil}, "reason"},
			{map[string]any{"reason": "other"}, "custom_message.en"},
			{map[string]any{"custom_message": map[string]string{"en": ""}}, "custom_message.en"},
			{map[string]any{"cutover_at": nil}, "cutover_at"},
			{map[string]any{"cutover_at": "next tuesday"}, "cutover_at"},
			{map[string]any{"cutover_at": "2027-03-03"}, "cutover_at"},
			{map[string]any{"repair_flow": "fax"}, "repair_flow"},
			{map[string]any{"notice_offsets": []string{"-48h", "-336h"}}, "notice_offsets[1]"},
			{map[string]any{"notice_offsets": []string{"two weeks"}}, "notice_offsets[0]"},
			{map[string]any{"notice_offsets": []string{}}, "notice_offsets"},
			{map[string]any{"first_wave": 0.5}, "first_wave"},
			{map[string]any{"first_wave": 120}, "first_wave"},
			{map[string]any{"wave_hold": "a day"}, "wave_hold"},
			{map[string]any{"wave_hold": "-1h"}, "wave_hold"},
			{map[string]any{"colour": "red"}, "colour"},
		} {
			status, res := d.API(http.MethodPost, "/api/v1/campaigns", campaignBody(tc.over))
			if status != 422 || fieldOf(res) != tc.field {
				t.Errorf("%v: want 422 naming %s, got %d %v", tc.over, tc.field, status, res)
			}
		}
		if status, res := d.API(http.MethodGet, "/api/v1/campaigns", nil); status != 200 || len(res["campaigns"].([]any)) != 0 {
			t.Fatalf("refused input saved campaigns: %d %v", status, res)
		}
	})
}

func TestAPICampaignLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		o, _ := d.Store.UpsertOwner(ctx, store.OwnerInput{HostUserID: "host-1", Email: "a@example.com"})
		for _, put := range []string{`{"make":"TESLA","model":"Model 3","year":2021,"country":"DE"}`, `{"make":"FORD"}`} {
			id := "veh-" + fmt.Sprint(len(put))
			if status, res := d.API(http.MethodPut, "/api/v1/owners/host-1/vehicles/"+id, []byte(put)); status != 200 {
				t.Fatalf("%d %v", status, res)
			}
		}
		_ = o

		body := campaignBody(map[string]any{"countries": []string{"DE"}, "notice_offsets": []string{"-336h", "-48h", "0h", "+72h"},
			"custom_message": map[string]string{"en": "Tesla moves on 3 March."}, "first_wave": 50, "wave_hold": "24h"})
		h := map[string]string{"Idempotency-Key": "create-42"}
		status, res := d.APIWith(http.MethodPost, "/api/v1/campaigns", body, h)
		if status != 201 || res["state"] != "draft" || res["id"] == nil {
			t.Fatalf("create: %d %v", status, res)
		}
		cohort := res["cohort"].(map[string]any)
		if cohort["vehicles"] != float64(1) || cohort["owners"] != float64(1) {
			t.Fatalf("cohort: %v", cohort)
		}
		if offs := res["notice_offsets"].([]any); len(offs) != 4 || offs[0] != "-336h" || offs[3] != "72h" || res["wave_hold"] != "24h" {
			t.Fatalf("durations: %v %v", offs, res["wave_hold"])
		}
		id := int64(res["id"].(float64))
		base := fmt.Sprintf("/api/v1/campaigns/%d", id)

		// A retry answers the same campaign; the key with another body is refused.
		status, again := d.APIWith(http.MethodPost, "/api/v1/campaigns", body, h)
		if status != 201 || again["id"] != res["id"] {
			t.Fatalf("retry: %d %v", status, again)
		}
		status, again = d.APIWith(http.MethodPost, "/api/v1/campaigns", campaignBody(nil), h)
		if status != 422 || fieldOf(again) != "Idempotency-Key" {
			t.Fatalf("reused key: %d %v", status, again)
		}

		if status, res := d.API(http.MethodPatch, base, []byte(`{"name":"Renamed","year_from":2020}`)); status != 200 || res["name"] != "Renamed" {
			t.Fatalf("patch draft: %d %v", status, res)
		}
		if status, res := d.API(http.MethodPatch, base, []byte(`{"make":"tesla"}`)); status != 422 || fieldOf(res) != "make" {
			t.Fatalf("bad patch: %d %v", status, res)
		}
		for _, action := range []string{"pause", "resume"} {
			if status, res := d.API(http.MethodPost, base+"/"+action, nil); status != 409 {
				t.Fatalf("%s a draft: %d %v", action, status, res)
			}
		}
		status, res = d.API(http.MethodPost, base+"/launch", nil)
		if status != 200 || res["state"] != "running" || res["launched_at"] == nil {
			t.Fatalf("launch: %d %v", status, res)
		}
		if status, res := d.API(http.MethodPost, base+"/launch", nil); status != 200 || res["state"] != "running" {
			t.Fatalf("launch again: %d %v", status, res)
		}
		if status, res := d.API(http.MethodPatch, base, []byte(`{"name":"Again"}`)); status != 409 {
			t.Fatalf("rename a running campaign: %d %v", status, res)
		}
		later := time.Now().Add(40 * 24 * time.Hour).UTC().Format(time.RFC3339)
		if status, res := d.API(http.MethodPatch, base, []byte(`{"cutover_at":"`+later+`"}`)); status != 200 || res["cutover_revision"] != float64(1) {
			t.Fatalf("move the cut-over: %d %v", status, res)
		}
		if status, res := d.API(http.MethodPost, base+"/pause", nil); status != 200 || res["state"] != "paused" {
			t.Fatalf("pause: %d %v", status, res)
		}
		if status, res := d.API(http.MethodPost, base+"/resume", nil); status != 200 || res["state"] != "running" {
			t.Fatalf("resume: %d %v", status, res)
		}

		// The host's own re-authentication completes the car.
		status, res = d.API(http.MethodPost, "/api/v1/vehicles/"+"veh-"+fmt.Sprint(len(`{"make":"TESLA","model":"Model 3","year":2021,"country":"DE"}`))+"/reauthenticated", nil)
		if status != 200 || len(res["campaigns_completed"].([]any)) != 1 {
			t.Fatalf("reauthenticated: %d %v", status, res)
		}
		if status, res := d.API(http.MethodPost, "/api/v1/vehicles/nope/reauthenticated", nil); status != 404 {
			t.Fatalf("unknown vehicle: %d %v", status, res)
		}
		status, res = d.API(http.MethodGet, base, nil)
		counts := res["counts"].(map[string]any)
		if status != 200 || counts["completed"] != float64(1) || counts["notified"] != float64(0) || counts["declined"] != float64(0) ||
			res["cohort"].(map[string]any)["vehicles"] != float64(1) {
			t.Fatalf("get: %d %v", status, res)
		}
		if status, res := d.API(http.MethodPost, base+"/cancel", nil); status != 200 || res["state"] != "cancelled" {
			t.Fatalf("cancel: %d %v", status, res)
		}
		if status, res := d.API(http.MethodPost, base+"/cancel", nil); status != 409 {
			t.Fatalf("cancel twice: %d %v", status, res)
		}
		for _, p := range []string{"/api/v1/campaigns/999", "/api/v1/campaigns/x"} {
			if status, _ := d.API(http.MethodGet, p, nil); status != 404 {
				t.Fatalf("%s: %d", p, status)
			}
		}

		// An empty cohort is refused at launch.
		_, res = d.API(http.MethodPost, "/api/v1/campaigns", campaignBody(map[string]any{"make": "RIVIAN"}))
		status, res = d.API(http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/launch", int64(res["id"].(float64))), nil)
		if status != 422 || webtest.ErrorCode(res) != "empty_cohort" {
			t.Fatalf("empty cohort: %d %v", status, res)
		}
		status, res = d.API(http.MethodGet, "/api/v1/campaigns?limit=1", nil)
		if status != 200 || len(res["campaigns"].([]any)) != 1 || res["next_before"] == nil {
			t.Fatalf("list: %d %v", status, res)
		}
		if status, _ := d.API(http.MethodGet, "/api/v1/campaigns?limit=0", nil); status != 422 {
			t.Fatalf("bad limit: %d", status)
		}
	})
}

func TestAPICampaignListUploadStreamsPastTheBodyLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		o, _ := d.Store.UpsertOwner(ctx, store.OwnerInput{HostUserID: "host-1"})
		if _, err := d.Store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "veh-1", OwnerID: &o.ID, Make: "TESLA", VIN: "5YJ3E1EA7KF000001"}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "veh-2", OwnerID: &o.ID, Make: "TESLA"}); err != nil {
			t.Fatal(err)
		}
		_, res := d.API(http.MethodPost, "/api/v1/campaigns", campaignBody(nil))
		url := fmt.Sprintf("/api/v1/campaigns/%d/vehicles.csv", int64(res["id"].(float64)))

		// Larger than MAX_BODY_BYTES (1 MiB here): 70,000 unknown VINs, then
		// the two cars by VIN (lower case) and by id, one of them twice.
		var b bytes.Buffer
		for i := range 70000 {
			fmt.Fprintf(&b, "UNKNOWN%010d\r\n", i)
		}
		b.WriteString("5yj3e1ea7kf000001\n\"veh-2\"\n\nveh-2\n")
		if b.Len() <= 1<<20 {
			t.Fatalf("the body must exceed the global limit, is %d bytes", b.Len())
		}
		status, res := d.Upload(url, "text/csv; charset=utf-8", &b)
		if status != 200 || res["lines"] != float64(70003) || res["distinct"] != float64(70002) || res["matched"] != float64(2) ||
			res["unmatched_count"] != float64(70000) || len(res["unmatched"].([]any)) != 1000 || res["unmatched"].([]any)[0] != "UNKNOWN0000000000" {
			t.Fatalf("upload: %d %v", status, summary(res))
		}
		_, got := d.API(http.MethodGet, strings.TrimSuffix(url, "/vehicles.csv"), nil)
		if got["has_vehicle_list"] != true || got["cohort"].(map[string]any)["vehicles"] != float64(2) {
			t.Fatalf("the list narrows the cohort: %v", got)
		}
		// A second upload replaces the list.
		status, res = d.Upload(url, "text/csv", strings.NewReader("veh-1\n"))
		if status != 200 || res["distinct"] != float64(1) || res["unmatched_count"] != float64(0) {
			t.Fatalf("replace: %d %v", status, res)
		}
		if status, res := d.Upload(url, "application/json", strings.NewReader("veh-1\n")); status != 415 {
			t.Fatalf("wrong type: %d %v", status, res)
		}
		if status, res := d.Upload(url, "text/csv", strings.NewReader(strings.Repeat("x", 300)+"\n")); status != 422 || fieldOf(res) != "file" {
			t.Fatalf("long line: %d %v", status, res)
		}
		if status, _ := d.Upload("/api/v1/campaigns/999/vehicles.csv", "text/csv", strings.NewReader("veh-1\n")); status != 404 {
			t.Fatalf("missing campaign: %d", status)
		}
		d.API(http.MethodPost, strings.TrimSuffix(url, "/vehicles.csv")+"/launch", nil)
		if status, _ := d.Upload(url, "text/csv", strings.NewReader("veh-1\n")); status != 409 {
			t.Fatalf("a running campaign's list: %d", status)
		}
	})
}

// summary keeps a long answer readable in a failure message.
func summary(res map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range res {
		if l, ok := v.([]any); ok {
			out[k] = fmt.Sprintf("[%d items]", len(l))
			continue
		}
		out[k] = v
	}
	return out
}
