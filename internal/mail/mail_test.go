package mail_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"reconnect/internal/config"
	"reconnect/internal/mail"
	"reconnect/internal/mail/devsmtp"
)

func sender(t *testing.T, srv *devsmtp.Server, mod func(*mail.Settings)) *mail.SMTP {
	t.Helper()
	s, err := config.ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	st := mail.Settings{SMTP: s, From: "ChargeWell <noreply@chargewell.example>", ReplyTo: "help@chargewell.example", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&st)
	}
	snd, err := mail.NewSMTP(st)
	if err != nil {
		t.Fatal(err)
	}
	return snd
}

func message() mail.Message {
	return mail.Message{
		To: "alice@example.com", ToName: "Alice Martin",
		Subject:   "Action required: reconnect your Tesla to ChargeWell",
		Text:      "Hello Alice,\n\nPress the link: https://reconnect.example/l/abc\n",
		HTML:      `<!DOCTYPE html><html lang="en"><body><p>Hello Alice,</p><a href="https://reconnect.example/l/abc">Reconnect your Tesla</a></body></html>`,
		MessageID: "em.1234@reconnect.example",
		Date:      time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC),
		// The one-click endpoint.
		Unsubscribe: "https://reconnect.example/unsubscribe/tok",
	}
}

// A message arrives over real SMTP exactly as composed: envelope, headers
// and both alternatives.
func TestSendDeliversBothPartsAndHeaders(t *testing.T) {
	srv, err := devsmtp.Start(devsmtp.Options{Username: "app", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := sender(t, srv, nil).Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	got := srv.Inbox.Messages()
	if len(got) != 1 {
		t.Fatalf("inbox has %d messages, want 1", len(got))
	}
	m := got[0]
	if m.From != "noreply@chargewell.example" || !slices.Equal(m.To, []string{"alice@example.com"}) {
		t.Fatalf("envelope from %q to %v", m.From, m.To)
	}
	h := m.Header
	checks := map[string]string{
		"From":                  `"ChargeWell" <noreply@chargewell.example>`,
		"To":                    `"Alice Martin" <alice@example.com>`,
		"Reply-To":              "<help@chargewell.example>",
		"Message-Id":            "<em.1234@reconnect.example>",
		"Date":                  "Mon, 02 Nov 2026 09:30:00 +0000",
		"List-Unsubscribe":      "<https://reconnect.example/unsubscribe/tok>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Auto-Submitted":        "auto-generated",
		"Mime-Version":          "1.0",
	}
	for k, want := range checks {
		if got := h.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if m.Subject != "Action required: reconnect your Tesla to ChargeWell" {
		t.Errorf("subject %q", m.Subject)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative;") {
		t.Errorf("content type %q", h.Get("Content-Type"))
	}
	if !slices.Equal(m.Parts, []string{"text/plain", "text/html"}) {
		t.Errorf("parts %v, want text then html", m.Parts)
	}
	if m.Text != message().Text || m.HTML != message().HTML {
		t.Errorf("bodies changed on the way:\n%q\n%q", m.Text, m.HTML)
	}
}

// Non-ASCII subjects and names survive encoding.
func TestSendEncodesUnicode(t *testing.T) {
	srv, err := devsmtp.Start(devsmtp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	m := message()
	m.ToName, m.Subject = "Jürgen Müller", "Aktion erforderlich: Tesla wieder mit ChargeWell verbinden – jetzt"
	m.Text = "Grüße\n"
	if err := sender(t, srv, nil).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Inbox.Messages()[0]
	if got.Subject != m.Subject || got.Text != m.Text {
		t.Fatalf("subject %q text %q", got.Subject, got.Text)
	}
}

func TestTLSPolicies(t *testing.T) {
	serverTLS, clientTLS, err := devsmtp.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := devsmtp.Start(devsmtp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	secure, err := devsmtp.Start(devsmtp.Options{TLSConfig: serverTLS, Username: "app", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer secure.Close()

	t.Run("mandatory TLS refuses a server without STARTTLS", func(t *testing.T) {
		snd := sender(t, plain, func(s *mail.Settings) { s.SMTP.TLS = config.TLSMandatory })
		err := snd.Send(context.Background(), message())
		if err == nil || mail.IsPermanent(err) {
			t.Fatalf("want a temporary error, got %v", err)
		}
		if n := len(plain.Inbox.Messages()); n != 0 {
			t.Fatalf("%d messages went out in plain text", n)
		}
	})
	t.Run("mandatory TLS with STARTTLS and AUTH delivers", func(t *testing.T) {
		snd := sender(t, secure, func(s *mail.Settings) { s.SMTP.TLS, s.TLSConfig = config.TLSMandatory, clientTLS })
		if err := snd.Send(context.Background(), message()); err != nil {
			t.Fatal(err)
		}
		if n := len(secure.Inbox.Messages()); n != 1 {
			t.Fatalf("%d messages", n)
		}
	})
	t.Run("an untrusted certificate is refused", func(t *testing.T) {
		snd := sender(t, secure, func(s *mail.Settings) { s.SMTP.TLS = config.TLSMandatory })
		if err := snd.Send(context.Background(), message()); err == nil {
			t.Fatal("sent to a server whose certificate nobody trusts")
		}
	})
}

func TestParseSMTPURL(t *testing.T) {
	cases := []struct {
		raw  string
		want config.SMTP
		bad  bool
	}{
		{raw: "smtp://user:p%40ss@mail.example.com", want: config.SMTP{Host: "mail.example.com", Port: 587, Username: "user", Password: "p@ss", TLS: "mandatory"}},
		{raw: "smtp://mail.example.com:2525?tls=starttls", want: config.SMTP{Host: "mail.example.com", Port: 2525, TLS: "starttls"}},
		{raw: "smtps://mail.example.com", want: config.SMTP{Host: "mail.example.com", Port: 465, TLS: "smtps"}},
		{raw: "smtp://127.0.0.1:1025?tls=none", want: config.SMTP{Host: "127.0.0.1", Port: 1025, TLS: "none"}},
		{raw: "smtp://localhost?tls=none", want: config.SMTP{Host: "localhost", Port: 25, TLS: "none"}},
		{raw: "smtp://127.0.0.1:2525", want: config.SMTP{Host: "127.0.0.1", Port: 2525, TLS: "none"}},
		{raw: "smtp://[::1]:2525?tls=mandatory", want: config.SMTP{Host: "::1", Port: 2525, TLS: "mandatory"}},
		{raw: "smtp://mail.example.com?tls=none", bad: true},
		{raw: "smtp://mail.example.com?tls=maybe", bad: true},
		{raw: "http://mail.example.com", bad: true},
		{raw: "smtp://mail.example.com:99999", bad: true},
	}
	for _, tc := range cases {
		got, err := config.ParseSMTPURL(tc.raw)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted", tc.raw)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v %v, want %+v", tc.raw, got, err, tc.want)
		}
	}
}

// A 5xx is permanent, a 4xx and a server that is down are not.
func TestErrorsSayWhetherToRetry(t *testing.T) {
	srv, err := devsmtp.Start(devsmtp.Options{Check: func(_ string, to []string, _ []byte) error {
		switch to[0] {
		case "nobody@example.com":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
		case "busy@example.com":
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	snd := sender(t, srv, nil)
	m := message()
	m.To = "nobody@example.com"
	err = snd.Send(context.Background(), m)
	if !mail.IsPermanent(err) || mail.Code(err) != 550 {
		t.Fatalf("550: permanent=%v code=%d err=%v", mail.IsPermanent(err), mail.Code(err), err)
	}
	m.To = "busy@example.com"
	err = snd.Send(context.Background(), m)
	if err == nil || mail.IsPermanent(err) || mail.Code(err) != 451 {
		t.Fatalf("451: permanent=%v code=%d err=%v", mail.IsPermanent(err), mail.Code(err), err)
	}
	addr := srv.Addr()
	srv.Close()
	err = snd.Send(context.Background(), message())
	var ne *net.OpError
	if err == nil || mail.IsPermanent(err) || mail.Code(err) != 0 || !errors.As(err, &ne) {
		t.Fatalf("server down at %s: permanent=%v code=%d err=%v", addr, mail.IsPermanent(err), mail.Code(err), err)
	}
}
