package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
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

// campaignEmail puts an owner with a Tesla in a launched campaign and
// records that the campaign's notice went to them in an email the mail
// server accepted, with this Message-ID.
func campaignEmail(t *testing.T, d *webtest.Detection, c model.Campaign, host, messageID string) (model.Owner, model.Vehicle) {
	t.Helper()
	ctx := context.Background()
	o, err := d.Store.OwnerByHostID(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := d.Store.VehiclesByOwner(ctx, o.ID)
	if err != nil || len(vs) != 1 {
		t.Fatalf("vehicles of %s: %v %v", host, vs, err)
	}
	em, err := d.Store.CreateEmail(ctx, store.EmailMessage{MessageID: messageID, DedupeKey: "test/" + messageID, OwnerID: o.ID,
		Kind: store.EmailCampaignNotice, Source: model.SourceSchedule})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Store.FinishEmail(ctx, em.ID, store.EmailSent, 0, ""); err != nil {
		t.Fatal(err)
	}
	ns, err := d.Store.NoticesOfOwner(ctx, c.ID, o.ID)
	if err != nil || len(ns) == 0 {
		t.Fatalf("notices of %s: %v", host, err)
	}
	if sent, err := d.Campaigns.MarkNoticeSent(ctx, ns[0].ID, messageID); err != nil || !sent {
		t.Fatalf("mark sent: %v %v", sent, err)
	}
	return o, vs[0]
}

func TestEmailEventsRecordBouncesAndComplaintsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		for _, host := range []string{"bounced", "complains", "fine"} {
			if status, res := d.API(http.MethodPut, "/api/v1/owners/"+host, []byte(`{"email":"`+host+`@example.com"}`)); status != 200 {
				t.Fatalf("owner: %d %v", status, res)
			}
			if status, res := d.API(http.MethodPut, "/api/v1/owners/"+host+"/vehicles/car-"+host, []byte(`{"make":"TESLA","model":"Model 3","year":2021}`)); status != 200 {
				t.Fatalf("vehicle: %d %v", status, res)
			}
		}
		c, err := d.Campaigns.Create(ctx, campaign.Input{Name: "Tesla platform", Make: "TESLA", Reason: model.ReasonNewPlatform,
			CutoverAt: time.Now().Add(24 * time.Hour), FirstWave: 100})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = d.Campaigns.Launch(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		bounced, _ := campaignEmail(t, d, c, "bounced", "rc.bounce@reconnect.example")
		complains, _ := campaignEmail(t, d, c, "complains", "rc.complaint@reconnect.example")
		campaignEmail(t, d, c, "fine", "rc.fine@reconnect.example")
		steps := func() map[model.FunnelStep]int64 {
			f, err := d.Campaigns.Funnel(ctx, c.ID, campaign.FunnelFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return f.Steps
		}
		if s := steps(); s[model.StepNotified] != 3 || s[model.StepUnreachable] != 0 {
			t.Fatalf("before any report: %v", s)
		}

		// A permanent bounce, named as mail headers write it.
		status, res := d.API(http.MethodPost, "/api/v1/email-events", []byte(`{"message_id":"<rc.bounce@reconnect.example>","kind":"bounce","permanent":true}`))
		if status != 200 || res["recorded"] != true || res["message_id"] != "rc.bounce@reconnect.example" {
			t.Fatalf("bounce: %d %v", status, res)
		}
		if s := steps(); s[model.StepNotified] != 2 || s[model.StepUnreachable] != 1 {
			t.Fatalf("a permanent bounce leaves the owner unreachable: %v", s)
		}
		// The same report again changes nothing.
		if status, res := d.API(http.MethodPost, "/api/v1/email-events", []byte(`{"message_id":"rc.bounce@reconnect.example","kind":"bounce","permanent":true}`)); status != 200 || res["recorded"] != false {
			t.Fatalf("repeat: %d %v", status, res)
		}
		em, _ := d.Store.EmailByMessageID(ctx, "rc.bounce@reconnect.example")
		if em.BouncedAt == nil || !em.BouncePermanent || em.OwnerID != bounced.ID {
			t.Fatalf("email after the bounce: %+v", em)
		}

		// A batch: a soft bounce of the fine one, and a complaint.
		status, res = d.API(http.MethodPost, "/api/v1/email-events", []byte(`[
			{"message_id":"rc.fine@reconnect.example","kind":"bounce"},
			{"message_id":"rc.complaint@reconnect.example","kind":"complaint"}]`))
		reports, _ := res["reports"].([]any)
		if status != 200 || len(reports) != 2 || reports[1].(map[string]any)["unsubscribed"] != true {
			t.Fatalf("batch: %d %v", status, res)
		}
		// Neither takes back an email that reached its owner: both stay
		// notified (the funnel's unreachable is for owners never told).
		if s := steps(); s[model.StepNotified] != 2 || s[model.StepUnreachable] != 1 {
			t.Fatalf("after a soft bounce and a complaint: %v", s)
		}
		o, _ := d.Store.OwnerByID(ctx, complains.ID)
		if o.UnsubscribedAt == nil {
			t.Fatal("the owner who complained is still subscribed")
		}
		events, _ := json.Marshal(mustEvents(t, d, o.ID))
		if !json.Valid(events) || !strings.Contains(string(events), "spam_complaint") {
			t.Fatalf("the timeline does not say why the owner was unsubscribed: %s", events)
		}

		// Errors name what is wrong.
		for _, tc := range []struct {
			body   string
			status int
			field  string
		}{
			{`{"message_id":"rc.nobody@reconnect.example","kind":"bounce"}`, 404, "message_id"},
			{`{"kind":"bounce"}`, 422, "message_id"},
			{`{"message_id":"rc.fine@reconnect.example","kind":"opened"}`, 422, "kind"},
			{`{"message_id":"rc.fine@reconnect.example","kind":"bounce","hard":true}`, 422, "hard"},
			{`[]`, 422, "body"},
			{`[{"message_id":"rc.fine@reconnect.example","kind":"spam"}]`, 422, "[0].kind"},
		} {
			status, res := d.API(http.MethodPost, "/api/v1/email-events", []byte(tc.body))
			if status != tc.status || fieldOf(res) != tc.field {
				t.Errorf("%s: %d %v, want %d naming %s", tc.body, status, res, tc.status, tc.field)
			}
		}
		if status, res := d.API(http.MethodPost, "/api/v1/email-events", []byte(`{"message_id":"rc.nobody@reconnect.example","kind":"bounce"}`)); webtest.ErrorCode(res) != "unknown_message_id" {
			t.Errorf("unknown message: %d %v", status, res)
		}
	})
}

func mustEvents(t *testing.T, d *webtest.Detection, ownerID int64) []model.Event {
	t.Helper()
	es, err := d.Store.EventsByOwner(context.Background(), ownerID, store.Page{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestOwnerPhoneIsE164(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		status, res := d.API(http.MethodPut, "/api/v1/owners/u-phone", []byte(`{"email":"p@example.com","phone":"+4930123456"}`))
		if status != 200 || res["phone"] != "+4930123456" {
			t.Fatalf("phone: %d %v", status, res)
		}
		o, _ := d.Store.OwnerByHostID(context.Background(), "u-phone")
		if o.Phone != "+4930123456" {
			t.Fatalf("stored phone %q", o.Phone)
		}
		for _, bad := range []string{"030 123456", "+49 30 123456", "+0301234567", "4930123456", "+1234", "+12345678901234567"} {
			body, _ := json.Marshal(map[string]string{"phone": bad})
			if status, res := d.API(http.MethodPut, "/api/v1/owners/u-phone", body); status != 422 || fieldOf(res) != "phone" {
				t.Errorf("%q: %d %v", bad, status, res)
			}
		}
		// A PUT without a phone removes it, as it does every other field.
		if status, res := d.API(http.MethodPut, "/api/v1/owners/u-phone", []byte(`{"email":"p@example.com"}`)); status != 200 || res["phone"] != "" {
			t.Fatalf("without phone: %d %v", status, res)
		}
	})
}

// A campaign that paused itself says why; one staff paused does not.
func TestAPICampaignSaysWhyItPausedItself(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		if status, res := d.API(http.MethodPut, "/api/v1/owners/u1", []byte(`{"email":"u1@example.com"}`)); status != 200 {
			t.Fatalf("owner: %d %v", status, res)
		}
		if status, res := d.API(http.MethodPut, "/api/v1/owners/u1/vehicles/car-1", []byte(`{"make":"TESLA","model":"Model 3","year":2021}`)); status != 200 {
			t.Fatalf("vehicle: %d %v", status, res)
		}
		c, err := d.Campaigns.Create(ctx, campaign.Input{Name: "Tesla platform", Make: "TESLA", Reason: model.ReasonNewPlatform, CutoverAt: time.Now().Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Campaigns.Launch(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/campaigns/" + strconv.FormatInt(c.ID, 10)
		if status, res := d.API(http.MethodPost, path+"/pause", nil); status != 200 || res["pause_reason"] != nil {
			t.Fatalf("paused by staff: %d %v", status, res)
		}
		if _, err := d.Campaigns.Resume(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if moved, err := d.Store.MoveCampaign(ctx, c.ID, model.CampaignRunning, model.CampaignPaused, time.Now()); err != nil || !moved {
			t.Fatal(moved, err)
		}
		if err := d.Store.SetCampaignPause(ctx, c.ID, model.PauseComplaints, `{"wave":1,"emails":60,"complaints":1}`); err != nil {
			t.Fatal(err)
		}
		if status, res := d.API(http.MethodGet, path, nil); status != 200 || res["pause_reason"] != "complaints" || res["state"] != "paused" {
			t.Fatalf("paused by itself: %d %v", status, res)
		}
	})
}
