package notify_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"reconnect/internal/config"
	"reconnect/internal/links"
	"reconnect/internal/mail"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

var linkRE = regexp.MustCompile(`https://reconnect\.example/l/[A-Za-z0-9_-]+`)

func TestDebounce(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		t.Run("a car still broken after the debounce gets one email", func(t *testing.T) {
			h := newHarness(t, dialect, nil)
			alice, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla)
			h.breakAuth(cars[0])
			if got, want := h.due(alice), t0.Add(15*time.Minute); !got.Equal(want) {
				t.Fatalf("due %s, want %s", got, want)
			}
			h.clock.Advance(14 * time.Minute)
			if res := h.tick(alice); res.Sent || res.Wait != time.Minute {
				t.Fatalf("before the debounce: %+v", res)
			}
			h.clock.Advance(time.Minute)
			if res := h.tick(alice); !res.Sent {
				t.Fatalf("after the debounce nothing was sent: %+v", res)
			}
			got := h.mail.To("alice@example.com")
			if len(got) != 1 || got[0].Subject != "Action required: reconnect your Tesla to ChargeWell" {
				t.Fatalf("sent %+v", got)
			}
			if h.tick(alice).Sent {
				t.Fatal("a second run sent again")
			}
		})
		t.Run("a car that recovers within the debounce never emails", func(t *testing.T) {
			h := newHarness(t, dialect, nil)
			bob, cars := h.owner("bob", "bob@example.com", "en", "Europe/London", tesla)
			h.breakAuth(cars[0])
			h.clock.Advance(5 * time.Minute)
			h.fix(cars[0], "webhook") // a RESOLVED event: fixed elsewhere
			h.clock.Advance(time.Hour)
			h.tick(bob)
			if n := len(h.mail.Messages()); n != 0 {
				t.Fatalf("%d emails for a transient break", n)
			}
			if s := h.schedule(bob); s.Active || s.DueAt != nil {
				t.Fatalf("schedule still open: %+v", s)
			}
		})
	})
}

func TestDigestCoversEveryBrokenCar(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		alice, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla, ford, bmw)
		h.breakAuth(cars[0])
		h.clock.Advance(5 * time.Minute)
		h.move(cars[1], model.StateNeedsOEMAction, "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION", "webhook")
		// The second break slides the debounce: both cars share one email.
		if got, want := h.due(alice), t0.Add(20*time.Minute); !got.Equal(want) {
			t.Fatalf("due %s, want %s", got, want)
		}
		sent := h.runUntil(alice, t0.Add(time.Hour))
		if len(sent) != 1 {
			t.Fatalf("%d emails, want one digest", len(sent))
		}
		m := sent[0]
		if m.Subject != "Action required: reconnect your cars to ChargeWell" {
			t.Errorf("subject %q", m.Subject)
		}
		for _, want := range []string{"2021 Tesla Model 3", "2022 Ford Mustang Mach-E", "Reconnect the 2021 Tesla Model 3",
			"subscription is not active", "It takes about a minute.", "Your data and preferences in ChargeWell are kept"} {
			if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
				t.Errorf("digest lacks %q:\n%s", want, m.Text)
			}
		}
		if strings.Contains(m.Text, "BMW") {
			t.Error("the connected BMW is in the digest")
		}
		// One link per car, each attributed to this email.
		urls := slices.Compact(linkRE.FindAllString(m.Text, -1))
		if len(urls) != 2 {
			t.Fatalf("links %v, want one per broken car", urls)
		}
		em, err := h.store.EmailByMessageID(h.ctx, m.MessageID)
		if err != nil || em.Kind != store.EmailDigest || em.Status != store.EmailSent || em.Attempts != 1 {
			t.Fatalf("email log: %+v %v", em, err)
		}
		for i, u := range urls {
			r, err := h.links.Resolve(h.ctx, strings.TrimPrefix(u, "https://reconnect.example/l/"))
			if err != nil || r.Status != links.Valid || r.Link.Source != "email" || r.Link.SourceRef != m.MessageID || *r.Link.VehicleID != cars[i].ID {
				t.Fatalf("link %d: %+v %v", i, r, err)
			}
		}
		// After the Tesla is fixed its link says so; the Ford's still works.
		h.fix(cars[0], "callback")
		r, _ := h.links.Resolve(h.ctx, strings.TrimPrefix(urls[0], "https://reconnect.example/l/"))
		if r.Status != links.AlreadyFixed {
			t.Fatalf("link of the fixed car: status %v", r.Status)
		}
		if kinds := h.eventKinds(alice); count(kinds, model.EventEmailSent) != 2 {
			t.Fatalf("timeline: %v (want email_sent on each car)", kinds)
		}
	})
}

func TestReminderCadenceAndCap(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		alice, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla)
		h.breakAuth(cars[0])
		first := t0.Add(15 * time.Minute)
		if sent := h.runUntil(alice, first); len(sent) != 1 {
			t.Fatalf("digest: %d emails", len(sent))
		}
		if got := h.due(alice); !got.Equal(first.Add(48 * time.Hour)) {
			t.Fatalf("first reminder due %s", got)
		}
		if sent := h.runUntil(alice, first.Add(47*time.Hour)); len(sent) != 0 {
			t.Fatalf("reminder before 2 days: %d", len(sent))
		}
		sent := h.runUntil(alice, first.Add(48*time.Hour))
		if len(sent) != 1 || sent[0].Subject != "Reminder: reconnect your Tesla to ChargeWell" {
			t.Fatalf("first reminder: %+v", sent)
		}
		if !strings.Contains(sent[0].Text, "A reminder: ChargeWell still cannot reach your 2021 Tesla Model 3.") {
			t.Errorf("reminder text:\n%s", sent[0].Text)
		}
		sent = h.runUntil(alice, first.Add(168*time.Hour))
		if len(sent) != 1 || !h.clock.Now().Equal(first.Add(168*time.Hour)) {
			t.Fatalf("second reminder: %d at %s", len(sent), h.clock.Now())
		}
		// The cap: three emails in all, however long the car stays broken.
		if sent := h.runUntil(alice, first.Add(90*24*time.Hour)); len(sent) != 0 {
			t.Fatalf("%d emails past the cap", len(sent))
		}
		if n := len(h.mail.To("alice@example.com")); n != 3 {
			t.Fatalf("%d emails in all, want 3", n)
		}
		if s := h.schedule(alice); !s.Active || s.DueAt != nil || s.SentCount != 3 {
			t.Fatalf("schedule after the cap: %+v", s)
		}
		var kinds []string
		for _, m := range h.mail.To("alice@example.com") {
			em, _ := h.store.EmailByMessageID(h.ctx, m.MessageID)
			kinds = append(kinds, em.Kind)
		}
		if !slices.Equal(kinds, []string{store.EmailDigest, store.EmailReminder, store.EmailReminder}) {
			t.Fatalf("kinds %v", kinds)
		}
	})
}

func TestQuietHoursInTheOwnersTimeZone(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		// 21:30 UTC on a Monday in November.
		h.clock.Set(time.Date(2026, 11, 2, 21, 30, 0, 0, time.UTC))
		berlin, bc := h.owner("berlin", "b@example.com", "de", "Europe/Berlin", tesla)          // 22:45 local: quiet
		angeles, lc := h.owner("angeles", "la@example.com", "en", "America/Los_Angeles", tesla) // 13:45 local
		tokyo, tc := h.owner("tokyo", "t@example.com", "en", "Asia/Tokyo", tesla)               // 06:45 local: quiet
		unknown, uc := h.owner("nowhere", "n@example.com", "en", "Mars/Olympus", tesla)         // default zone (UTC): 21:45, quiet
		for _, v := range []model.Vehicle{bc[0], lc[0], tc[0], uc[0]} {
			h.breakAuth(v)
		}
		h.clock.Advance(15 * time.Minute)
		for _, o := range []model.Owner{berlin, angeles, tokyo, unknown} {
			h.tick(o)
		}
		if n := len(h.mail.To("la@example.com")); n != 1 {
			t.Fatalf("Los Angeles (afternoon): %d emails", n)
		}
		for _, c := range []struct {
			o    model.Owner
			want time.Time
		}{
			{berlin, time.Date(2026, 11, 3, 7, 0, 0, 0, time.UTC)},  // 08:00 CET
			{tokyo, time.Date(2026, 11, 2, 23, 0, 0, 0, time.UTC)},  // 08:00 JST
			{unknown, time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)}, // 08:00 UTC
		} {
			if n := len(h.mail.To(c.o.Email)); n != 0 {
				t.Errorf("%s got mail in quiet hours", c.o.HostUserID)
			}
			if got := h.due(c.o); !got.Equal(c.want) {
				t.Errorf("%s postponed to %s, want %s", c.o.HostUserID, got, c.want)
			}
		}
		sent := h.runUntil(tokyo, time.Date(2026, 11, 2, 23, 0, 0, 0, time.UTC))
		if len(sent) != 1 {
			t.Fatalf("Tokyo at 08:00 local: %d emails", len(sent))
		}
		if sent := h.runUntil(berlin, time.Date(2026, 11, 3, 7, 0, 0, 0, time.UTC)); len(sent) != 1 ||
			sent[0].Subject != "Wichtig: Verbinden Sie Ihren Tesla wieder mit ChargeWell" {
			t.Fatalf("Berlin at 08:00 local: %+v", sent)
		}
	})
}

func TestQuietUntil(t *testing.T) {
	q, _ := config.ParseQuietHours("21:00-08:00")
	day, _ := config.ParseQuietHours("12:00-13:30")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	cases := []struct {
		q     config.QuietHours
		at    time.Time
		quiet bool
		until time.Time
	}{
		{q, time.Date(2026, 7, 1, 18, 59, 0, 0, time.UTC), false, time.Time{}},                               // 20:59 CEST
		{q, time.Date(2026, 7, 1, 19, 0, 0, 0, time.UTC), true, time.Date(2026, 7, 2, 6, 0, 0, 0, time.UTC)}, // 21:00 CEST
		{q, time.Date(2026, 7, 2, 5, 59, 0, 0, time.UTC), true, time.Date(2026, 7, 2, 6, 0, 0, 0, time.UTC)},
		{q, time.Date(2026, 7, 2, 6, 0, 0, 0, time.UTC), false, time.Time{}},
		// The night the clocks go back (25 October 2026): 08:00 is CET.
		{q, time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), true, time.Date(2026, 10, 25, 7, 0, 0, 0, time.UTC)},
		{day, time.Date(2026, 7, 1, 10, 30, 0, 0, time.UTC), true, time.Date(2026, 7, 1, 11, 30, 0, 0, time.UTC)},
		{day, time.Date(2026, 7, 1, 11, 30, 0, 0, time.UTC), false, time.Time{}},
		{config.QuietHours{Off: true}, time.Date(2026, 7, 1, 1, 0, 0, 0, time.UTC), false, time.Time{}},
	}
	for i, c := range cases {
		until, quiet := notify.QuietUntil(c.q, c.at, berlin)
		if quiet != c.quiet || (quiet && !until.Equal(c.until)) {
			t.Errorf("case %d at %s: quiet=%v until %s, want %v %s", i, c.at, quiet, until, c.quiet, c.until)
		}
	}
}

func TestEmailsStopAtOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		// Each way a car stops needing its owner, after the digest went out
		// and with a reminder planned.
		for _, tc := range []struct {
			name string
			stop func(h *harness, o model.Owner, v model.Vehicle)
		}{
			{"fixed by the owner", func(h *harness, _ model.Owner, v model.Vehicle) { h.fix(v, "callback") }},
			{"resolved elsewhere", func(h *harness, _ model.Owner, v model.Vehicle) { h.fix(v, "webhook") }},
			{"declined", func(h *harness, _ model.Owner, v model.Vehicle) {
				h.move(v, model.StateDeclined, "declined:sold", "owner")
			}},
			{"unsubscribed", func(h *harness, o model.Owner, _ model.Vehicle) {
				tok := unsubscribeToken(h, o)
				if _, first, err := h.svc.Unsubscribe(h.ctx, tok, "one-click"); err != nil || !first {
					h.t.Fatalf("unsubscribe: first=%v %v", first, err)
				}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t, dialect, nil)
				o, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla)
				h.breakAuth(cars[0])
				if sent := h.runUntil(o, t0.Add(time.Hour)); len(sent) != 1 {
					t.Fatalf("digest: %d", len(sent))
				}
				if h.due(o).IsZero() {
					t.Fatal("no reminder planned")
				}
				h.clock.Advance(24 * time.Hour)
				tc.stop(h, o, cars[0])
				if s := h.schedule(o); s.Active || s.DueAt != nil {
					t.Fatalf("schedule after stop: %+v", s)
				}
				// A job already queued for the planned reminder sends nothing.
				h.clock.Set(t0.Add(15*time.Minute + 48*time.Hour))
				if res := h.tick(o); res.Sent {
					t.Fatal("the stale reminder job sent mail")
				}
				h.clock.Advance(30 * 24 * time.Hour)
				h.tick(o)
				if n := len(h.mail.To("alice@example.com")); n != 1 {
					t.Fatalf("%d emails, want only the digest", n)
				}
				kinds := h.eventKinds(o)
				if tc.name == "unsubscribed" {
					if count(kinds, model.EventUnsubscribed) != 1 {
						t.Fatalf("timeline: %v", kinds)
					}
				} else if count(kinds, model.EventRemindersStopped) != 1 {
					t.Fatalf("timeline: %v", kinds)
				}
			})
		}
		t.Run("one of two cars fixed: the reminder names the other", func(t *testing.T) {
			h := newHarness(t, dialect, nil)
			o, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla, ford)
			h.breakAuth(cars[0])
			h.breakAuth(cars[1])
			h.runUntil(o, t0.Add(time.Hour))
			h.fix(cars[0], "callback")
			sent := h.runUntil(o, t0.Add(15*time.Minute+48*time.Hour))
			if len(sent) != 1 || sent[0].Subject != "Reminder: reconnect your Ford to ChargeWell" || strings.Contains(sent[0].Text, "Tesla") {
				t.Fatalf("reminder: %+v", sent)
			}
		})
		t.Run("an unsubscribed owner's new breaks send nothing", func(t *testing.T) {
			h := newHarness(t, dialect, nil)
			o, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla, ford)
			h.breakAuth(cars[0])
			h.runUntil(o, t0.Add(time.Hour))
			tok := unsubscribeToken(h, o)
			h.svc.Unsubscribe(h.ctx, tok, "page")
			if _, first, err := h.svc.Unsubscribe(h.ctx, tok, "one-click"); err != nil || first {
				t.Fatalf("second unsubscribe: first=%v %v", first, err)
			}
			h.breakAuth(cars[1])
			h.runUntil(o, t0.Add(30*24*time.Hour))
			if n := len(h.mail.To("alice@example.com")); n != 1 {
				t.Fatalf("%d emails after unsubscribing", n)
			}
			if count(h.eventKinds(o), model.EventUnsubscribed) != 1 {
				t.Fatal("unsubscribe recorded twice")
			}
		})
	})
}

// unsubscribeToken takes the token out of the owner's latest email.
func unsubscribeToken(h *harness, o model.Owner) string {
	h.t.Helper()
	ms := h.mail.To(o.Email)
	if len(ms) == 0 {
		h.t.Fatal("no email to unsubscribe from")
	}
	u := ms[len(ms)-1].Unsubscribe
	i := strings.LastIndex(u, "/")
	return u[i+1:]
}

func TestSnoozeHoldsRemindersBack(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		o, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla)
		h.breakAuth(cars[0])
		h.runUntil(o, t0.Add(time.Hour))
		// "Remind me later" on day 1: three days of quiet.
		h.clock.Set(t0.Add(24 * time.Hour))
		until := h.clock.Now().Add(72 * time.Hour)
		if err := h.store.Snooze(h.ctx, cars[0].ID, until); err != nil {
			t.Fatal(err)
		}
		if sent := h.runUntil(o, until.Add(-time.Minute)); len(sent) != 0 {
			t.Fatalf("%d reminders while snoozed", len(sent))
		}
		sent := h.runUntil(o, until)
		if len(sent) != 1 || !h.clock.Now().Equal(until) {
			t.Fatalf("after the snooze: %d emails at %s", len(sent), h.clock.Now())
		}
	})
}

func TestFrequencyCapAcrossEpisodes(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		o, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla)
		h.breakAuth(cars[0])
		h.runUntil(o, t0.Add(time.Hour))
		// Fixed, then broken again an hour later: a new episode, but the
		// owner heard from us an hour ago.
		h.fix(cars[0], "callback")
		h.clock.Advance(time.Hour)
		h.breakAuth(cars[0])
		h.runUntil(o, t0.Add(19*time.Hour))
		if n := len(h.mail.To("alice@example.com")); n != 1 {
			t.Fatalf("%d emails within the cap", n)
		}
		if got, want := h.due(o), t0.Add(15*time.Minute+20*time.Hour); !got.Equal(want) {
			t.Fatalf("next email due %s, want %s (20h after the last)", got, want)
		}
		// 06:15 in London is quiet: the digest waits for 08:00.
		sent := h.runUntil(o, t0.Add(23*time.Hour))
		if len(sent) != 1 || !strings.HasPrefix(sent[0].Subject, "Action required") || !sent[0].Date.Equal(t0.Add(22*time.Hour)) {
			t.Fatalf("the new episode's digest: %+v", sent)
		}
	})
}

func TestFailures(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		t.Run("a permanent refusal is recorded and not retried", func(t *testing.T) {
			h := newHarness(t, dialect, nil)
			o, cars := h.owner("alice", "nobody@example.com", "en", "Europe/London", tesla)
			h.mail.Fail = func(mail.Message) error {
				return &mail.Error{Code: 550, Permanent: true, Err: errors.New("5.1.1 no such user")}
			}
			h.breakAuth(cars[0])
			h.clock.Advance(15 * time.Minute)
			_, err := h.run(o)
			var gaveUp *notify.GaveUpError
			if !errors.As(err, &gaveUp) {
				t.Fatalf("want GaveUpError, got %v", err)
			}
			s := h.schedule(o)
			if s.DueAt != nil {
				t.Fatalf("reminders still planned for a refused address: %+v", s)
			}
			es, _ := h.store.EmailsByOwner(h.ctx, o.ID, store.Page{})
			if len(es) != 1 || es[0].Status != store.EmailFailed || es[0].ErrorCode != 550 || es[0].Attempts != 1 {
				t.Fatalf("email log: %+v", es)
			}
			evs, _ := h.store.EventsByVehicle(h.ctx, cars[0].ID, store.Page{})
			if evs[0].Kind != model.EventEmailFailed || !strings.Contains(evs[0].Detail, `"code":550`) {
				t.Fatalf("timeline: %+v", evs[0])
			}
		})
		t.Run("a temporary failure is retried and sent once", func(t *testing.T) {
			h := newHarness(t, dialect, nil)
			o, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla)
			fails := 2
			h.mail.Fail = func(mail.Message) error {
				if fails > 0 {
					fails--
					return &mail.Error{Code: 451, Err: errors.New("try later")}
				}
				return nil
			}
			h.breakAuth(cars[0])
			h.clock.Advance(15 * time.Minute)
			for i := 0; i < 2; i++ {
				if _, err := h.run(o); err == nil || mail.IsPermanent(err) {
					t.Fatalf("attempt %d: %v", i+1, err)
				}
				h.clock.Advance(time.Minute)
			}
			if res := h.tick(o); !res.Sent {
				t.Fatal("third attempt did not send")
			}
			es, _ := h.store.EmailsByOwner(h.ctx, o.ID, store.Page{})
			if len(es) != 1 || es[0].Status != store.EmailSent || es[0].Attempts != 3 {
				t.Fatalf("email log: %+v", es)
			}
			ms := h.mail.Messages()
			if len(ms) != 1 || ms[0].MessageID != es[0].MessageID {
				t.Fatalf("sent %d", len(ms))
			}
		})
		t.Run("the last attempt gives up and says so", func(t *testing.T) {
			h := newHarness(t, dialect, nil)
			o, cars := h.owner("alice", "alice@example.com", "en", "Europe/London", tesla)
			h.mail.Fail = func(mail.Message) error { return &mail.Error{Err: errors.New("connection refused")} }
			h.breakAuth(cars[0])
			h.clock.Advance(15 * time.Minute)
			_, err := h.svc.Deliver(h.ctx, o.ID, true)
			var gaveUp *notify.GaveUpError
			if !errors.As(err, &gaveUp) {
				t.Fatalf("want GaveUpError, got %v", err)
			}
			if count(h.eventKinds(o), model.EventEmailFailed) != 1 {
				t.Fatal("no email_failed on the timeline")
			}
		})
	})
}

func TestFreshLink(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, nil)
		o, cars := h.owner("alice", "alice@example.com", "de", "Europe/Berlin", tesla)
		// Unsubscribing stops reminders, not a link the owner asks for.
		h.breakAuth(cars[0])
		h.runUntil(o, t0.Add(time.Hour))
		if _, first, err := h.svc.Unsubscribe(h.ctx, unsubscribeToken(h, o), "page"); err != nil || !first {
			t.Fatalf("unsubscribe: first=%v err=%v", first, err)
		}
		h.mail.Reset()
		err := h.store.Tx(h.ctx, func(tx *store.Store) error {
			return h.svc.SendFreshLink(h.ctx, tx, o, &cars[0].ID, "resend")
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.queue.args) != 1 {
			t.Fatalf("queued %v", h.queue.args)
		}
		args := h.queue.args[0].(notify.EmailArgs)
		if res, err := h.svc.DeliverEmail(h.ctx, args.EmailID, false); err != nil || !res.Sent {
			t.Fatalf("deliver: %+v %v", res, err)
		}
		if res, _ := h.svc.DeliverEmail(h.ctx, args.EmailID, false); res.Sent {
			t.Fatal("sent twice")
		}
		ms := h.mail.To("alice@example.com")
		if len(ms) != 1 || ms[0].Subject != "Ihr neuer Link zu ChargeWell" {
			t.Fatalf("sent %+v", ms)
		}
		u := linkRE.FindString(ms[0].Text)
		r, err := h.links.Resolve(h.ctx, strings.TrimPrefix(u, "https://reconnect.example/l/"))
		if err != nil || r.Status != links.Valid || r.Link.SourceRef != ms[0].MessageID || r.Vehicle == nil || r.Vehicle.ID != cars[0].ID {
			t.Fatalf("link: %+v %v", r, err)
		}
	})
}
