package notify_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"reconnect/internal/mail"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/emails")

var (
	tokenRE    = regexp.MustCompile(`/(l|unsubscribe)/[A-Za-z0-9_-]{43}`)
	blockEndRE = regexp.MustCompile(`(</(?:p|h1|h2|tr|table|head|title|div)>|<br>|<body[^>]*>)`)
)

// golden renders the message as it goes over the wire, reads it back as a
// mail client would, and writes what the owner sees: the headers that do not
// change from run to run and both parts, with link tokens masked.
func golden(t *testing.T, m mail.Message) string {
	t.Helper()
	msg, err := mail.Build(m, `"ChargeWell" <noreply@chargewell.example>`, "help@chargewell.example")
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		t.Fatal(err)
	}
	p, err := devsmtp.Parse(raw.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, h := range []string{"From", "To", "Reply-To", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted", "Mime-Version"} {
		v := p.Header.Get(h)
		if h == "Subject" {
			v = p.Subject
		}
		fmt.Fprintf(&b, "%s: %s\n", h, v)
	}
	fmt.Fprintf(&b, "Parts: %s\n", strings.Join(p.Parts, ", "))
	b.WriteString("\n===== text/plain =====\n")
	b.WriteString(p.Text)
	b.WriteString("\n===== text/html =====\n")
	b.WriteString(blockEndRE.ReplaceAllString(p.HTML, "$1\n"))
	return tokenRE.ReplaceAllString(b.String(), "/$1/TOKEN")
}

func TestGoldenEmails(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "emails")
	for _, lang := range []string{"en", "de"} {
		h := newHarness(t, "sqlite", nil)
		one, oneCars := h.owner("alice", "alice@example.com", lang, "Europe/London", tesla)
		many, manyCars := h.owner("bob", "bob@example.com", lang, "Europe/London", tesla, bmw)
		for _, o := range []*model.Owner{&one, &many} {
			name := map[string]string{"alice": "Alice Martin", "bob": "Bob Schneider"}[o.HostUserID]
			if _, err := h.store.UpsertOwner(h.ctx, store.OwnerInput{HostUserID: o.HostUserID, Email: o.Email, Name: name, Locale: lang, TimeZone: o.TimeZone}); err != nil {
				t.Fatal(err)
			}
		}
		h.breakAuth(oneCars[0])
		h.breakAuth(manyCars[0])
		h.move(manyCars[1], model.StateNeedsOEMAction, "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION", "webhook")
		h.runUntil(one, t0.Add(15*time.Minute))
		h.runUntil(many, t0.Add(15*time.Minute))
		h.runUntil(one, t0.Add(15*time.Minute+48*time.Hour))
		err := h.store.Tx(h.ctx, func(tx *store.Store) error { return h.svc.SendFreshLink(h.ctx, tx, one, nil, "resend") })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.DeliverEmail(h.ctx, h.queue.args[len(h.queue.args)-1].(notify.EmailArgs).EmailID, false); err != nil {
			t.Fatal(err)
		}
		ones, manys := h.mail.To(one.Email), h.mail.To(many.Email)
		if len(ones) != 3 || len(manys) != 1 {
			t.Fatalf("%s: %d and %d emails", lang, len(ones), len(manys))
		}
		for name, m := range map[string]mail.Message{
			"digest_one": ones[0], "reminder_one": ones[1], "fresh_link": ones[2], "digest_many": manys[0],
		} {
			path := filepath.Join(dir, name+"_"+lang+".golden")
			got := golden(t, m)
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/notify -run TestGoldenEmails -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file (rerun with -update if the change is intended):\n%s", path, diff(string(want), got))
			}
		}
	}
}

// diff shows the first differing line with a little context.
func diff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, w, g)
		}
	}
	return ""
}
