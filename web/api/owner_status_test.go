package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/webtest"
)

// A car in a running campaign needs the owner before it breaks: the status
// names the campaign, says what to do in the owner's language and time
// zone, and gives a fresh in-app link. A car of another make and one that
// completed the campaign have none; a cancelled campaign takes it away.
func TestStatusNamesTheCampaignACarMustBeReauthenticatedFor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		o, err := d.Store.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-1", Email: "u1@example.com", Locale: "de", TimeZone: "Europe/Berlin"})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []store.VehicleInput{
			{SmartcarID: "tesla-1", OwnerID: &o.ID, Make: "TESLA", Model: "Model 3", Year: 2021},
			{SmartcarID: "tesla-2", OwnerID: &o.ID, Make: "TESLA", Model: "Model Y", Year: 2023},
			{SmartcarID: "ford-1", OwnerID: &o.ID, Make: "FORD", Model: "Mustang Mach-E", Year: 2022},
		} {
			if _, err := d.Store.UpsertVehicle(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		// 23:30 UTC on 2 March is already 3 March in Berlin.
		cut := time.Date(2030, 3, 2, 23, 30, 0, 0, time.UTC)
		c, err := d.Campaigns.Create(ctx, campaign.Input{Name: "Tesla platform", Make: "TESLA", Reason: model.ReasonNewPlatform, CutoverAt: cut})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = d.Campaigns.Launch(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		t2, err := d.Store.VehicleBySmartcarID(ctx, "tesla-2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Store.CompleteCampaignVehicle(ctx, c.ID, t2.ID, model.SourceCallback, d.Store.Now()); err != nil {
			t.Fatal(err)
		}

		status, res := d.API(http.MethodGet, "/api/v1/owners/u-1/status", nil)
		if status != 200 || res["needs_action"] != true {
			t.Fatalf("%d %v", status, res)
		}
		byID := map[string]map[string]any{}
		for _, v := range res["vehicles"].([]any) {
			m := v.(map[string]any)
			byID[m["vehicle_id"].(string)] = m
		}
		t1 := byID["tesla-1"]
		camp, _ := t1["campaign"].(map[string]any)
		if t1["needs_action"] != true || t1["state"] != "connected" || camp == nil {
			t.Fatalf("the connected Tesla in the campaign: %v", t1)
		}
		link, _ := camp["link"].(map[string]any)
		if camp["name"] != "Tesla platform" || camp["cutover_at"] != "2030-03-02T23:30:00Z" || link == nil ||
			!strings.Contains(link["url"].(string), "/l/") ||
			!strings.HasPrefix(camp["message"].(string), "Tesla stellt am 3. März auf eine neue Plattform um. Bitte melden Sie sich vor dem 3. März") {
			t.Fatalf("campaign object: %v", camp)
		}
		for _, id := range []string{"tesla-2", "ford-1"} {
			if v := byID[id]; v["campaign"] != nil || v["needs_action"] != false || v["link"] != nil {
				t.Errorf("%s: %v", id, v)
			}
		}
		// Cancelled: the banner goes.
		if _, err := d.Campaigns.Cancel(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, res := d.API(http.MethodGet, "/api/v1/owners/u-1/status", nil); res["needs_action"] != false {
			t.Fatalf("after the campaign is cancelled: %v", res)
		}
	})
}
