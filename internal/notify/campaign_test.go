package notify_test

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/mail"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// cutover is the campaign's date in the schedule test: a Monday, 10:00
// UTC, three weeks after t0, so every default step lies ahead at launch.
var cutover = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// campaignHarness adds the campaign service to the email harness, wired
// as the composition root wires it.
type campaignHarness struct {
	*harness
	campaigns *campaign.Service
}

func newCampaignHarness(t *testing.T, dialect string, mod func(*notify.Config)) *campaignHarness {
	h := &campaignHarness{harness: newHarness(t, dialect, mod)}
	h.campaigns = campaign.New(h.store, h.machine, nil)
	h.machine.AddVehicleHook(h.campaigns)
	h.svc.SendCampaigns(h.campaigns)
	return h
}

// launch defines and launches a Tesla campaign with the default schedule.
func (h *campaignHarness) launch(cut time.Time) model.Campaign {
	h.t.Helper()
	c, err := h.campaigns.Create(h.ctx, campaign.Input{Name: "Tesla platform", Make: "TESLA", Reason: model.ReasonNewPlatform, CutoverAt: cut})
	if err != nil {
		h.t.Fatal(err)
	}
	if c, err = h.campaigns.Launch(h.ctx, c.ID); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// pump is what the queue does at the clock's time: both sweeps queue the
// owners with something due, and each queued owner's job runs once.
func (h *campaignHarness) pump() {
	h.t.Helper()
	h.queue.mu.Lock()
	h.queue.args = nil
	h.queue.mu.Unlock()
	if _, err := h.svc.Sweep(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.SweepNotices(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	h.queue.mu.Lock()
	args := h.queue.args
	h.queue.mu.Unlock()
	seen := map[int64]bool{}
	for _, a := range args {
		oa, ok := a.(notify.OwnerArgs)
		if !ok || seen[oa.OwnerID] {
			continue
		}
		seen[oa.OwnerID] = true
		if _, err := h.svc.Deliver(h.ctx, oa.OwnerID, false); err != nil {
			h.t.Fatal(err)
		}
	}
}

// walk moves the clock to each of `at` and through every hour up to
// `until`, pumping at each stop.
func (h *campaignHarness) walk(until time.Time, at ...time.Time) {
	h.t.Helper()
	stops := append([]time.Time{}, at...)
	for t := h.clock.Now().Truncate(time.Hour).Add(time.Hour); !t.After(until); t = t.Add(time.Hour) {
		stops = append(stops, t)
	}
	sort.Slice(stops, func(i, j int) bool { return stops[i].Before(stops[j]) })
	for _, t := range stops {
		if t.Before(h.clock.Now()) || t.After(until) {
			continue
		}
		h.clock.Set(t)
		h.pump()
	}
}

// sentAt lists when each of an owner's emails went (their Date header).
func sentAt(ms []mail.Message) []time.Time {
	out := make([]time.Time, len(ms))
	for i, m := range ms {
		out[i] = m.Date.UTC()
	}
	return out
}

func sameTimes(got, want []time.Time) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			return false
		}
	}
	return true
}

// wording is what the test expects each language to say.
var wording = map[string]struct {
	before, last, days7, after, heading, headingAfter, buttonCar string
}{
	"en": {
		before: "Action needed before 23 November: reconnect your Tesla to ChargeWell", days7: "7 days left: reconnect your Tesla to ChargeWell",
		last: "2 days left: reconnect your Tesla to ChargeWell", after: "Action required: your Tesla stopped working with ChargeWell on 23 November",
		heading: "Tesla moves to a new platform on 23 November", headingAfter: "Your Tesla stopped working with ChargeWell on 23 November",
		buttonCar: "Reconnect the 2021 Tesla Model 3",
	},
	"de": {
		before: "Bitte vor dem 23. November erledigen: Tesla wieder mit ChargeWell verbinden", days7: "Nur noch 7 Tage: Tesla wieder mit ChargeWell verbinden",
		last: "Nur noch 2 Tage: Tesla wieder mit ChargeWell verbinden", after: "Aktion erforderlich: Ihr Tesla ist seit dem 23. November nicht mehr mit ChargeWell verbunden",
		heading: "Tesla stellt am 23. November auf eine neue Plattform um", headingAfter: "Ihr Tesla ist seit dem 23. November nicht mehr mit ChargeWell verbunden",
		buttonCar: "2021 Tesla Model 3 neu verbinden",
	},
}

// The whole schedule on a fake clock, in English and German: a notice at
// each step (two weeks, a week, two days before, on the day, three days
// after), one email per owner for both their cars, a breakage email due
// within a day merged with a notice at the earlier time, and silence after
// a completion, a decline or an unsubscribe.
func TestCampaignNoticesFollowTheScheduleAroundTheCutover(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		for _, lang := range []string{"en", "de"} {
			t.Run(lang, func(t *testing.T) { scheduleAcrossCutover(t, dialect, lang) })
		}
	})
}

func scheduleAcrossCutover(t *testing.T, dialect, lang string) {
	h := newCampaignHarness(t, dialect, func(c *notify.Config) {
		branded(c) // the buttons carry the host's colour, as breakage emails do
		c.SupportURL, c.SupportEmail, c.ReplyTo = "https://help.chargewell.example", "help@chargewell.example", true
	})
	tz := map[string]string{"en": "Europe/London", "de": "Europe/Berlin"}[lang]
	anna, _ := h.owner("anna", "anna@example.com", lang, tz, tesla, car{"TESLA", "Model Y", 2023})
	bernd, berndCars := h.owner("bernd", "bernd@example.com", lang, tz, tesla, ford)
	carla, carlaCars := h.owner("carla", "carla@example.com", lang, tz, tesla)
	dora, doraCars := h.owner("dora", "dora@example.com", lang, tz, tesla)
	emil, _ := h.owner("emil", "emil@example.com", lang, tz, tesla)
	c := h.launch(cutover)
	steps := []time.Time{cutover.Add(-336 * time.Hour), cutover.Add(-168 * time.Hour), cutover.Add(-48 * time.Hour), cutover, cutover.Add(72 * time.Hour)}
	w := wording[lang]

	// Two weeks before: everyone hears, once, about all their cars.
	h.walk(steps[0])
	for _, o := range []model.Owner{anna, bernd, carla, dora, emil} {
		got := h.mail.To(o.Email)
		if len(got) != 1 || got[0].Subject != w.before || !got[0].Date.Equal(steps[0]) {
			t.Fatalf("%s at two weeks: %d emails %v", o.HostUserID, len(got), subjects(got))
		}
	}
	if first := h.mail.To(anna.Email)[0]; strings.Count(first.Text, "/l/") != 2 || !strings.Contains(first.Text, w.buttonCar) ||
		!strings.Contains(first.Text, w.heading) {
		t.Fatalf("anna's digest names both cars, each with its own link:\n%s", first.Text)
	}

	// After the first notice: Carla reconnects (the campaign's completion
	// rules record it), Dora declines, Emil unsubscribes.
	if _, err := h.store.CompleteCampaignVehicle(h.ctx, c.ID, carlaCars[0].ID, model.SourceCallback, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.move(doraCars[0], model.StateDeclined, "sold", model.SourceOwner)
	emilFirst := h.mail.To(emil.Email)[0]
	if _, _, err := h.svc.Unsubscribe(h.ctx, path.Base(emilFirst.Unsubscribe), "link"); err != nil {
		t.Fatal(err)
	}

	// Bernd's Ford breaks 20 hours before the one-week notice: its email
	// (due after the debounce) and the notice go as one, at the earlier
	// time. The Ford is then fixed.
	breakAt := steps[1].Add(-20 * time.Hour)
	h.walk(breakAt.Add(-time.Hour))
	h.clock.Set(breakAt)
	h.breakAuth(berndCars[1])
	h.walk(breakAt.Add(2*time.Hour), breakAt.Add(h.cfg.Debounce))
	merged := h.mail.To(bernd.Email)
	if len(merged) != 2 || !merged[1].Date.Equal(breakAt.Add(h.cfg.Debounce)) ||
		!strings.Contains(merged[1].Text, w.heading) || !strings.Contains(merged[1].Text, "Ford") {
		t.Fatalf("bernd's merged email: %v at %v\n%s", subjects(merged), sentAt(merged), last(merged).Text)
	}
	h.fix(berndCars[1], model.SourceCallback)

	// The rest of the schedule.
	h.walk(steps[4].Add(time.Hour))
	want := map[string][]time.Time{
		"anna":  steps,
		"bernd": {steps[0], breakAt.Add(h.cfg.Debounce), steps[2], steps[3], steps[4]},
		"carla": steps[:1], "dora": steps[:1], "emil": steps[:1],
	}
	for _, o := range []model.Owner{anna, bernd, carla, dora, emil} {
		if got := sentAt(h.mail.To(o.Email)); !sameTimes(got, want[o.HostUserID]) {
			t.Errorf("%s got emails at %v, want %v", o.HostUserID, got, want[o.HostUserID])
		}
	}
	annas := h.mail.To(anna.Email)
	for i, subj := range []string{w.before, w.days7, w.last, w.after, w.after} {
		if annas[i].Subject != subj {
			t.Errorf("anna's email %d: %q, want %q", i, annas[i].Subject, subj)
		}
	}
	if !strings.Contains(annas[4].Text, w.headingAfter) || strings.Contains(annas[4].Text, w.heading) {
		t.Errorf("after the cut-over the wording changes:\n%s", annas[4].Text)
	}
	// Every notice is settled: sent with its email's Message-ID, or skipped
	// with the reason.
	for _, o := range []model.Owner{anna, carla, dora, emil} {
		ns, err := h.store.NoticesOfOwner(h.ctx, c.ID, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if n.Status == store.NoticePending || n.Status == store.NoticeSent && n.EmailMessageID == "" {
				t.Errorf("%s: notice %+v", o.HostUserID, n)
			}
		}
	}
	if ns, _ := h.store.NoticesOfOwner(h.ctx, c.ID, emil.ID); ns[1].SkipReason != string(campaign.SkipNoAddress) {
		t.Errorf("emil's second notice: %+v", ns[1])
	}

	goldens := map[string]mail.Message{
		"campaign_before": annas[0], "campaign_days_left": annas[2], "campaign_after": annas[4], "campaign_merged": merged[1],
	}
	for name, m := range goldens {
		checkGolden(t, name+"_"+lang, m)
	}
}

func subjects(ms []mail.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Subject
	}
	return out
}

func last(ms []mail.Message) mail.Message {
	if len(ms) == 0 {
		return mail.Message{}
	}
	return ms[len(ms)-1]
}

// checkGolden compares m with testdata/emails/<name>.golden, or rewrites
// it with -update.
func checkGolden(t *testing.T, name string, m mail.Message) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "emails")
	p := filepath.Join(dir, name+".golden")
	got := golden(t, m)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/notify -run TestCampaign -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended):\n%s", p, diff(string(want), got))
	}
}
