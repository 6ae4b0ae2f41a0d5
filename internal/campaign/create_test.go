package campaign_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestCreateNamesTheBadField(t *testing.T) {
	cut := start.Add(30 * 24 * time.Hour)
	ok := tesla(cut)
	with := func(f func(in *campaign.Input)) campaign.Input {
		in := ok
		f(&in)
		return in
	}
	no := false
	cases := []struct {
		name  string
		in    campaign.Input
		field string
	}{
		{"no name", with(func(in *campaign.Input) { in.Name = "  " }), "name"},
		{"long name", with(func(in *campaign.Input) { in.Name = strings.Repeat("é", 201) }), "name"},
		{"no make", with(func(in *campaign.Input) { in.Make = "" }), "make"},
		{"lower-case make", with(func(in *campaign.Input) { in.Make = "tesla" }), "make"},
		{"make with a space", with(func(in *campaign.Input) { in.Make = "LAND ROVER" }), "make"},
		{"make starting with a digit", with(func(in *campaign.Input) { in.Make = "9FF" }), "make"},
		{"empty model", with(func(in *campaign.Input) { in.Models = []string{"Model 3", ""} }), "models[1]"},
		{"too many models", with(func(in *campaign.Input) { in.Models = make([]string, 101) }), "models"},
		{"year before cars", with(func(in *campaign.Input) { in.YearFrom = 1800 }), "year_from"},
		{"year far ahead", with(func(in *campaign.Input) { in.YearTo = 2200 }), "year_to"},
		{"years reversed", with(func(in *campaign.Input) { in.YearFrom, in.YearTo = 2023, 2020 }), "year_to"},
		{"country in lower case", with(func(in *campaign.Input) { in.Countries = []string{"DE", "fr"} }), "countries[1]"},
		{"country alpha-3", with(func(in *campaign.Input) { in.Countries = []string{"DEU"} }), "countries[0]"},
		{"blank vehicle id", with(func(in *campaign.Input) { in.VehicleIDs = []string{"a", " "} }), "vehicle_ids[1]"},
		{"too many vehicle ids", with(func(in *campaign.Input) { in.VehicleIDs = make([]string, campaign.MaxVehicleIDs+1) }), "vehicle_ids"},
		{"no reason", with(func(in *campaign.Input) { in.Reason = "" }), "reason"},
		{"unknown reason", with(func(in *campaign.Input) { in.Reason = "because" }), "reason"},
		{"other without English words", with(func(in *campaign.Input) {
			in.Reason, in.CustomMessage = model.ReasonOther, map[string]string{"de": "Bitte neu anmelden"}
		}), "custom_message.en"},
		{"bad language tag", with(func(in *campaign.Input) { in.CustomMessage = map[string]string{"English": "x"} }), "custom_message"},
		{"empty message", with(func(in *campaign.Input) { in.CustomMessage = map[string]string{"en": " "} }), "custom_message.en"},
		{"long message", with(func(in *campaign.Input) { in.CustomMessage = map[string]string{"fr": strings.Repeat("x", 2001)} }), "custom_message.fr"},
		{"no cut-over", with(func(in *campaign.Input) { in.CutoverAt = time.Time{} }), "cutover_at"},
		{"cut-over in the last century", with(func(in *campaign.Input) { in.CutoverAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) }), "cutover_at"},
		{"cut-over decades ahead", with(func(in *campaign.Input) { in.CutoverAt = time.Now().AddDate(20, 0, 0) }), "cutover_at"},
		{"unknown flow", with(func(in *campaign.Input) { in.RepairFlow = "teleport" }), "repair_flow"},
		{"empty schedule", with(func(in *campaign.Input) { in.NoticeOffsets = []time.Duration{} }), "notice_offsets"},
		{"offsets out of order", with(func(in *campaign.Input) { in.NoticeOffsets = []time.Duration{-48 * time.Hour, -336 * time.Hour} }), "notice_offsets[1]"},
		{"offsets repeated", with(func(in *campaign.Input) { in.NoticeOffsets = []time.Duration{0, 0} }), "notice_offsets[1]"},
		{"offset beyond a year", with(func(in *campaign.Input) { in.NoticeOffsets = []time.Duration{-400 * 24 * time.Hour} }), "notice_offsets[0]"},
		{"offset in milliseconds", with(func(in *campaign.Input) { in.NoticeOffsets = []time.Duration{time.Millisecond} }), "notice_offsets[0]"},
		{"first wave over 100", with(func(in *campaign.Input) { in.FirstWave = 101 }), "first_wave"},
		{"first wave negative", with(func(in *campaign.Input) { in.FirstWave = -5 }), "first_wave"},
		{"negative hold", with(func(in *campaign.Input) { in.WaveHold = -time.Hour }), "wave_hold"},
		{"hold over a month", with(func(in *campaign.Input) { in.WaveHold = 31 * 24 * time.Hour }), "wave_hold"},
		{"long idempotency key", with(func(in *campaign.Input) { in.IdempotencyKey = strings.Repeat("k", 256) }), campaign.IdempotencyKeyField},
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.svc.Create(w.ctx, tc.in)
				var fe *campaign.FieldError
				if !errors.As(err, &fe) || fe.Field != tc.field {
					t.Fatalf("want a field error on %s, got %v", tc.field, err)
				}
			})
		}
		if list, _ := w.svc.List(w.ctx, store.Page{}); len(list) != 0 {
			t.Fatalf("refused input saved %d campaigns", len(list))
		}
		c, err := w.svc.Create(w.ctx, campaign.Input{Name: "Fine", Make: "MERCEDES_BENZ", Reason: model.ReasonOther,
			CustomMessage: map[string]string{"en": "Mercedes changes its sign-in.", "pt-BR": "…"}, CutoverAt: cut, BreaksConnections: &no})
		if err != nil {
			t.Fatal(err)
		}
		if c.State != model.CampaignDraft || c.FirstWave != 100 || c.RepairFlow != model.FlowReauthenticate || c.BreaksConnections ||
			len(c.NoticeOffsets) != 5 || c.NoticeOffsets[0] != -336*time.Hour || c.NoticeOffsets[4] != 72*time.Hour {
			t.Fatalf("defaults: %+v", c)
		}
	})
}

func TestCreateWithAnIdempotencyKeyMakesOneCampaign(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		in := tesla(start.Add(720 * time.Hour))
		in.IdempotencyKey = "create-1"
		in.VehicleIDs = []string{"veh-1", "5YJ3E1EA7KF000001", "veh-1"}
		var wg sync.WaitGroup
		ids := make([]int64, 4)
		errs := make([]error, 4)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := w.svc.Create(w.ctx, in)
				ids[i], errs[i] = c.ID, err
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("retries must all answer the first campaign: %v %v", ids, errs)
			}
		}
		if list, _ := w.svc.List(w.ctx, store.Page{}); len(list) != 1 || !list[0].HasVehicleList {
			t.Fatalf("%d campaigns for one key: %+v", len(list), list)
		}
		in.Name = "Another name"
		_, err := w.svc.Create(w.ctx, in)
		var fe *campaign.FieldError
		if !errors.As(err, &fe) || fe.Field != campaign.IdempotencyKeyField {
			t.Fatalf("same key, another body: want a field error on the key, got %v", err)
		}
	})
}

func TestUpdateChangesDraftsAndOnlyTheCutoverOfALiveCampaign(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		c := w.create(tesla(start.Add(30 * 24 * time.Hour)))

		name, year, bad := "Renamed", 2020, "tesla"
		models := []string{"Model 3"}
		c2, err := w.svc.Update(w.ctx, c.ID, campaign.Patch{Name: &name, YearFrom: &year, Models: &models})
		if err != nil || c2.Name != "Renamed" || c2.YearFrom != 2020 || c2.Models[0] != "Model 3" || c2.Make != "TESLA" {
			t.Fatalf("draft patch: %+v %v", c2, err)
		}
		var fe *campaign.FieldError
		if _, err := w.svc.Update(w.ctx, c.ID, campaign.Patch{Make: &bad}); !errors.As(err, &fe) || fe.Field != "make" {
			t.Fatalf("bad make in a patch: %v", err)
		}
		if got, _ := w.svc.Get(w.ctx, c.ID); got.Make != "TESLA" {
			t.Fatal("a refused patch changed the campaign")
		}
		if _, err := w.svc.Update(w.ctx, 9999, campaign.Patch{Name: &name}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing campaign: %v", err)
		}

		w.launch(c.ID)
		if _, err := w.svc.Update(w.ctx, c.ID, campaign.Patch{Name: &name}); !errors.Is(err, campaign.ErrTransition) {
			t.Fatalf("renaming a running campaign: want ErrTransition, got %v", err)
		}
		later := start.Add(40 * 24 * time.Hour)
		c3, err := w.svc.Update(w.ctx, c.ID, campaign.Patch{CutoverAt: &later})
		if err != nil || !c3.CutoverAt.Equal(later) || c3.CutoverRevision != 1 {
			t.Fatalf("moving a running campaign's cut-over: %+v %v", c3, err)
		}
		if _, err := w.svc.Cancel(w.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Update(w.ctx, c.ID, campaign.Patch{CutoverAt: &later}); !errors.Is(err, campaign.ErrTransition) {
			t.Fatalf("a cancelled campaign changes nothing: %v", err)
		}
	})
}

func TestTransitionsFollowTheStateMachine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		c := w.create(tesla(start.Add(30 * 24 * time.Hour)))
		refuse := func(what string, f func(context.Context, int64) (model.Campaign, error)) {
			t.Helper()
			if _, err := f(w.ctx, c.ID); !errors.Is(err, campaign.ErrTransition) {
				t.Fatalf("%s: want ErrTransition, got %v", what, err)
			}
		}
		refuse("pause a draft", w.svc.Pause)
		refuse("resume a draft", w.svc.Resume)
		refuse("finish a draft", w.svc.Finish)
		w.launch(c.ID)
		refuse("resume a running campaign", w.svc.Resume)
		if got, err := w.svc.Pause(w.ctx, c.ID); err != nil || got.State != model.CampaignPaused || got.PausedAt == nil {
			t.Fatalf("pause: %+v %v", got, err)
		}
		refuse("pause twice", w.svc.Pause)
		if got, err := w.svc.Launch(w.ctx, c.ID); err != nil || got.State != model.CampaignPaused {
			t.Fatalf("launching a paused campaign again changes nothing: %+v %v", got, err)
		}
		got, err := w.svc.Resume(w.ctx, c.ID)
		if err != nil || got.State != model.CampaignRunning || got.LaunchedAt == nil || !got.LaunchedAt.Equal(start) || got.PausedAt != nil {
			t.Fatalf("resume keeps the launch time: %+v %v", got, err)
		}
		if got, err := w.svc.Finish(w.ctx, c.ID); err != nil || got.State != model.CampaignFinished || got.FinishedAt == nil {
			t.Fatalf("finish: %+v %v", got, err)
		}
		refuse("cancel a finished campaign", w.svc.Cancel)
		refuse("launch a finished campaign", w.svc.Launch)
		if ns := w.notices(c, alice); len(ns) == 0 || ns[len(ns)-1].Status != store.NoticeCancelled {
			t.Fatalf("finishing withdraws pending notices: %+v", ns)
		}

		d := w.create(tesla(start.Add(30 * 24 * time.Hour)))
		if got, err := w.svc.Cancel(w.ctx, d.ID); err != nil || got.State != model.CampaignCancelled || got.CancelledAt == nil {
			t.Fatalf("cancel a draft: %+v %v", got, err)
		}
	})
}
