package campaign_test

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// history is a campaign's first days, built event by event on the test's
// clock. Twelve Teslas, one owner each:
//
//	alice  Model 3 DE  email, scanned then continued, started, completed by Connect (day 1)
//	bob    Model Y DE  email, only a scanner fetched its link
//	carol  Model 3 FR  email, continued, started, Connect answered access_denied
//	dave   Model 3 FR  email, declined (sold)
//	erin   Model Y DE  no email address
//	frank  Model Y DE  email failed for good
//	gina   Model Y DE  nothing sent yet
//	hank   Model Y DE  no email; the host's status API showed the notice
//	ivan   Model 3 FR  email, continued
//	jay    Model 3 FR  completed by the host (day 2)
//	kim    Model Y FR  completed by the host (day 3)
//	lee    Model Y FR  completed by the host (day 3)
//	max    Model 3 DE  email, continued, left for Connect and never came back
//
// The campaign launches on 1 March 09:00 UTC, its cut-over is 7 March
// 09:00, and "now" is 5 March 12:00.
type history struct {
	*world
	c      model.Campaign
	links  *links.Service
	cars   map[string]model.Vehicle
	owners map[string]model.Owner
}

func buildHistory(t *testing.T, db *database.DB) *history {
	w := newWorld(t, db)
	h := &history{world: w, cars: map[string]model.Vehicle{}, owners: map[string]model.Owner{},
		links: links.New(w.store, links.Config{PublicBaseURL: "https://reconnect.test", EmailTTL: 30 * 24 * time.Hour, InAppTTL: time.Hour})}
	type car struct{ name, mdl, country, email string }
	for _, c := range []car{
		{"alice", "Model 3", "DE", "alice@example.com"}, {"bob", "Model Y", "DE", "bob@example.com"},
		{"carol", "Model 3", "FR", "carol@example.com"}, {"dave", "Model 3", "FR", "dave@example.com"},
		{"erin", "Model Y", "DE", ""}, {"frank", "Model Y", "DE", "frank@example.com"},
		{"gina", "Model Y", "DE", "gina@example.com"}, {"hank", "Model Y", "DE", ""},
		{"ivan", "Model 3", "FR", "ivan@example.com"}, {"jay", "Model 3", "FR", "jay@example.com"},
		{"kim", "Model Y", "FR", "kim@example.com"}, {"lee", "Model Y", "FR", "lee@example.com"},
		{"max", "Model 3", "DE", "max@example.com"},
	} {
		o := w.owner("host-"+c.name, c.email)
		h.owners[c.name] = o
		h.cars[c.name] = w.car("sc-"+c.name, &o, "TESLA", c.mdl, 2024, c.country)
	}
	in := tesla(start.Add(6 * 24 * time.Hour))
	in.NoticeOffsets = []time.Duration{-144 * time.Hour, 0}
	h.c = w.launch(w.create(in).ID)

	// Day 0: the first notice goes to everyone with an address but gina.
	mail := map[string]string{}
	for _, name := range []string{"alice", "bob", "carol", "dave", "frank", "ivan", "max"} {
		mail[name] = h.send(name, name != "frank")
	}
	if err := w.svc.Shown(w.ctx, nil, h.c.ID, h.cars["hank"].ID, w.clock()); err != nil {
		t.Fatal(err)
	}
	h.count()
	w.advance(time.Hour)
	alice := h.link("alice", mail["alice"])
	if err := h.links.RecordScan(w.ctx, alice.Token, "scanner"); err != nil { // a gateway's GET: not opened
		t.Fatal(err)
	}
	bob := h.link("bob", mail["bob"])
	if err := h.links.RecordScan(w.ctx, bob.Token, "scanner"); err != nil {
		t.Fatal(err)
	}
	h.open(alice)
	h.open(h.link("carol", mail["carol"]))
	h.open(h.link("ivan", mail["ivan"]))
	h.open(h.link("max", mail["max"]))
	h.transition("dave", store.StateChange{To: model.StateDeclined, Reason: "sold", Source: model.SourceOwner})

	// Day 0 afternoon: carol leaves for Connect, which answers an error.
	h.count()
	w.advance(3 * time.Hour)
	h.transition("carol", store.StateChange{To: model.StateReconnecting, Source: model.SourceOwner})
	h.transition("max", store.StateChange{To: model.StateReconnecting, Source: model.SourceOwner})
	if err := w.store.FailLiveCampaignVehicle(w.ctx, h.cars["carol"].ID, "access_denied", w.clock()); err != nil {
		t.Fatal(err)
	}

	// Day 1: alice reconnects in the session her email's link opened.
	h.count()
	w.advance(21 * time.Hour) // 2 March 10:00
	h.transition("alice", store.StateChange{To: model.StateReconnecting, Source: model.SourceOwner})
	aliceID := h.cars["alice"].ID
	cs, err := w.store.CreateConnectState(w.ctx, store.ConnectState{StateHash: "hash-alice", SessionID: "sid", OwnerID: h.owners["alice"].ID,
		VehicleID: &aliceID, LinkID: &alice.Link.ID, Flow: store.FlowReauth, ExpiresAt: w.clock().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.SetConnectStateOutcome(w.ctx, cs.ID, store.OutcomeFixed); err != nil {
		t.Fatal(err)
	}
	h.transition("alice", store.StateChange{To: model.StateConnected, Source: model.SourceCallback})

	// Days 2 and 3: the host reports its own re-authentications.
	h.count()
	w.advance(24 * time.Hour)
	h.reauthenticated("jay")
	h.count()
	w.advance(24 * time.Hour)
	h.reauthenticated("kim")
	h.reauthenticated("lee")
	h.count()
	w.advance(26 * time.Hour) // 5 March 12:00
	return h
}

// count reads the funnel, so that the counters follow the history step
// by step (each read recounts only the vehicles that changed since the
// last) rather than all at once at the end.
func (h *history) count() {
	h.t.Helper()
	if _, err := h.svc.Funnel(h.ctx, h.c.ID, campaign.FunnelFilter{}); err != nil {
		h.t.Fatal(err)
	}
}

// send records the -144h notice's email to the owner, accepted by the
// mail server or failed for good, as the owner job does.
func (h *history) send(name string, accepted bool) string {
	h.t.Helper()
	o := h.owners[name]
	var notice store.Notice
	for _, n := range h.notices(h.c, o) {
		if n.OffsetSeconds == -144*3600 {
			notice = n
		}
	}
	msgID := fmt.Sprintf("<%s@reconnect.test>", name)
	em, err := h.store.CreateEmail(h.ctx, store.EmailMessage{MessageID: msgID, DedupeKey: "campaign-" + name, OwnerID: o.ID,
		Kind: store.EmailCampaignNotice, Source: model.SourceEmail})
	if err != nil {
		h.t.Fatal(err)
	}
	if sent, err := h.svc.MarkNoticeSent(h.ctx, notice.ID, msgID); err != nil || !sent {
		h.t.Fatalf("notice of %s: sent=%v %v", name, sent, err)
	}
	status := store.EmailSent
	if !accepted {
		status = store.EmailFailed
	}
	if err := h.store.FinishEmail(h.ctx, em.ID, status, 250, ""); err != nil {
		h.t.Fatal(err)
	}
	return msgID
}

func (h *history) link(name, msgID string) links.Minted {
	h.t.Helper()
	vid := h.cars[name].ID
	m, err := h.links.Mint(h.ctx, nil, links.Mint{OwnerID: h.owners[name].ID, VehicleID: &vid, Purpose: model.PurposeEmail,
		Source: model.SourceEmail, SourceRef: msgID})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// open is a person pressing Continue on the link's page.
func (h *history) open(m links.Minted) {
	h.t.Helper()
	if r, err := h.links.Open(h.ctx, m.Token); err != nil || !r.Status.Usable() {
		h.t.Fatalf("open: %v %v", r.Status, err)
	}
}

func (h *history) transition(name string, ch store.StateChange) {
	h.t.Helper()
	err := h.store.Tx(h.ctx, func(tx *store.Store) error {
		_, _, err := h.lc.Transition(h.ctx, tx, h.cars[name].ID, ch)
		return err
	})
	if err != nil {
		h.t.Fatalf("%s → %s: %v", name, ch.To, err)
	}
}

func (h *history) reauthenticated(name string) {
	h.t.Helper()
	if _, done, err := h.svc.Reauthenticated(h.ctx, h.cars[name].SmartcarID); err != nil || len(done) != 1 {
		h.t.Fatalf("%s reauthenticated: %v %v", name, done, err)
	}
}

func steps(sc campaign.StepCounts) map[model.FunnelStep]int64 { return sc.Steps }

func wantSteps(t *testing.T, what string, got map[model.FunnelStep]int64, want map[model.FunnelStep]int64) {
	t.Helper()
	for _, st := range model.FunnelSteps {
		if got[st] != want[st] {
			t.Errorf("%s: %s = %d, want %d", what, st, got[st], want[st])
		}
	}
}

func TestFunnelCountsEveryVehicleAtItsFurthestStep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := buildHistory(t, db)
		f, err := h.svc.Funnel(h.ctx, h.c.ID, campaign.FunnelFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if f.Cohort != 13 {
			t.Fatalf("cohort %d, want 13", f.Cohort)
		}
		wantSteps(t, "all", f.Steps, map[model.FunnelStep]int64{
			model.StepCompleted: 4, model.StepDeclined: 1, model.StepFailed: 1, model.StepStarted: 1, model.StepOpened: 1,
			model.StepNotified: 2, model.StepUnreachable: 2, model.StepNotNotified: 1,
		})
		// Reached along the line: 13 → 8 (2+1+1+4) → 6 → 5 → 4.
		want := [][2]int64{{13, 8}, {8, 6}, {6, 5}, {5, 4}}
		if len(f.Conversions) != len(want) {
			t.Fatalf("conversions %+v", f.Conversions)
		}
		for i, c := range f.Conversions {
			if c.FromReached != want[i][0] || c.ToReached != want[i][1] || math.Abs(c.Rate-float64(want[i][1])/float64(want[i][0])) > 1e-9 {
				t.Errorf("%s→%s: %d→%d (%.3f), want %d→%d", c.From, c.To, c.FromReached, c.ToReached, c.Rate, want[i][0], want[i][1])
			}
		}
		byKey := func(bs []campaign.Breakdown) map[string]map[model.FunnelStep]int64 {
			m := map[string]map[model.FunnelStep]int64{}
			for _, b := range bs {
				m[b.Key] = b.Steps
			}
			return m
		}
		models := byKey(f.ByModel)
		wantSteps(t, "Model 3", models["Model 3"], map[model.FunnelStep]int64{model.StepCompleted: 2, model.StepFailed: 1, model.StepDeclined: 1,
			model.StepOpened: 1, model.StepStarted: 1})
		wantSteps(t, "Model Y", models["Model Y"], map[model.FunnelStep]int64{model.StepCompleted: 2, model.StepNotified: 2, model.StepUnreachable: 2, model.StepNotNotified: 1})
		countries := byKey(f.ByCountry)
		wantSteps(t, "DE", countries["DE"], map[model.FunnelStep]int64{model.StepCompleted: 1, model.StepNotified: 2, model.StepUnreachable: 2,
			model.StepNotNotified: 1, model.StepStarted: 1})
		wantSteps(t, "FR", countries["FR"], map[model.FunnelStep]int64{model.StepCompleted: 3, model.StepFailed: 1, model.StepDeclined: 1, model.StepOpened: 1})
		if len(f.ByWave) != 1 || f.ByWave[0].Key != "1" || f.ByWave[0].Cohort != 13 {
			t.Errorf("by wave %+v, want one wave of 13", f.ByWave)
		}
		// Model 3's own line: 6 → 4 (opened 1, started 1, completed 2;
		// carol's failure and dave's decline left it) → 4 → 3 → 2.
		wantConv := [][2]int64{{6, 4}, {4, 4}, {4, 3}, {3, 2}}
		for i, c := range f.ByModel[0].Conversions {
			if f.ByModel[0].Key != "Model 3" || c.FromReached != wantConv[i][0] || c.ToReached != wantConv[i][1] {
				t.Errorf("Model 3 %s→%s: %d→%d, want %d→%d", c.From, c.To, c.FromReached, c.ToReached, wantConv[i][0], wantConv[i][1])
			}
		}
		// Beside the line: why they stopped.
		if len(f.DeclinedBy) != 1 || f.DeclinedBy[0] != (campaign.DetailCount{Detail: "sold", Vehicles: 1}) {
			t.Errorf("declined by reason %+v", f.DeclinedBy)
		}
		if len(f.FailedBy) != 1 || f.FailedBy[0] != (campaign.DetailCount{Detail: "access_denied", Vehicles: 1}) {
			t.Errorf("failed by error %+v", f.FailedBy)
		}

		// Attribution: alice's completion came from the -144h email's link;
		// the host's three are direct. Seven -144h notices were sent (frank's
		// too: handed over, then refused).
		wantNotices := []campaign.NoticeAttribution{
			{Notice: "-144h", Sent: 7, Completed: 1, Rate: 1.0 / 7},
			{Notice: "+0h", Sent: 0, Completed: 0},
			{Notice: model.FunnelAttributionDirect, Completed: 3},
		}
		if len(f.ByNotice) != len(wantNotices) {
			t.Fatalf("by notice %+v", f.ByNotice)
		}
		for i, w := range wantNotices {
			if g := f.ByNotice[i]; g.Notice != w.Notice || g.Sent != w.Sent || g.Completed != w.Completed || math.Abs(g.Rate-w.Rate) > 1e-9 {
				t.Errorf("notice %d: %+v, want %+v", i, g, w)
			}
		}

		// The failure keeps Connect's error; the columns were filled where
		// the events happened.
		if cv := h.member(h.c, h.cars["carol"]); cv.FailedError != "access_denied" || cv.OpenedAt == nil || cv.StartedAt == nil {
			t.Errorf("carol's row %+v", cv)
		}
		if cv := h.member(h.c, h.cars["bob"]); cv.OpenedAt != nil {
			t.Errorf("a scanner's fetch opened bob's link: %+v", cv)
		}
		if cv := h.member(h.c, h.cars["hank"]); cv.NotifiedAt == nil {
			t.Errorf("the status API did not mark hank notified")
		}

		narrowed, err := h.svc.Funnel(h.ctx, h.c.ID, campaign.FunnelFilter{Country: "FR"})
		if err != nil {
			t.Fatal(err)
		}
		if narrowed.Cohort != 6 {
			t.Errorf("FR cohort %d, want 6", narrowed.Cohort)
		}
		wantSteps(t, "filter FR", steps(narrowed.StepCounts), countries["FR"])
	})
}

func TestFunnelDaysAreCumulativeFromLaunchWithTheCutoverMarked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := buildHistory(t, db)
		f, err := h.svc.Funnel(h.ctx, h.c.ID, campaign.FunnelFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// notified_at on day 0: the seven emails handed over and hank's
		// status; opened: alice, carol, ivan, max.
		want := []campaign.FunnelDay{
			{Day: "2027-03-01", Notified: 8, Opened: 4, Completed: 0},
			{Day: "2027-03-02", Notified: 8, Opened: 4, Completed: 1},
			{Day: "2027-03-03", Notified: 8, Opened: 4, Completed: 2},
			{Day: "2027-03-04", Notified: 8, Opened: 4, Completed: 4},
			{Day: "2027-03-05", Notified: 8, Opened: 4, Completed: 4},
			{Day: "2027-03-06", Notified: 8, Opened: 4, Completed: 4},
			{Day: "2027-03-07", Notified: 8, Opened: 4, Completed: 4, Cutover: true},
		}
		if len(f.Days) != len(want) {
			t.Fatalf("days %+v", f.Days)
		}
		for i := range want {
			if f.Days[i] != want[i] {
				t.Errorf("day %d: %+v, want %+v", i, f.Days[i], want[i])
			}
		}
	})
}

func TestFunnelForecastFitsTheLastDaysCompletions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := buildHistory(t, db)
		f, err := h.svc.Funnel(h.ctx, h.c.ID, campaign.FunnelFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// Whole days 1–4 March: 0, 1, 1, 2 completions. Least squares over
		// x = 0..3: slope (4·9 − 6·4)/(4·14 − 36) = 0.6, intercept
		// (4 − 0.6·6)/4 = 0.1; standard deviation √(2/4) ≈ 0.707. Days
		// left: 5 and 6 March: 0.1+0.6·4 + 0.1+0.6·5 = 5.6, so 4 + 5.6 ≈ 10,
		// and ± 2·0.707: 8 to 11.
		fc := f.Forecast
		if !fc.Enough || fc.Days != 4 || fc.DaysLeft != 2 || math.Abs(fc.Slope-0.6) > 1e-9 || math.Abs(fc.Intercept-0.1) > 1e-9 ||
			math.Abs(fc.StdDev-math.Sqrt(0.5)) > 1e-9 || fc.Completed != 4 || fc.Expected != 10 || fc.Low != 8 || fc.High != 11 {
			t.Fatalf("forecast %+v", fc)
		}
	})
}

func TestFunnelForecastSaysNotEnoughDataBeforeThreeDays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		o := w.owner("host-a", "a@example.com")
		w.car("sc-a", &o, "TESLA", "Model 3", 2024, "DE")
		c := w.launch(w.create(tesla(start.Add(20 * 24 * time.Hour))).ID)
		w.advance(2*24*time.Hour + time.Hour)
		f, err := w.svc.Funnel(w.ctx, c.ID, campaign.FunnelFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if f.Forecast.Enough || f.Forecast.Days != 2 || f.Cohort != 1 || f.Steps[model.StepNotNotified] != 1 {
			t.Fatalf("funnel %+v", f)
		}
	})
}

// The counters are kept by recounting only the vehicles that changed; after
// the whole history, and after changes the campaign itself does not make
// (an owner's address, a car's model), they hold what a recount of every
// vehicle gives.
func TestFunnelCountersFollowEachChangeAsAFullRecountWould(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := buildHistory(t, db)
		same := func(when string) campaign.Funnel {
			t.Helper()
			kept, err := h.svc.Funnel(h.ctx, h.c.ID, campaign.FunnelFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.store.RecountCampaignFunnel(h.ctx, h.c.ID); err != nil {
				t.Fatal(err)
			}
			full, err := h.svc.Funnel(h.ctx, h.c.ID, campaign.FunnelFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, pair := range [][2]any{
				{kept.StepCounts, full.StepCounts}, {kept.ByWave, full.ByWave}, {kept.ByModel, full.ByModel},
				{kept.ByCountry, full.ByCountry}, {kept.ByNotice, full.ByNotice}, {kept.Days, full.Days},
				{kept.DeclinedBy, full.DeclinedBy}, {kept.FailedBy, full.FailedBy}, {kept.Facets, full.Facets},
			} {
				if !reflect.DeepEqual(pair[0], pair[1]) {
					t.Errorf("%s: kept %+v, recounted %+v", when, pair[0], pair[1])
				}
			}
			return kept
		}
		same("after the history")

		// Gina's address is removed before anything reached her: she cannot
		// be told now. Erin's car turns out to be a Model 3.
		if _, err := h.store.UpsertOwner(h.ctx, store.OwnerInput{HostUserID: "host-gina"}); err != nil {
			t.Fatal(err)
		}
		h.car("sc-erin", ptr(h.owners["erin"]), "TESLA", "Model 3", 2024, "DE")
		f := same("after gina and erin changed")
		wantSteps(t, "all", f.Steps, map[model.FunnelStep]int64{
			model.StepCompleted: 4, model.StepDeclined: 1, model.StepFailed: 1, model.StepStarted: 1, model.StepOpened: 1,
			model.StepNotified: 2, model.StepUnreachable: 3, model.StepNotNotified: 0,
		})
		if len(f.ByModel) != 2 || f.ByModel[0].Key != "Model 3" || f.ByModel[0].Cohort != 7 || f.ByModel[0].Steps[model.StepUnreachable] != 1 {
			t.Errorf("by model %+v", f.ByModel)
		}
	})
}

func ptr[T any](v T) *T { return &v }
