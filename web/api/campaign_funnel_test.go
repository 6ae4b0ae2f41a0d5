package api_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/api"
	"reconnect/web/webtest"
)

// funnelCampaign launches a campaign over six Teslas (and not a Ford), one
// at each of six funnel steps:
//
//	veh-1 DE Model 3  completed (the host re-authenticated it)
//	veh-2 FR =cmd     declined: sold
//	veh-3 FR Model 3  Connect answered access_denied
//	veh-4 DE Model Y  opened its link
//	veh-5 DE Model Y  notified (the status API showed the notice)
//	veh-6 DE Model Y  its owner has no email address: unreachable
func funnelCampaign(t *testing.T, d *webtest.Detection) (int64, map[string]model.Vehicle) {
	t.Helper()
	ctx := context.Background()
	cars := map[string]model.Vehicle{}
	for i, c := range []struct{ mdl, country string }{
		{"Model 3", "DE"}, {"=cmd|' /C calc'!A0", "FR"}, {"Model 3", "FR"}, {"Model Y", "DE"}, {"Model Y", "DE"}, {"Model Y", "DE"},
	} {
		email := fmt.Sprintf("o%d@example.com", i+1)
		if i == 5 {
			email = ""
		}
		o, err := d.Store.UpsertOwner(ctx, store.OwnerInput{HostUserID: fmt.Sprintf("host-%d", i+1), Email: email})
		if err != nil {
			t.Fatal(err)
		}
		v, err := d.Store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: fmt.Sprintf("veh-%d", i+1), OwnerID: &o.ID, Make: "TESLA",
			Model: c.mdl, Year: 2022, Country: c.country, VIN: fmt.Sprintf("5YJ3E1EA7KF00000%d", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		cars[v.SmartcarID] = v
	}
	if _, err := d.Store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "ford-1", Make: "FORD"}); err != nil {
		t.Fatal(err)
	}
	_, res := d.API(http.MethodPost, "/api/v1/campaigns", campaignBody(map[string]any{"first_wave": 100}))
	id := int64(res["id"].(float64))
	if status, res := d.API(http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/launch", id), nil); status != 200 {
		t.Fatalf("launch: %d %v", status, res)
	}
	now := d.Store.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := d.Store.CompleteCampaignVehicle(ctx, id, cars["veh-1"].ID, model.SourceAPI, now)
	must(err)
	_, err = d.Store.DeclineCampaignVehicle(ctx, id, cars["veh-2"].ID, "sold", now)
	must(err)
	must(d.Store.FailCampaignVehicle(ctx, id, cars["veh-3"].ID, "access_denied", now))
	must(d.Campaigns.Shown(ctx, nil, id, cars["veh-4"].ID, now))
	must(d.Store.MarkCampaignStep(ctx, id, cars["veh-4"].ID, "opened_at", now))
	must(d.Campaigns.Shown(ctx, nil, id, cars["veh-5"].ID, now))
	return id, cars
}

func TestAPICampaignFunnelStepsAddUpToTheCohort(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		id, _ := funnelCampaign(t, d)
		base := fmt.Sprintf("/api/v1/campaigns/%d/funnel", id)

		status, res := d.API(http.MethodGet, base, nil)
		if status != 200 || res["cohort"] != float64(6) {
			t.Fatalf("funnel: %d %v", status, res)
		}
		steps := res["steps"].(map[string]any)
		want := map[model.FunnelStep]float64{model.StepNotNotified: 0, model.StepNotified: 1, model.StepOpened: 1, model.StepStarted: 0,
			model.StepCompleted: 1, model.StepDeclined: 1, model.StepUnreachable: 1, model.StepFailed: 1}
		var sum float64
		for st, n := range want {
			if steps[string(st)] != n {
				t.Errorf("%s = %v, want %v", st, steps[string(st)], n)
			}
			sum += steps[string(st)].(float64)
		}
		if len(steps) != len(model.FunnelSteps) || sum != 6 {
			t.Errorf("steps %v add up to %v, want the cohort of 6", steps, sum)
		}
		// Along the line: 6 → 3 (notified, opened, completed) → 2 → 1 → 1.
		convs := res["conversions"].([]any)
		wantConv := [][2]float64{{6, 3}, {3, 2}, {2, 1}, {1, 1}}
		for i, c := range convs {
			c := c.(map[string]any)
			if c["from_reached"] != wantConv[i][0] || c["to_reached"] != wantConv[i][1] || c["rate"] != wantConv[i][1]/wantConv[i][0] {
				t.Errorf("conversion %d: %v, want %v", i, c, wantConv[i])
			}
		}
		if r := res["declined_by_reason"].([]any); len(r) != 1 || r[0].(map[string]any)["reason"] != "sold" || r[0].(map[string]any)["vehicles"] != float64(1) {
			t.Errorf("declined by reason %v", r)
		}
		if r := res["failed_by_error"].([]any); len(r) != 1 || r[0].(map[string]any)["error"] != "access_denied" {
			t.Errorf("failed by error %v", r)
		}
		byCountry := map[string]float64{}
		for _, b := range res["by_country"].([]any) {
			b := b.(map[string]any)
			byCountry[b["country"].(string)] = b["cohort"].(float64)
		}
		if byCountry["DE"] != 4 || byCountry["FR"] != 2 || len(byCountry) != 2 {
			t.Errorf("by country %v", byCountry)
		}
		if w := res["by_wave"].([]any); len(w) != 1 || w[0].(map[string]any)["wave"] != float64(1) {
			t.Errorf("by wave %v", w)
		}
		if m := res["by_model"].([]any); len(m) != 3 {
			t.Errorf("by model %v", m)
		}
		notices := res["by_notice"].([]any)
		if last := notices[len(notices)-1].(map[string]any); last["notice"] != model.FunnelAttributionDirect || last["completed"] != float64(1) {
			t.Errorf("the host's completion is not direct: %v", notices)
		}
		days := res["by_day"].([]any)
		if len(days) < 2 || days[0].(map[string]any)["notified"] != float64(2) || days[0].(map[string]any)["completed"] != float64(1) {
			t.Errorf("by day %v", days)
		}
		if !days[len(days)-1].(map[string]any)["cutover"].(bool) {
			t.Errorf("the last day is not the cut-over's: %v", days[len(days)-1])
		}
		if fc := res["forecast"].(map[string]any); fc["enough_data"] != false || fc["completed"] != float64(1) {
			t.Errorf("forecast on launch day %v", fc)
		}
		if f := res["filters"].(map[string]any); len(f["countries"].([]any)) != 2 || len(f["models"].([]any)) != 3 {
			t.Errorf("filters %v", f)
		}

		// Narrowed to France: the decline and the failure.
		status, res = d.API(http.MethodGet, base+"?country=fr", nil)
		steps = res["steps"].(map[string]any)
		if status != 200 || res["cohort"] != float64(2) || steps[string(model.StepDeclined)] != float64(1) || steps[string(model.StepFailed)] != float64(1) ||
			res["filter"].(map[string]any)["country"] != "FR" {
			t.Fatalf("FR: %d %v", status, res)
		}
		status, res = d.API(http.MethodGet, base+"?wave=1&model=Model+Y", nil)
		if status != 200 || res["cohort"] != float64(3) {
			t.Fatalf("wave 1, Model Y: %d %v", status, res)
		}
		for q, field := range map[string]string{"?wave=first": "wave", "?wave=0": "wave", "?country=Germany": "country"} {
			if status, res := d.API(http.MethodGet, base+q, nil); status != 422 || fieldOf(res) != field {
				t.Errorf("%s: %d %v", q, status, res)
			}
		}
		if status, res := d.API(http.MethodGet, "/api/v1/campaigns/999999/funnel", nil); status != 404 || webtest.ErrorCode(res) != "campaign_not_found" {
			t.Fatalf("unknown campaign: %d %v", status, res)
		}
		if status, _ := d.Do(http.MethodGet, base, nil, nil); status != 401 {
			t.Fatalf("without a key: %d", status)
		}
	})
}

func TestAPICampaignVehiclesCSVHasARowPerVehicleWithFormulasDefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		id, _ := funnelCampaign(t, d)
		status, h, body := d.Download(fmt.Sprintf("/api/v1/campaigns/%d/vehicles.csv", id))
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%d %v", status, h)
		}
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != "host_user_id,vehicle_id,vin,make,model,year,country,step,declined_reason,last_notice_sent_at,completed_at" {
			t.Fatalf("header %q", rows[0])
		}
		if len(rows) != 7 {
			t.Fatalf("%d rows, want the header and 6 vehicles: %q", len(rows), rows)
		}
		byID := map[string][]string{}
		for _, r := range rows[1:] {
			byID[r[1]] = r
		}
		if r := byID["veh-1"]; r[0] != "host-1" || r[2] != "5YJ3E1EA7KF000001" || r[3] != "TESLA" || r[4] != "Model 3" || r[5] != "2022" ||
			r[6] != "DE" || r[7] != string(model.StepCompleted) || r[10] == "" {
			t.Errorf("veh-1: %q", r)
		}
		if r := byID["veh-2"]; r[4] != "'=cmd|' /C calc'!A0" || r[7] != string(model.StepDeclined) || r[8] != "sold" {
			t.Errorf("veh-2 (a formula for a model): %q", r)
		}
		if r := byID["veh-6"]; r[7] != string(model.StepUnreachable) || r[10] != "" {
			t.Errorf("veh-6: %q", r)
		}
		if _, ok := byID["ford-1"]; ok {
			t.Error("a car outside the cohort is exported")
		}
		if status, _, _ := d.Download("/api/v1/campaigns/999999/vehicles.csv"); status != 404 {
			t.Fatalf("unknown campaign: %d", status)
		}
	})
}

// The export writes and flushes rows as it reads them: the client has the
// first row while the handler is held after its first hundred, before it
// reads the rest from the database.
func TestAPICampaignVehiclesCSVStreams(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		const cars = 3*campaign.ExportFlushRows + 17
		err := d.Store.Tx(ctx, func(tx *store.Store) error {
			o, err := tx.UpsertOwner(ctx, store.OwnerInput{HostUserID: "fleet", Email: "fleet@example.com"})
			if err != nil {
				return err
			}
			for i := range cars {
				if _, err := tx.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: fmt.Sprintf("veh-%04d", i), OwnerID: &o.ID, Make: "TESLA"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_, res := d.API(http.MethodPost, "/api/v1/campaigns", campaignBody(map[string]any{"first_wave": 100}))
		id := int64(res["id"].(float64))
		d.API(http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/launch", id), nil)

		firstRow := make(chan struct{})
		held := make(chan bool, 1)
		var flushes []int64
		defer api.SetExportFlushed(func(rows int64) {
			flushes = append(flushes, rows)
			if rows == campaign.ExportFlushRows {
				select {
				case <-firstRow:
					held <- true
				case <-time.After(10 * time.Second):
					held <- false
				}
			}
		})()

		resp := d.Stream(fmt.Sprintf("/api/v1/campaigns/%d/vehicles.csv", id))
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		header, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(header, "host_user_id,") {
			t.Fatalf("header %q %v", header, err)
		}
		first, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(first, "fleet,veh-0000,") {
			t.Fatalf("first row %q %v", first, err)
		}
		close(firstRow)
		rest, err := io.ReadAll(br)
		if err != nil {
			t.Fatal(err)
		}
		if !<-held {
			t.Fatal("the first row did not reach the client while the export was held after its first flush")
		}
		if n := strings.Count(string(rest), "\n") + 1; n != cars {
			t.Fatalf("%d rows, want %d", n, cars)
		}
		want := []int64{0, 100, 200, 300, cars}
		if fmt.Sprint(flushes) != fmt.Sprint(want) {
			t.Fatalf("flushed after %v rows, want %v", flushes, want)
		}
	})
}
