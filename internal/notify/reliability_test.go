package notify_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/riverqueue/river"

	"reconnect/internal/config"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/mail"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// live is the email machinery on the real clock with real SMTP and the
// real job queue, as the app runs it.
type live struct {
	t       *testing.T
	ctx     context.Context
	db      *database.DB
	store   *store.Store
	svc     *notify.Service
	machine *lifecycle.Machine
	queue   *jobs.Queue
}

func liveConfig() notify.Config {
	return notify.Config{
		AppName: "ChargeWell", BaseURL: "http://127.0.0.1:9", Debounce: 0,
		Reminders: []time.Duration{48 * time.Hour}, Max: 2, MinInterval: time.Hour,
		Quiet: config.QuietHours{Off: true}, SweepEvery: 200 * time.Millisecond,
		RetryBase: 100 * time.Millisecond, RetryMax: 300 * time.Millisecond, SendTimeout: 3 * time.Second,
		// An attempt whose outcome is unknown (the one in flight when a
		// process is killed) waits this long; 30 minutes in production.
		UnknownRetryAfter: 3 * time.Second,
	}
}

func logger() *slog.Logger {
	if os.Getenv("NOTIFY_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startLive wires the service to db and smtpURL and starts the queue.
func startLive(t *testing.T, db *database.DB, smtpURL string, cfg notify.Config, jc jobs.Config) *live {
	t.Helper()
	l := &live{t: t, ctx: context.Background(), db: db, store: store.New(db)}
	s, err := config.ParseSMTPURL(smtpURL)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mail.NewSMTP(mail.Settings{SMTP: s, From: "ChargeWell <noreply@chargewell.example>", Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	lk := links.New(l.store, links.Config{PublicBaseURL: cfg.BaseURL, EmailTTL: 168 * time.Hour, InAppTTL: 15 * time.Minute})
	jc.Logger = logger()
	if jc.FetchCooldown == 0 {
		jc.FetchCooldown, jc.FetchPoll = 20*time.Millisecond, 50*time.Millisecond
	}
	if l.queue, err = jobs.New(db, jc); err != nil {
		t.Fatal(err)
	}
	l.svc = notify.New(cfg, l.store, lk, sender, l.queue, nil, logger())
	l.machine = lifecycle.New(l.store, l.svc)
	workers := river.NewWorkers()
	l.svc.Register(workers)
	if err := l.queue.Work(workers, l.svc.Periodic()); err != nil {
		t.Fatal(err)
	}
	if err := l.queue.Start(l.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = l.queue.Stop(ctx)
	})
	return l
}

// brokenOwner creates an owner whose one car is broken now.
func brokenOwner(t *testing.T, s *store.Store, m *lifecycle.Machine, hostID, email string) model.Owner {
	t.Helper()
	ctx := context.Background()
	o, err := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: hostID, Email: email, Name: hostID, Locale: "en", TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-" + hostID, OwnerID: &o.ID, Make: "TESLA", Model: "Model Y", Year: 2022})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", Source: "webhook"}); err != nil {
		t.Fatal(err)
	}
	return o
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// perRecipient counts deliveries by envelope recipient.
func perRecipient(in *devsmtp.Inbox) map[string]int {
	n := map[string]int{}
	for _, m := range in.Messages() {
		for _, to := range m.To {
			n[to]++
		}
	}
	return n
}

// While the SMTP server is down the emails wait; when it is back each owner
// gets exactly one.
func TestSMTPDownDelaysMailAndLosesNone(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		srv, err := devsmtp.Start(devsmtp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		addr, inbox, url := srv.Addr(), srv.Inbox, srv.URL()
		srv.Close() // down before anything is sent

		l := startLive(t, dbtest.Open(t, dialect), url, liveConfig(), jobs.Config{})
		var owners []model.Owner
		for _, h := range []string{"ann", "ben", "cem"} {
			owners = append(owners, brokenOwner(t, l.store, l.machine, h, h+"@example.com"))
		}
		// Every owner's email must have failed (twice) before the server
		// comes back; waiting on the first owner's alone let a slower
		// schedule try the last one only once the server was up again.
		waitFor(t, 20*time.Second, "failed attempts", func() bool {
			for _, o := range owners {
				es, _ := l.store.EmailsByOwner(l.ctx, o.ID, store.Page{})
				if len(es) != 1 || es[0].Attempts < 2 || es[0].Status != store.EmailPending {
					return false
				}
			}
			return true
		})
		srv, err = devsmtp.Start(devsmtp.Options{Addr: addr, Inbox: inbox})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		waitFor(t, 20*time.Second, "every owner's email", func() bool { return len(perRecipient(inbox)) == len(owners) })
		time.Sleep(time.Second) // room for a duplicate to show up
		for to, n := range perRecipient(inbox) {
			if n != 1 {
				t.Errorf("%s got %d emails", to, n)
			}
		}
		for _, o := range owners {
			es, _ := l.store.EmailsByOwner(l.ctx, o.ID, store.Page{})
			if len(es) != 1 || es[0].Status != store.EmailSent || es[0].Attempts < 2 {
				t.Errorf("%s's email log: %+v", o.HostUserID, es)
			}
		}
	})
}

// A 5xx is recorded on the timeline, and the job is not retried.
func TestPermanentFailureIsRecordedAndNotRetried(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		var mu sync.Mutex
		tries := map[string]int{}
		srv, err := devsmtp.Start(devsmtp.Options{Check: func(_ string, to []string, _ []byte) error {
			mu.Lock()
			defer mu.Unlock()
			tries[to[0]]++
			if strings.HasPrefix(to[0], "gone@") {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox does not exist"}
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		l := startLive(t, dbtest.Open(t, dialect), srv.URL(), liveConfig(), jobs.Config{})
		gone := brokenOwner(t, l.store, l.machine, "gone", "gone@example.com")
		brokenOwner(t, l.store, l.machine, "here", "here@example.com")
		waitFor(t, 10*time.Second, "the good address's email", func() bool { return len(srv.Inbox.To("here@example.com")) == 1 })
		waitFor(t, 10*time.Second, "the refusal on the timeline", func() bool {
			evs, _ := l.store.OwnerTimeline(l.ctx, gone.ID, store.Page{})
			return len(evs) > 0 && evs[0].Kind == model.EventEmailFailed
		})
		time.Sleep(time.Second) // retries would have happened by now
		mu.Lock()
		n := tries["gone@example.com"]
		mu.Unlock()
		if n != 1 {
			t.Fatalf("the refused address was tried %d times", n)
		}
		es, _ := l.store.EmailsByOwner(l.ctx, gone.ID, store.Page{})
		if len(es) != 1 || es[0].Status != store.EmailFailed || es[0].ErrorCode != 550 {
			t.Fatalf("email log: %+v", es)
		}
		if s, _ := l.store.NotificationOf(l.ctx, gone.ID); s.DueAt != nil {
			t.Fatalf("reminders still planned: %+v", s)
		}
	})
}

// crashAfterAccept delivers a message and then "dies" before the outcome
// is recorded: the server has it, our database does not know.
type crashAfterAccept struct {
	mail.Sender
	cancel context.CancelFunc
	once   sync.Once
}

func (c *crashAfterAccept) Send(ctx context.Context, m mail.Message) error {
	err := c.Sender.Send(ctx, m)
	crashed := false
	c.once.Do(func() { c.cancel(); crashed = true })
	if crashed {
		return errors.Join(err, context.Canceled)
	}
	return err
}

// The one window for a duplicate, documented: a crash between the SMTP
// server's acceptance and our commit leaves the email "sending". The restarted
// job does not send it again before EMAIL_UNKNOWN_RETRY_AFTER; after that it
// sends it again with the same Message-ID, and the log holds one email.
func TestCrashBetweenAcceptanceAndCommitWaitsThenResendsTheSameMessage(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		srv, err := devsmtp.Start(devsmtp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		h := newHarness(t, dialect, func(c *notify.Config) { c.Quiet.Off = true })
		s, _ := config.ParseSMTPURL(srv.URL())
		real, _ := mail.NewSMTP(mail.Settings{SMTP: s, From: "noreply@chargewell.example"})
		ctx, cancel := context.WithCancel(context.Background())
		svc := notify.New(h.cfg, h.store, h.links, &crashAfterAccept{Sender: real, cancel: cancel}, nil, nil, logger())
		h.machine.AddHook(svc)
		o, cars := h.owner("alice", "alice@example.com", "en", "UTC", tesla)
		h.breakAuth(cars[0])
		h.clock.Advance(h.cfg.Debounce)
		if _, err := svc.Deliver(ctx, o.ID, false); err == nil {
			t.Fatal("the simulated crash did not surface")
		}
		es, _ := h.store.EmailsByOwner(h.ctx, o.ID, store.Page{})
		if len(es) != 1 || es[0].Status != store.EmailSending {
			t.Fatalf("after the crash the log says %+v", es)
		}
		// The restarted job, at once and just before the window ends.
		for _, after := range []time.Duration{0, 30*time.Minute - time.Second} {
			h.clock.Set(*es[0].AttemptedAt)
			h.clock.Advance(after)
			res, err := svc.Deliver(h.ctx, o.ID, false)
			if err != nil || res.Sent || !res.Unknown || res.Wait != 30*time.Minute-after {
				t.Fatalf("retry %s after the unknown attempt: %+v %v", after, res, err)
			}
		}
		if got := srv.Inbox.To("alice@example.com"); len(got) != 1 {
			t.Fatalf("%d deliveries inside the window, want 1", len(got))
		}
		h.clock.Advance(time.Second)
		if res, err := svc.Deliver(h.ctx, o.ID, false); err != nil || !res.Sent {
			t.Fatalf("retry after the window: %+v %v", res, err)
		}
		if res, _ := svc.Deliver(h.ctx, o.ID, false); res.Sent {
			t.Fatal("a third send")
		}
		got := srv.Inbox.To("alice@example.com")
		if len(got) != 2 || got[0].MessageID != got[1].MessageID || got[0].MessageID != es[0].MessageID {
			t.Fatalf("deliveries: %d, message ids %q", len(got), []string{got[0].MessageID, got[len(got)-1].MessageID})
		}
		es, _ = h.store.EmailsByOwner(h.ctx, o.ID, store.Page{})
		if len(es) != 1 || es[0].Status != store.EmailSent || es[0].Attempts != 2 {
			t.Fatalf("log: %+v", es)
		}
	})
}

// A server that answers the end of the message only after the send timeout
// may have accepted it: the email is not sent again inside the window, and
// the owner gets one copy however often the job runs.
func TestSlowServerAnswerIsNotRetriedInsideTheWindow(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		release := make(chan struct{})
		srv, err := devsmtp.Start(devsmtp.Options{Check: func(string, []string, []byte) error {
			<-release // answers (250) only after the client gave up
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		h := newHarness(t, dialect, func(c *notify.Config) {
			c.Quiet.Off = true
			c.SendTimeout = 300 * time.Millisecond
		})
		s, _ := config.ParseSMTPURL(srv.URL())
		real, _ := mail.NewSMTP(mail.Settings{SMTP: s, From: "noreply@chargewell.example"})
		svc := notify.New(h.cfg, h.store, h.links, real, nil, nil, logger())
		h.machine.AddHook(svc)
		o, cars := h.owner("alice", "alice@example.com", "en", "UTC", tesla)
		h.breakAuth(cars[0])
		h.clock.Advance(h.cfg.Debounce)
		res, err := svc.Deliver(h.ctx, o.ID, false)
		close(release)
		if err != nil || res.Sent || !res.Unknown || res.Wait != 30*time.Minute {
			t.Fatalf("first attempt: %+v %v", res, err)
		}
		for range 3 { // retries by the queue inside the window
			h.clock.Advance(5 * time.Minute)
			if res, err := svc.Deliver(h.ctx, o.ID, false); err != nil || res.Sent || !res.Unknown {
				t.Fatalf("retry inside the window: %+v %v", res, err)
			}
		}
		waitFor(t, 5*time.Second, "the late acceptance", func() bool { return len(srv.Inbox.To("alice@example.com")) == 1 })
		es, _ := h.store.EmailsByOwner(h.ctx, o.ID, store.Page{})
		if len(es) != 1 || es[0].Status != store.EmailSending || es[0].Attempts != 1 {
			t.Fatalf("log inside the window: %+v", es)
		}
	})
}

// A car fixed while its email is being handed to the SMTP server ends the
// episode, but the email went out: when the car breaks again soon after,
// the next email waits for the minimum interval like any other. (It used to
// go at once: the email counted for nothing once its episode had ended.)
func TestEmailSentWhileTheCarWasFixedCountsForTheMinimumInterval(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, func(c *notify.Config) { c.Quiet.Off = true })
		o, cars := h.owner("alice", "alice@example.com", "en", "UTC", tesla)
		fixed := false
		h.mail.Fail = func(mail.Message) error {
			if !fixed { // Smartcar's RESOLVED arrives during the conversation
				fixed = true
				h.fix(cars[0], model.SourceWebhook)
			}
			return nil
		}
		h.breakAuth(cars[0])
		h.clock.Advance(h.cfg.Debounce)
		sentAt := h.clock.Now()
		if res := h.tick(o); !res.Sent {
			t.Fatalf("first email: %+v", res)
		}
		h.clock.Advance(time.Hour)
		h.breakAuth(cars[0])
		h.clock.Advance(h.cfg.Debounce)
		h.tick(o)
		if n := len(h.mail.To("alice@example.com")); n != 1 {
			t.Fatalf("%d emails within the minimum interval, want 1", n)
		}
		if due := h.due(o); due.Before(sentAt.Add(h.cfg.MinInterval)) {
			t.Fatalf("next email due %v, want no sooner than %v", due, sentAt.Add(h.cfg.MinInterval))
		}
	})
}
