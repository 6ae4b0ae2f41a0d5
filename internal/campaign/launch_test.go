package campaign_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestPreviewCountsTheCohortByStateAndWhoCannotBeTold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		bob := w.owner("bob", "")
		a1 := w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		w.car("a2", &alice, "TESLA", "Model Y", 2022, "DE")
		w.car("b1", &bob, "TESLA", "Model 3", 2020, "FR")
		w.car("n1", nil, "TESLA", "Model 3", 2020, "")
		w.car("f1", &alice, "FORD", "Mach-E", 2022, "DE")
		if _, _, err := w.lc.Transition(w.ctx, nil, a1.ID, store.StateChange{To: model.StateNeedsReauth, Source: model.SourceWebhook}); err != nil {
			t.Fatal(err)
		}
		c := w.create(tesla(start.Add(30 * 24 * time.Hour)))
		got, err := w.svc.Preview(w.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Vehicles != 4 || got.Owners != 2 || got.NoOwner != 1 || got.NoEmail != 1 ||
			got.ByState[model.StateNeedsReauth] != 1 || got.ByState[model.StateConnected] != 3 {
			t.Fatalf("preview %+v", got)
		}
		in := tesla(start.Add(30 * 24 * time.Hour))
		in.Countries = []string{"DE"}
		if got, err := w.svc.PreviewInput(w.ctx, in); err != nil || got.Vehicles != 2 || got.Owners != 1 {
			t.Fatalf("preview of unsaved rules: %+v %v", got, err)
		}
		in.Countries, in.VehicleIDs = nil, []string{"b1", vinOf("a2"), "unknown"}
		if got, err := w.svc.PreviewInput(w.ctx, in); err != nil || got.Vehicles != 2 || got.Owners != 2 {
			t.Fatalf("preview of an explicit list: %+v %v", got, err)
		}
		in.Make = "tesla"
		var fe *campaign.FieldError
		if _, err := w.svc.PreviewInput(w.ctx, in); !errors.As(err, &fe) || fe.Field != "make" {
			t.Fatalf("preview validates: %v", err)
		}
	})
}

func TestLaunchSnapshotsTheCohortAndWritesEveryNoticeOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		bob := w.owner("bob", "bob@example.com")
		a1 := w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		a2 := w.car("a2", &alice, "TESLA", "Model Y", 2022, "DE")
		b1 := w.car("b1", &bob, "TESLA", "Model 3", 2020, "FR")
		n1 := w.car("n1", nil, "TESLA", "Model 3", 2020, "")
		f1 := w.car("f1", &bob, "FORD", "Mach-E", 2022, "DE")

		// Launched ten days before the cut-over: the two-week step has
		// passed and becomes one notice now; the rest keep their times.
		cut := start.Add(10 * 24 * time.Hour)
		c := w.create(tesla(cut))
		got, err := w.svc.Launch(w.ctx, c.ID)
		if err != nil || got.State != model.CampaignRunning || got.LaunchedAt == nil || !got.LaunchedAt.Equal(start) {
			t.Fatalf("launch: %+v %v", got, err)
		}
		for _, v := range []model.Vehicle{a1, a2, b1, n1} {
			if cv := w.member(c, v); cv.Wave != 1 || !cv.JoinedAt.Equal(start) || !cv.Open() {
				t.Fatalf("%s: %+v", v.SmartcarID, cv)
			}
		}
		if _, err := w.store.CampaignVehicleOf(w.ctx, c.ID, f1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a Ford joined a Tesla campaign")
		}
		wantDue := []time.Time{start, cut.Add(-168 * time.Hour), cut.Add(-48 * time.Hour), cut, cut.Add(72 * time.Hour)}
		wantOffsets := []int64{-336 * 3600, -168 * 3600, -48 * 3600, 0, 72 * 3600}
		for _, o := range []model.Owner{alice, bob} {
			ns := w.notices(c, o)
			if len(ns) != len(wantDue) {
				t.Fatalf("%s has %d notices, want %d (one per owner, not per car): %+v", o.HostUserID, len(ns), len(wantDue), ns)
			}
			for i, n := range ns {
				if !n.DueAt.Equal(wantDue[i]) || n.OffsetSeconds != wantOffsets[i] || n.Status != store.NoticePending || n.Kind != store.NoticeScheduled {
					t.Fatalf("%s notice %d: %+v", o.HostUserID, i, n)
				}
			}
		}
		evs, _ := w.store.EventsByVehicle(w.ctx, a1.ID, store.Page{})
		if evs[0].Kind != model.EventCampaignJoined || evs[0].Source != model.SourceCampaign || evs[0].OwnerID == nil {
			t.Fatalf("timeline: %+v", evs[0])
		}

		// Launching again, from two instances at once, changes nothing.
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if again, err := w.svc.Launch(w.ctx, c.ID); err != nil || again.State != model.CampaignRunning {
					t.Errorf("repeat launch: %+v %v", again, err)
				}
			}()
		}
		wg.Wait()
		if ns := w.notices(c, alice); len(ns) != len(wantDue) {
			t.Fatalf("a repeated launch wrote notices again: %d", len(ns))
		}
		if evs2, _ := w.store.EventsByVehicle(w.ctx, a1.ID, store.Page{}); len(evs2) != len(evs) {
			t.Fatal("a repeated launch wrote the timeline again")
		}
	})
}

func TestConcurrentLaunchesOfADraftScheduleEachNoticeOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		for _, id := range []string{"o1", "o2", "o3"} {
			o := w.owner(id, id+"@example.com")
			w.car(id+"-car", &o, "TESLA", "Model 3", 2021, "DE")
		}
		c := w.create(tesla(start.Add(30 * 24 * time.Hour)))
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.svc.Launch(w.ctx, c.ID); err != nil {
					t.Errorf("launch: %v", err)
				}
			}()
		}
		wg.Wait()
		var n int64
		if err := w.store.DB().Table("campaign_notices").Where("campaign_id = ?", c.ID).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 3*5 {
			t.Fatalf("%d notices, want 15 (3 owners × 5 steps)", n)
		}
		var joined int64
		_ = w.store.DB().Table("vehicle_events").Where("kind = ?", model.EventCampaignJoined).Count(&joined).Error
		if joined != 3 {
			t.Fatalf("%d campaign_joined entries, want 3", joined)
		}
	})
}

func TestLaunchRefusesAnEmptyCohortAndWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		w.car("f1", &alice, "FORD", "Mach-E", 2022, "DE")
		c := w.create(tesla(start.Add(30 * 24 * time.Hour)))
		if _, err := w.svc.Launch(w.ctx, c.ID); !errors.Is(err, campaign.ErrEmptyCohort) {
			t.Fatalf("want ErrEmptyCohort, got %v", err)
		}
		if got, _ := w.svc.Get(w.ctx, c.ID); got.State != model.CampaignDraft || got.LaunchedAt != nil {
			t.Fatalf("a refused launch left the campaign %+v", got)
		}
		if _, err := w.svc.Launch(w.ctx, 4242); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing campaign: %v", err)
		}
	})
}

func TestACutoverInThePastSendsOneNoticeNowWordedForAfter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		cut := start.Add(-24 * time.Hour) // yesterday
		c := w.create(tesla(cut))
		w.launch(c.ID)
		ns := w.notices(c, alice)
		if len(ns) != 2 || !ns[0].DueAt.Equal(start) || ns[0].OffsetSeconds != 0 || !ns[1].DueAt.Equal(cut.Add(72*time.Hour)) {
			t.Fatalf("want one notice now (for the steps up to the cut-over) and the +72h one: %+v", ns)
		}
		due, err := w.svc.DueNotices(w.ctx, w.clock(), 10)
		if err != nil || len(due) != 1 || !due[0].AfterCutover || due[0].Notice.ID != ns[0].ID || len(due[0].Vehicles) != 1 {
			t.Fatalf("due: %+v %v", due, err)
		}
	})
}

func TestWavesHoldBackOwnersByPriority(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		var owners []model.Owner
		for i, id := range []string{"o1", "o2", "o3", "o4"} {
			o := w.owner(id, id+"@example.com")
			owners = append(owners, o)
			p := 0
			if i == 3 {
				p = 10 // the host wants o4 told first
			}
			if _, err := w.lc.SaveVehicle(w.ctx, nil, store.VehicleInput{SmartcarID: id + "-car", OwnerID: &o.ID, Make: "TESLA", Priority: &p}); err != nil {
				t.Fatal(err)
			}
		}
		in := tesla(start.Add(30 * 24 * time.Hour))
		in.FirstWave, in.WaveHold, in.NoticeOffsets = 50, 48*time.Hour, []time.Duration{-29 * 24 * time.Hour, 0}
		c := w.launch(w.create(in).ID)
		waves := map[string]int{}
		for _, o := range owners {
			ns := w.notices(c, o)
			if len(ns) != 2 {
				t.Fatalf("%s: %+v", o.HostUserID, ns)
			}
			waves[o.HostUserID] = 1
			if ns[0].DueAt.After(c.CutoverAt.Add(-29 * 24 * time.Hour)) {
				waves[o.HostUserID] = 2
			}
		}
		if waves["o4"] != 1 || waves["o1"] != 1 || waves["o2"] != 2 || waves["o3"] != 2 {
			t.Fatalf("waves by priority, then id: %v", waves)
		}
		// The second wave's first notice waits for its release.
		ns := w.notices(c, owners[1])
		if !ns[0].DueAt.Equal(start.Add(48 * time.Hour)) {
			t.Fatalf("second wave's first notice: %+v", ns[0])
		}
	})
}

func TestDueNoticesWaitWhilePausedAndSendOnePerOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		w.car("a2", &alice, "TESLA", "Model Y", 2021, "DE")
		in := tesla(start.Add(10 * 24 * time.Hour))
		in.NoticeOffsets = []time.Duration{-9 * 24 * time.Hour, -8 * 24 * time.Hour, 0}
		c := w.launch(w.create(in).ID)

		due, err := w.svc.DueNotices(w.ctx, w.clock(), 10)
		if err != nil || len(due) != 0 {
			t.Fatalf("nothing is due at launch: %+v %v", due, err)
		}
		if _, err := w.svc.Pause(w.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		w.advance(3 * 24 * time.Hour) // both early steps fall due while paused
		if due, _ := w.svc.DueNotices(w.ctx, w.clock(), 10); len(due) != 0 {
			t.Fatalf("a paused campaign sends nothing: %+v", due)
		}
		if _, err := w.svc.Resume(w.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		due, err = w.svc.DueNotices(w.ctx, w.clock(), 10)
		if err != nil || len(due) != 1 || due[0].Notice.OffsetSeconds != -8*24*3600 || len(due[0].Vehicles) != 2 || due[0].AfterCutover {
			t.Fatalf("after the pause, one notice for both steps and both cars: %+v %v", due, err)
		}
		ns := w.notices(c, alice)
		if ns[0].Status != store.NoticeSkipped || ns[0].SkipReason != string(campaign.SkipSuperseded) {
			t.Fatalf("the older step is skipped as superseded: %+v", ns[0])
		}
		if sent, err := w.svc.MarkNoticeSent(w.ctx, due[0].Notice.ID, "<m1@example>"); err != nil || !sent {
			t.Fatalf("mark sent: %v %v", sent, err)
		}
		if sent, _ := w.svc.MarkNoticeSent(w.ctx, due[0].Notice.ID, "<m2@example>"); sent {
			t.Fatal("a notice is sent once")
		}
		counts, _ := w.svc.Counts(w.ctx, c.ID)
		if counts.Notified != 2 || counts.Vehicles != 2 {
			t.Fatalf("both cars notified: %+v", counts)
		}
		if due, _ := w.svc.DueNotices(w.ctx, w.clock(), 10); len(due) != 0 {
			t.Fatalf("nothing left due: %+v", due)
		}
		w.advance(7 * 24 * time.Hour)
		due, _ = w.svc.DueNotices(w.ctx, w.clock(), 10)
		if len(due) != 1 || !due[0].AfterCutover {
			t.Fatalf("the cut-over notice: %+v", due)
		}
		if ok, err := w.svc.MarkNoticeSkipped(w.ctx, due[0].Notice.ID, campaign.SkipNoAddress); err != nil || !ok {
			t.Fatalf("skip: %v %v", ok, err)
		}
	})
}

func TestMovingTheCutoverReschedulesAndTellsThoseAlreadyTold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		bob := w.owner("bob", "bob@example.com")
		w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		w.car("b1", &bob, "TESLA", "Model 3", 2021, "DE")
		in := tesla(start.Add(10 * 24 * time.Hour))
		in.NoticeOffsets = []time.Duration{-10 * 24 * time.Hour, -48 * time.Hour}
		c := w.launch(w.create(in).ID)
		due, _ := w.svc.DueNotices(w.ctx, w.clock(), 10)
		if len(due) != 2 {
			t.Fatalf("both owners' first notice is due at launch: %+v", due)
		}
		if _, err := w.svc.MarkNoticeSent(w.ctx, due[0].Notice.ID, "<m@example>"); err != nil { // only the first owner was told
			t.Fatal(err)
		}
		told := due[0].Notice.OwnerID
		newCut := start.Add(20 * 24 * time.Hour)
		if _, err := w.svc.Update(w.ctx, c.ID, campaign.Patch{CutoverAt: &newCut}); err != nil {
			t.Fatal(err)
		}
		for _, o := range []model.Owner{alice, bob} {
			ns := w.notices(c, o)
			var newDate, step int
			for _, n := range ns {
				switch {
				case n.Kind == store.NoticeNewDate:
					newDate++
					if n.Revision != 1 || !n.DueAt.Equal(start) || n.Status != store.NoticePending {
						t.Fatalf("new date notice: %+v", n)
					}
				case n.OffsetSeconds == -48*3600:
					step++
					if !n.DueAt.Equal(newCut.Add(-48 * time.Hour)) {
						t.Fatalf("the pending step moves with the cut-over: %+v", n)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[o.ID == told]; newDate != want || step != 1 {
				t.Fatalf("%s: %d new-date notices (want %d), %d moved steps", o.HostUserID, newDate, want, step)
			}
		}
		// Moving it again replaces the unsent new-date notice.
		again := start.Add(25 * 24 * time.Hour)
		if _, err := w.svc.Update(w.ctx, c.ID, campaign.Patch{CutoverAt: &again}); err != nil {
			t.Fatal(err)
		}
		var pendingNewDate int64
		_ = w.store.DB().Table("campaign_notices").Where("campaign_id = ? AND kind = ? AND status = ?", c.ID, store.NoticeNewDate, store.NoticePending).Count(&pendingNewDate).Error
		if pendingNewDate != 1 {
			t.Fatalf("%d pending new-date notices, want 1", pendingNewDate)
		}
	})
}

func TestAVehicleSavedLaterJoinsARunningCampaign(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		in := tesla(start.Add(10 * 24 * time.Hour))
		in.Countries = []string{"DE"}
		c := w.launch(w.create(in).ID)

		w.advance(5 * 24 * time.Hour)
		carol := w.owner("carol", "carol@example.com")
		c1 := w.car("c1", &carol, "TESLA", "Model S", 2019, "DE")
		if cv := w.member(c, c1); !cv.JoinedAt.Equal(w.clock()) {
			t.Fatalf("late joiner: %+v", cv)
		}
		ns := w.notices(c, carol)
		if len(ns) != 4 || !ns[0].DueAt.Equal(w.clock()) || ns[0].OffsetSeconds != -168*3600 {
			t.Fatalf("a late owner hears once now for the passed steps, then keeps the schedule: %+v", ns)
		}
		evs, _ := w.store.EventsByVehicle(w.ctx, c1.ID, store.Page{})
		if evs[0].Kind != model.EventCampaignJoined {
			t.Fatalf("timeline: %+v", evs)
		}

		// A car of another country does not join until it is moved into the campaign's.
		fr := w.car("fr1", &carol, "TESLA", "Model 3", 2021, "FR")
		if _, err := w.store.CampaignVehicleOf(w.ctx, c.ID, fr.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a French car joined a German campaign")
		}
		w.car("fr1", &carol, "TESLA", "Model 3", 2021, "DE")
		w.member(c, fr)
		if ns2 := w.notices(c, carol); len(ns2) != len(ns) {
			t.Fatalf("an owner's second car adds no notices: %d", len(ns2))
		}

		// A car first known without an owner joins, and its owner is told once the host names them.
		u := w.car("u1", nil, "TESLA", "Model 3", 2021, "DE")
		if cv := w.member(c, u); cv.OwnerID != nil {
			t.Fatalf("%+v", cv)
		}
		dave := w.owner("dave", "dave@example.com")
		w.car("u1", &dave, "TESLA", "Model 3", 2021, "DE")
		if cv := w.member(c, u); cv.OwnerID == nil || *cv.OwnerID != dave.ID {
			t.Fatalf("owner not taken: %+v", cv)
		}
		if len(w.notices(c, dave)) == 0 {
			t.Fatal("the new owner was given no notices")
		}
	})
}

func TestAVehicleInTwoCampaignsFollowsTheEarlierCutover(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		a1 := w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		in := tesla(start.Add(20 * 24 * time.Hour))
		in.Name, in.NoticeOffsets = "late", []time.Duration{-20 * 24 * time.Hour}
		late := w.launch(w.create(in).ID)
		in = tesla(start.Add(10 * 24 * time.Hour))
		in.Name, in.NoticeOffsets = "early", []time.Duration{-10 * 24 * time.Hour}
		early := w.launch(w.create(in).ID)

		got, ok, err := w.svc.CampaignOf(w.ctx, a1.ID)
		if err != nil || !ok || got.ID != early.ID {
			t.Fatalf("follows %+v (ok=%v, err=%v), want the early one", got, ok, err)
		}
		due, err := w.svc.DueNotices(w.ctx, w.clock(), 10)
		if err != nil || len(due) != 1 || due[0].Campaign.ID != early.ID {
			t.Fatalf("only the early campaign speaks: %+v %v", due, err)
		}
		if ns := w.notices(late, alice); ns[0].Status != store.NoticeSkipped || ns[0].SkipReason != string(campaign.SkipFollowsEarlier) {
			t.Fatalf("late campaign's notice: %+v", ns[0])
		}
		if _, err := w.svc.Cancel(w.ctx, early.ID); err != nil {
			t.Fatal(err)
		}
		if got, ok, _ := w.svc.CampaignOf(w.ctx, a1.ID); !ok || got.ID != late.ID {
			t.Fatalf("after the early one is cancelled the car follows the late one: %+v", got)
		}
	})
}

func TestVehiclesPageSearchesAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		bob := w.owner("bob", "bob@example.com")
		for _, id := range []string{"a1", "a2", "a3"} {
			w.car(id, &alice, "TESLA", "Model 3", 2021, "DE")
		}
		w.car("b1", &bob, "TESLA", "Model 3", 2021, "DE")
		c := w.launch(w.create(tesla(start.Add(10 * 24 * time.Hour))).ID)
		p1, err := w.svc.VehiclesPage(w.ctx, c.ID, "", campaign.VehiclePage{Limit: 3})
		if err != nil || len(p1.Rows) != 3 || p1.Next == 0 {
			t.Fatalf("page 1: %+v %v", p1, err)
		}
		p2, _ := w.svc.VehiclesPage(w.ctx, c.ID, "", campaign.VehiclePage{After: p1.Next, Limit: 3})
		if len(p2.Rows) != 1 || p2.Next != 0 || p2.Rows[0].SmartcarID != "b1" || p2.Rows[0].Email != "bob@example.com" {
			t.Fatalf("page 2: %+v", p2)
		}
		for q, want := range map[string]int{"BOB@": 1, "alice@example.com": 3, "a2": 1, vinOf("a3"): 1, "zzz": 0} {
			got, _ := w.svc.VehiclesPage(w.ctx, c.ID, q, campaign.VehiclePage{})
			if len(got.Rows) != want {
				t.Errorf("query %q: %d rows, want %d", q, len(got.Rows), want)
			}
		}
	})
}
