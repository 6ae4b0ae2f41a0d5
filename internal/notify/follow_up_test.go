package notify_test

import (
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

// Staff's follow-up keeps the frequency cap: an owner emailed an hour ago
// hears again only once EMAIL_MIN_INTERVAL (20h) has passed, and then
// outside quiet hours; the schedule's next notice, due within a day, goes
// in the same email.
func TestAFollowUpWaitsForTheMinimumInterval(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newCampaignHarness(t, dialect, nil)
		h.owner("dana", "dana@example.com", "en", "UTC", tesla)
		// The cut-over a day ahead: the steps already past make one notice
		// at launch (10:00), the cut-over's own notice comes tomorrow.
		c, err := h.campaigns.Create(h.ctx, campaign.Input{Name: "Tesla platform", Make: "TESLA", Reason: model.ReasonNewPlatform,
			CutoverAt: t0.Add(24 * time.Hour), FirstWave: 100})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.campaigns.Launch(h.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		h.pump()
		if got := len(h.mail.To("dana@example.com")); got != 1 {
			t.Fatalf("%d emails at launch", got)
		}
		h.clock.Advance(time.Hour)
		if _, n, err := h.campaigns.FollowUp(h.ctx, c.ID); err != nil || n != 1 {
			t.Fatalf("follow-up: %d %v", n, err)
		}
		h.walk(t0.Add(25 * time.Hour))
		got := sentAt(h.mail.To("dana@example.com"))
		// 20h after 10:00 is 06:00, inside quiet hours until 08:00.
		want := []time.Time{t0, t0.Add(22 * time.Hour)}
		if !sameTimes(got, want) {
			t.Fatalf("emails at %v, want %v", got, want)
		}
	})
}
