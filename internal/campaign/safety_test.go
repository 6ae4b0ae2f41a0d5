package campaign_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestTrippedNamesTheThresholdAWavePasses(t *testing.T) {
	for _, tc := range []struct {
		h    campaign.WaveHealth
		want model.PauseReason
	}{
		{campaign.WaveHealth{Emails: 49, Failed: 49}, ""},             // too few to judge
		{campaign.WaveHealth{Emails: 100, Failed: 3, Bounced: 2}, ""}, // 5 % is the limit, not over it
		{campaign.WaveHealth{Emails: 100, Failed: 3, Bounced: 3}, model.PauseBounces},
		{campaign.WaveHealth{Emails: 1000, Complaints: 3}, ""}, // 0.3 %
		{campaign.WaveHealth{Emails: 1000, Complaints: 4}, model.PauseComplaints},
		{campaign.WaveHealth{Emails: 50, Complaints: 1, Failed: 9}, model.PauseComplaints},
		{campaign.WaveHealth{ConnectAttempts: 19, ConnectErrors: 19}, ""},
		{campaign.WaveHealth{ConnectAttempts: 20, ConnectErrors: 4}, ""},
		{campaign.WaveHealth{ConnectAttempts: 20, ConnectErrors: 5}, model.PauseConnectErrors},
	} {
		if got := campaign.Tripped(tc.h); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.h, got, tc.want)
		}
	}
}

// Trips to Connect that end in errors other than the owner's refusal
// pause the campaign once they pass a fifth of at least 20 trips; the
// owner saying no (access_denied) is their choice, not a fault.
func TestConnectErrorsPauseTheCampaignButRefusalsDoNot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		var cars []model.Vehicle
		for i := range 25 {
			o := w.owner(fmt.Sprintf("o%02d", i), fmt.Sprintf("o%02d@example.com", i))
			cars = append(cars, w.car(fmt.Sprintf("c%02d", i), &o, "TESLA", "Model 3", 2021, "DE"))
		}
		in := tesla(start.Add(20 * 24 * time.Hour))
		in.FirstWave = 100
		c := w.launch(w.create(in).ID)
		w.advance(time.Hour)
		now := w.clock()
		for _, v := range cars {
			if err := w.store.MarkCampaignStep(w.ctx, c.ID, v.ID, "started_at", now); err != nil {
				t.Fatal(err)
			}
		}
		check := func() bool {
			t.Helper()
			paused, err := w.svc.CheckSafety(w.ctx, nil, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return paused
		}
		// Ten refusals and five errors: 5 of 25 is 20 %, not over it.
		for i, v := range cars[:15] {
			code := "access_denied"
			if i >= 10 {
				code = "server_error"
			}
			if err := w.store.FailCampaignVehicle(w.ctx, c.ID, v.ID, code, now); err != nil {
				t.Fatal(err)
			}
		}
		if check() {
			t.Fatal("paused at 5 errors in 25 trips")
		}
		if err := w.store.FailCampaignVehicle(w.ctx, c.ID, cars[15].ID, "vehicle_incompatible", now); err != nil {
			t.Fatal(err)
		}
		if !check() {
			t.Fatal("not paused at 6 errors in 25 trips")
		}
		if check() {
			t.Fatal("a second check paused it again")
		}
		got, _ := w.svc.Get(w.ctx, c.ID)
		if got.State != model.CampaignPaused || got.PauseReason != model.PauseConnectErrors || !got.AutoPaused() {
			t.Fatalf("after the check: %s %q", got.State, got.PauseReason)
		}
		if msgs := w.host.messages(); len(msgs) != 1 || msgs[0] != fmt.Sprintf("%d:paused:connect_errors", c.ID) {
			t.Fatalf("host webhooks: %v", msgs)
		}
		// Resumed, the checks count from the resume: the old errors do not
		// pause it again.
		w.advance(time.Minute)
		if _, err := w.svc.Resume(w.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		w.advance(time.Minute)
		if check() {
			t.Fatal("errors from before the resume paused it again")
		}
		if got, _ := w.svc.Get(w.ctx, c.ID); got.PauseReason != "" || got.ResumedAt == nil {
			t.Fatalf("after the resume: %q %v", got.PauseReason, got.ResumedAt)
		}
	})
}

// "Email the ones who have not finished now" writes one notice, due now,
// for each owner with a car still to repair; a repeat in the same second
// writes nothing more, and a paused campaign sends nothing.
func TestFollowUpReachesTheOwnersStillToFinish(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice, bob, carol := w.owner("alice", "alice@example.com"), w.owner("bob", "bob@example.com"), w.owner("carol", "carol@example.com")
		w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		b1 := w.car("b1", &bob, "TESLA", "Model Y", 2022, "DE")
		w.car("c1", &carol, "TESLA", "Model S", 2020, "FR")
		in := tesla(start.Add(20 * 24 * time.Hour))
		in.FirstWave = 100
		c := w.launch(w.create(in).ID)
		w.advance(time.Hour)
		if _, _, err := w.svc.Reauthenticated(w.ctx, "a1"); err != nil {
			t.Fatal(err)
		}
		// Bob started and did not finish: support's list has him, with
		// his phone.
		if _, err := w.store.UpsertOwner(w.ctx, store.OwnerInput{HostUserID: "bob", Email: "bob@example.com", Phone: "+4930123456"}); err != nil {
			t.Fatal(err)
		}
		if err := w.store.MarkCampaignStep(w.ctx, c.ID, b1.ID, "started_at", w.clock()); err != nil {
			t.Fatal(err)
		}
		stuck, err := w.svc.Stuck(w.ctx, c.ID, 50)
		if err != nil || len(stuck) != 1 || stuck[0].Phone != "+4930123456" || stuck[0].HostUserID != "bob" || stuck[0].Model != "Model Y" {
			t.Fatalf("stuck: %+v %v", stuck, err)
		}

		w.advance(time.Hour)
		_, n, err := w.svc.FollowUp(w.ctx, c.ID)
		if err != nil || n != 2 {
			t.Fatalf("follow-up: %d owners, %v; want bob and carol", n, err)
		}
		followUps := func(o model.Owner) (k int) {
			for _, nt := range w.notices(c, o) {
				if nt.Kind == store.NoticeFollowUp && nt.DueAt.Equal(w.clock()) && nt.Status == store.NoticePending {
					k++
				}
			}
			return k
		}
		if followUps(alice) != 0 || followUps(bob) != 1 || followUps(carol) != 1 {
			t.Fatalf("follow-ups: alice %d, bob %d, carol %d", followUps(alice), followUps(bob), followUps(carol))
		}
		if _, n, err := w.svc.FollowUp(w.ctx, c.ID); err != nil || n != 0 {
			t.Fatalf("a repeat in the same second: %d, %v", n, err)
		}
		if _, err := w.svc.Pause(w.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.FollowUp(w.ctx, c.ID); !errors.Is(err, campaign.ErrTransition) {
			t.Fatalf("follow-up of a paused campaign: %v", err)
		}
	})
}

// A campaign created without its own waves takes the configured ones; the
// API's own values win.
func TestConfiguredWavesAreTheDefault(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.svc.Configure(campaign.Settings{FirstWave: 5, WaveHold: 2 * time.Hour})
		c := w.create(tesla(start.Add(20 * 24 * time.Hour)))
		if c.FirstWave != 5 || c.WaveHold != 2*time.Hour {
			t.Fatalf("defaults: %d%% %s", c.FirstWave, c.WaveHold)
		}
		in := tesla(start.Add(20 * 24 * time.Hour))
		in.Name, in.FirstWave, in.WaveHold = "All at once", 100, time.Hour
		if c := w.create(in); c.FirstWave != 100 || c.WaveHold != time.Hour {
			t.Fatalf("own values: %d%% %s", c.FirstWave, c.WaveHold)
		}
	})
}
