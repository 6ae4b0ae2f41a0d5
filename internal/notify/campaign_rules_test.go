package notify_test

import (
	"errors"
	"testing"
	"time"

	"reconnect/internal/mail"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// EMAIL_MIN_INTERVAL and quiet hours hold a notice back and never drop
// it, EMAIL_MAX does not count it, a paused campaign sends nothing until it resumes, and
// a send whose outcome is unknown is sent again as the same message and
// recorded once.
func TestCampaignNoticesKeepTheEmailRules(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newCampaignHarness(t, dialect, func(c *notify.Config) { c.Max = 1 })
		o, cars := h.owner("anna", "anna@example.com", "en", "Europe/London", tesla, ford)

		// A broken Ford: the episode's one email (EMAIL_MAX 1) at t0+15m.
		h.breakAuth(cars[1])
		h.walk(t0.Add(time.Hour), t0.Add(h.cfg.Debounce))
		if got := sentAt(h.mail.To(o.Email)); len(got) != 1 || !got[0].Equal(t0.Add(h.cfg.Debounce)) {
			t.Fatalf("the breakage email: %v", got)
		}

		// Launched ten days before the cut-over: the two-week step has
		// passed and is due now, but the owner was emailed 45 minutes ago.
		cut := t0.Add(10 * 24 * time.Hour)
		c := h.launch(cut)
		held := t0.Add(h.cfg.Debounce + h.cfg.MinInterval)
		h.walk(held.Add(-time.Minute))
		if n := len(h.mail.To(o.Email)); n != 1 {
			t.Fatalf("a notice inside EMAIL_MIN_INTERVAL: %d emails", n)
		}
		ns, _ := h.store.NoticesOfOwner(h.ctx, c.ID, o.ID)
		if ns[0].Status != store.NoticePending || !ns[0].DueAt.Equal(held) {
			t.Fatalf("the held notice: %+v", ns[0])
		}
		// 06:15 in London is quiet: the notice waits again, for 08:00.
		morning := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
		h.walk(morning.Add(time.Hour), held, morning)
		got := h.mail.To(o.Email)
		if len(got) != 2 || !got[1].Date.Equal(morning) {
			t.Fatalf("after the interval and the quiet hours the notice goes, EMAIL_MAX notwithstanding: %v", sentAt(got))
		}

		// Paused before the one-week step: nothing until it resumes, then
		// the step that fell due meanwhile goes at once.
		if _, err := h.campaigns.Pause(h.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		resume := cut.Add(-168*time.Hour + 30*time.Hour)
		h.walk(resume)
		if n := len(h.mail.To(o.Email)); n != 2 {
			t.Fatalf("a paused campaign sent: %d emails", n)
		}
		if _, err := h.campaigns.Resume(h.ctx, c.ID); err != nil {
			t.Fatal(err)
		}

		// The server takes the message but its answer is lost: the same
		// message (same Message-ID) goes again after EMAIL_UNKNOWN_RETRY_AFTER,
		// and the notice is recorded sent once, with that Message-ID.
		lost := 0
		h.mail.Fail = func(mail.Message) error {
			if lost == 0 {
				lost++
				return &mail.Error{Unknown: true, Err: errors.New("connection reset after DATA")}
			}
			return nil
		}
		h.pump()
		if n := len(h.mail.To(o.Email)); n != 2 {
			t.Fatalf("the lost attempt is not recorded as sent: %d", n)
		}
		h.clock.Advance(31 * time.Minute)
		h.pump()
		h.pump()
		got = h.mail.To(o.Email)
		if len(got) != 3 || got[2].Subject != "7 days left: reconnect your Tesla to ChargeWell" && got[2].Subject != "6 days left: reconnect your Tesla to ChargeWell" {
			t.Fatalf("after resume: %v", subjects(got))
		}
		ns, _ = h.store.NoticesOfOwner(h.ctx, c.ID, o.ID)
		sent := 0
		for _, n := range ns {
			if n.Status == store.NoticeSent {
				sent++
				if n.OffsetSeconds == -168*3600 && n.EmailMessageID != got[2].MessageID {
					t.Errorf("the one-week notice names %s, the email is %s", n.EmailMessageID, got[2].MessageID)
				}
			}
		}
		if sent != 2 {
			t.Fatalf("%d notices sent: %+v", sent, ns)
		}
		if es, _ := h.store.EmailsByOwner(h.ctx, o.ID, store.Page{Limit: 10}); len(es) != 3 || es[0].Kind != store.EmailCampaignNotice || es[0].Attempts != 2 {
			t.Fatalf("email rows: %+v", es)
		}
	})
}
