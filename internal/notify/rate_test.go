package notify_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"reconnect/internal/mail"
	"reconnect/internal/notify"
)

// CAMPAIGN_RATE and EMAIL_RATE hold back what a minute cannot take: a
// notice over the rate waits for a later minute (never dropped), no minute
// hands more than the rate to SMTP, and the count is in the database, so
// a second instance sending at the same time shares it.
func TestCampaignNoticesKeepToTheSendingRatesAcrossInstances(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		campaignRate, emailRate int
		want                    int
	}{
		{"CAMPAIGN_RATE", 2, 5, 2},
		{"EMAIL_RATE", 0, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachDialect(t, func(t *testing.T, dialect string) {
				h := newCampaignHarness(t, dialect, func(c *notify.Config) { c.CampaignRate, c.EmailRate = tc.campaignRate, tc.emailRate })
				// A second instance: its own sender, the same database.
				otherMail := &mail.Recorder{}
				other := notify.New(h.cfg, h.store, h.links, otherMail, h.queue, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
				other.SendCampaigns(h.campaigns)
				const owners = 8
				var ids []int64
				for i := range owners {
					o, _ := h.owner(fmt.Sprintf("rate%d", i), fmt.Sprintf("rate%d@example.com", i), "en", "Europe/London", tesla)
					ids = append(ids, o.ID)
				}
				// Steps already past at launch make one notice due at once.
				h.launch(t0.Add(24 * time.Hour))

				sent := func() int { return len(h.mail.Messages()) + len(otherMail.Messages()) }
				// Every owner's job runs on both instances at the start and
				// at the end of each minute (a postponed notice comes due at
				// a random moment of a later minute).
				run := func() {
					for i, id := range ids {
						for _, svc := range []*notify.Service{h.svc, other}[i%2:] {
							if _, err := svc.Deliver(h.ctx, id, false); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
				start := h.clock.Now().Truncate(time.Minute)
				var perMinute []int
				for m := 0; m < 12 && sent() < owners; m++ {
					before := sent()
					h.clock.Set(start.Add(time.Duration(m) * time.Minute))
					run()
					h.clock.Set(start.Add(time.Duration(m)*time.Minute + 59*time.Second))
					run()
					perMinute = append(perMinute, sent()-before)
				}
				if sent() != owners {
					t.Fatalf("%d of %d owners were told in twelve minutes (per minute %v): a held-back notice was dropped", sent(), owners, perMinute)
				}
				for m, n := range perMinute {
					if n > tc.want {
						t.Errorf("minute %d handed %d emails to SMTP; the rate is %d (per minute %v)", m, n, tc.want, perMinute)
					}
				}
				if perMinute[0] != tc.want {
					t.Errorf("the first minute sent %d, want the full rate %d (per minute %v)", perMinute[0], tc.want, perMinute)
				}
				if len(otherMail.Messages()) == 0 || len(h.mail.Messages()) == 0 {
					t.Errorf("one instance sent nothing (%d, %d): the test did not run two senders", len(h.mail.Messages()), len(otherMail.Messages()))
				}
			})
		})
	}
}
