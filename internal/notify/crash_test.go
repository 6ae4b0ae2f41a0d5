package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/mail"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

// The sender process of the crash test: this test binary, run again with
// NOTIFY_CRASH_CHILD set, works the email jobs until it is killed.
func TestCrashHelperProcess(t *testing.T) {
	if os.Getenv("NOTIFY_CRASH_CHILD") != "1" {
		t.Skip("the crash test's sender process")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	db, err := database.Open(ctx, os.Getenv("NOTIFY_CRASH_DB"), logger())
	if err != nil {
		t.Fatal(err)
	}
	// One worker: the batch goes out one email after another. Short
	// timeouts so a job the killed process left "running" is rescued soon.
	startLive(t, db, os.Getenv("NOTIFY_CRASH_SMTP"), liveConfig(), jobs.Config{
		MaxWorkers: 1, JobTimeout: 4 * time.Second, RescueAfter: 5 * time.Second,
	})
	<-ctx.Done()
}

// Kill the sender while a batch of emails is being sent, start it again:
// every owner gets exactly one email.
func TestKilledMidBatchEveryOwnerGetsExactlyOneEmail(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a process")
	}
	eachDialect(t, func(t *testing.T, dialect string) {
		const owners, deliveredBeforeKill = 8, 3
		url := dbtest.URL(t, dialect)
		ctx := context.Background()
		if err := database.Migrate(ctx, url, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}

		// The SMTP server accepts three emails, then holds the fourth
		// until the sender is dead, and refuses it (as any server does with
		// a transaction whose client went away before the reply).
		var mu sync.Mutex
		accepted, killed := 0, false
		inFlight := make(chan struct{})
		release := make(chan struct{})
		srv, err := devsmtp.Start(devsmtp.Options{Check: func(string, []string, []byte) error {
			mu.Lock()
			if killed || accepted < deliveredBeforeKill {
				accepted++
				mu.Unlock()
				return nil
			}
			killed = true
			mu.Unlock()
			close(inFlight)
			<-release
			return errors.New("client went away")
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()

		// Eight owners, each with a broken car and an email due now.
		db, err := database.Open(ctx, url, logger())
		if err != nil {
			t.Fatal(err)
		}
		s := store.New(db)
		cfg := liveConfig()
		svc := notify.New(cfg, s, nil, &mail.Recorder{}, nil, nil, logger()) // a sender, so the hook schedules; the child process sends
		m := lifecycle.New(s, svc)
		var all []model.Owner
		for i := range owners {
			all = append(all, brokenOwner(t, s, m, fmt.Sprintf("o%d", i), fmt.Sprintf("o%d@example.com", i)))
		}
		db.Close()

		first, out1 := startChild(t, url, srv.URL())
		select {
		case <-inFlight:
		case <-time.After(30 * time.Second):
			first.Process.Kill()
			t.Fatalf("the batch never reached the fourth email:\n%s", out1)
		}
		if err := first.Process.Kill(); err != nil { // SIGKILL: no cleanup at all
			t.Fatal(err)
		}
		_ = first.Wait()
		close(release)
		if n := len(srv.Inbox.Messages()); n != deliveredBeforeKill {
			t.Fatalf("%d emails before the kill, want %d", n, deliveredBeforeKill)
		}

		second, out2 := startChild(t, url, srv.URL())
		defer func() {
			second.Process.Signal(syscall.SIGTERM)
			second.Wait()
		}()
		deadline := time.Now().Add(90 * time.Second)
		for len(perRecipient(srv.Inbox)) < owners {
			if time.Now().After(deadline) {
				t.Fatalf("after the restart %d of %d owners got their email:\n%s", len(perRecipient(srv.Inbox)), owners, out2)
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(2 * time.Second) // room for a duplicate to show up
		for to, n := range perRecipient(srv.Inbox) {
			if n != 1 {
				t.Errorf("%s got %d emails", to, n)
			}
		}
		db, err = database.Open(ctx, url, logger())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		s = store.New(db)
		retried := 0
		for _, o := range all {
			es, _ := s.EmailsByOwner(ctx, o.ID, store.Page{})
			n, _ := s.NotificationOf(ctx, o.ID)
			if len(es) != 1 || es[0].Status != store.EmailSent || n.SentCount != 1 {
				t.Errorf("%s: log %+v, schedule %+v", o.HostUserID, es, n)
				continue
			}
			if es[0].Attempts > 1 {
				retried++
			}
		}
		// The email in flight at the kill was left "sending" and attempted
		// again after the restart, once EMAIL_UNKNOWN_RETRY_AFTER had passed
		// since its attempt; it is still one email.
		if retried != 1 {
			t.Errorf("%d emails needed a second attempt, want the one in flight", retried)
		}
	})
}

// startChild runs the sender process and collects its output.
func startChild(t *testing.T, dbURL, smtpURL string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), "NOTIFY_CRASH_CHILD=1", "NOTIFY_CRASH_DB="+dbURL, "NOTIFY_CRASH_SMTP="+smtpURL, "NOTIFY_TEST_LOG=1")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
