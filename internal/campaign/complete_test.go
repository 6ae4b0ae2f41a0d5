package campaign_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// breakCar moves a car to needs_reauth as a Smartcar webhook would.
func (w *world) breakCar(v model.Vehicle) {
	w.t.Helper()
	if _, _, err := w.lc.Transition(w.ctx, nil, v.ID, store.StateChange{To: model.StateNeedsReauth,
		Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", Source: model.SourceWebhook}); err != nil {
		w.t.Fatal(err)
	}
}

// fix returns a car to connected from source, first through reconnecting
// when the owner repairs it through Connect (as the repair service does).
func (w *world) fix(v model.Vehicle, source model.Source) {
	w.t.Helper()
	if source == model.SourceCallback {
		if _, _, err := w.lc.Transition(w.ctx, nil, v.ID, store.StateChange{To: model.StateReconnecting, Source: model.SourceOwner}); err != nil {
			w.t.Fatal(err)
		}
	}
	if _, _, err := w.lc.Transition(w.ctx, nil, v.ID, store.StateChange{To: model.StateConnected, Source: source}); err != nil {
		w.t.Fatal(err)
	}
}

func TestWhatCountsAsCompletion(t *testing.T) {
	cases := []struct {
		name string
		// before the cut-over or after it
		after bool
		// how the car came back
		source model.Source
		want   bool
	}{
		{"Connect callback before the cut-over", false, model.SourceCallback, true},
		{"RESOLVED before the cut-over proves nothing", false, model.SourceWebhook, false},
		{"a working call before the cut-over proves nothing", false, model.SourceHealthCheck, false},
		{"Connect callback after the cut-over", true, model.SourceCallback, true},
		{"RESOLVED after the cut-over", true, model.SourceWebhook, true},
		{"a verified call after it broke, after the cut-over", true, model.SourceHealthCheck, true},
		{"the keep-alive is not a re-authentication", true, model.SourceSystem, false},
		{"a failed attempt putting the car back is not a completion", false, model.SourceRestore, false},
		{"nor after the cut-over", true, model.SourceRestore, false},
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, db)
				id := fmt.Sprintf("o-%d", time.Now().UnixNano())
				o := w.owner(id, id+"@example.com")
				v := w.car(id+"-car", &o, "TESLA", "Model 3", 2021, "DE")
				cut := start.Add(10 * 24 * time.Hour)
				in := tesla(cut)
				in.Name = id
				c := w.launch(w.create(in).ID)
				if tc.after {
					w.advance(11 * 24 * time.Hour)
				}
				w.breakCar(v)
				w.advance(time.Hour)
				w.fix(v, tc.source)
				cv := w.member(c, v)
				if got := cv.CompletedAt != nil; got != tc.want {
					t.Fatalf("completed = %v, want %v (%+v)", got, tc.want, cv)
				}
				if tc.want && cv.CompletedSource != tc.source {
					t.Fatalf("completed by %s, want %s", cv.CompletedSource, tc.source)
				}
				sent := w.host.messages()
				if want := fmt.Sprintf("%d:%s@%s", c.ID, v.SmartcarID, tc.source); tc.want != slices.Contains(sent, want) {
					t.Fatalf("host webhooks %v (want %q: %v)", sent, want, tc.want)
				}
				evs, _ := w.store.EventsByVehicle(w.ctx, v.ID, store.Page{})
				hasEntry := slices.ContainsFunc(evs, func(e model.Event) bool { return e.Kind == model.EventCampaignCompleted })
				if hasEntry != tc.want {
					t.Fatalf("campaign_completed on the timeline: %v, want %v", hasEntry, tc.want)
				}
			})
		}
	})
}

func TestARepairBeforeTheLaunchIsNotACompletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		o := w.owner("alice", "alice@example.com")
		v := w.car("a1", &o, "TESLA", "Model 3", 2021, "DE")
		c := w.create(tesla(start.Add(10 * 24 * time.Hour)))
		w.breakCar(v)
		w.fix(v, model.SourceCallback)
		w.advance(time.Minute)
		w.launch(c.ID)
		if cv := w.member(c, v); cv.CompletedAt != nil {
			t.Fatalf("a repair before the launch completed the campaign: %+v", cv)
		}
	})
}

func TestCompletionEndsTheOwnersNoticesOnlyWhenNothingIsLeft(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		a1 := w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		a2 := w.car("a2", &alice, "TESLA", "Model Y", 2021, "DE")
		c := w.launch(w.create(tesla(start.Add(20 * 24 * time.Hour))).ID)
		pending := func() int {
			n := 0
			for _, x := range w.notices(c, alice) {
				if x.Status == store.NoticePending {
					n++
				}
			}
			return n
		}
		before := pending()
		w.breakCar(a1)
		w.fix(a1, model.SourceCallback)
		if got := pending(); got != before {
			t.Fatalf("alice still has a2 to repair: %d pending notices, want %d", got, before)
		}
		if cv := w.member(c, a1); cv.StartedAt == nil || cv.CompletedAt == nil {
			t.Fatalf("funnel of a1: %+v", cv)
		}
		// Declining the other car ends them.
		if _, _, err := w.lc.Transition(w.ctx, nil, a2.ID, store.StateChange{To: model.StateDeclined, Reason: "declined:sold", Source: model.SourceOwner}); err != nil {
			t.Fatal(err)
		}
		if cv := w.member(c, a2); cv.DeclinedAt == nil || cv.DeclinedReason != "declined:sold" {
			t.Fatalf("decline: %+v", cv)
		}
		if got := pending(); got != 0 {
			t.Fatalf("nothing left to repair: %d notices still pending", got)
		}
		ns := w.notices(c, alice)
		if ns[0].Status != store.NoticeCancelled || ns[0].SkipReason != string(campaign.SkipOwnerDone) {
			t.Fatalf("%+v", ns[0])
		}
		counts, _ := w.svc.Counts(w.ctx, c.ID)
		if counts.Completed != 1 || counts.Declined != 1 || counts.Started != 1 {
			t.Fatalf("counts %+v", counts)
		}
		// A later repair of the declined car does not count it twice.
		w.fix(a2, model.SourceCallback)
		if counts, _ := w.svc.Counts(w.ctx, c.ID); counts.Completed != 1 {
			t.Fatalf("a declined car completed: %+v", counts)
		}
	})
}

func TestTheHostReportingAReauthenticationCompletesByIDOrVIN(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		a1 := w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		a2 := w.car("a2", &alice, "TESLA", "Model Y", 2021, "DE")
		c := w.launch(w.create(tesla(start.Add(20 * 24 * time.Hour))).ID)
		w.advance(time.Hour)

		// Before the cut-over, the car still working: it counts (the host's own Connect).
		v, done, err := w.svc.Reauthenticated(w.ctx, "a1")
		if err != nil || v.ID != a1.ID || len(done) != 1 || done[0] != c.ID {
			t.Fatalf("by Smartcar id: %+v %v %v", v, done, err)
		}
		if cv := w.member(c, a1); cv.CompletedSource != model.SourceAPI {
			t.Fatalf("%+v", cv)
		}
		// By VIN, a broken car comes back to connected and completes.
		w.breakCar(a2)
		v, done, err = w.svc.Reauthenticated(w.ctx, vinOf("a2"))
		if err != nil || v.ID != a2.ID || v.State != model.StateConnected || len(done) != 1 {
			t.Fatalf("by VIN: %+v %v %v", v, done, err)
		}
		// Reported twice: still one completion, one host webhook.
		if _, done, err := w.svc.Reauthenticated(w.ctx, "a2"); err != nil || len(done) != 1 {
			t.Fatalf("repeat: %v %v", done, err)
		}
		if n := len(w.host.messages()); n != 2 {
			t.Fatalf("%d host webhooks, want 2: %v", n, w.host.messages())
		}
		if _, _, err := w.svc.Reauthenticated(w.ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown vehicle: %v", err)
		}
		// A car in no campaign is still recorded as working.
		f := w.car("f1", &alice, "FORD", "Mach-E", 2022, "DE")
		w.breakCar(f)
		if v, done, err := w.svc.Reauthenticated(w.ctx, "f1"); err != nil || len(done) != 0 || v.State != model.StateConnected {
			t.Fatalf("%+v %v %v", v, done, err)
		}
	})
}

func TestARepairUnderANewSmartcarIDCompletesTheMemberWithTheSameVIN(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		old := w.car("old-id", &alice, "TESLA", "Model 3", 2021, "DE")
		// The list names the old id only, so the new row does not join.
		in := tesla(start.Add(20 * 24 * time.Hour))
		in.VehicleIDs = []string{"old-id"}
		c := w.launch(w.create(in).ID)
		fresh, err := w.lc.SaveVehicle(w.ctx, nil, store.VehicleInput{SmartcarID: "new-id", OwnerID: &alice.ID, Make: "TESLA", VIN: old.VIN})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.store.CampaignVehicleOf(w.ctx, c.ID, fresh.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("the new row joined the list campaign")
		}
		w.breakCar(fresh)
		w.fix(fresh, model.SourceCallback)
		if cv := w.member(c, old); cv.CompletedAt == nil || cv.CompletedSource != model.SourceCallback {
			t.Fatalf("the member with the same VIN: %+v", cv)
		}
	})
}
