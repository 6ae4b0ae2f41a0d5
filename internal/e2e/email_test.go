package e2e

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reconnect/internal/app"
	bt "reconnect/internal/browsertest"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// mailWorld is the demo world whose mail goes over SMTP to an in-process
// server, as `reconnect demo` runs it, with /dev/inbox on.
type mailWorld struct {
	*world
	smtp *devsmtp.Server
}

func startMailWorld(t *testing.T, dialect string) *mailWorld {
	t.Helper()
	srv, err := devsmtp.Start(devsmtp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w := startWorld(t, dialect, map[string]string{
		"SMTP_URL": srv.URL(), "MAIL_FROM": "ChargeWell <noreply@chargewell.example>", "MAIL_REPLY_TO": "help@chargewell.example",
		"EMAIL_DEBOUNCE": "1s", "EMAIL_QUIET_HOURS": "off",
	}, app.WithDevInbox(srv.Inbox))
	return &mailWorld{world: w, smtp: srv}
}

// mailTo waits for the first email to addr.
func (w *mailWorld) mailTo(t *testing.T, addr string) devsmtp.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := w.smtp.Inbox.Wait(ctx, func(ms []devsmtp.Message) bool {
		return slices.ContainsFunc(ms, func(m devsmtp.Message) bool { return slices.Contains(m.To, addr) })
	})
	if err != nil {
		t.Fatalf("no email to %s: %v (inbox has %d)", addr, err, len(msgs))
	}
	return w.smtp.Inbox.To(addr)[0]
}

var (
	hrefRE  = regexp.MustCompile(`href="([^"]+/l/[^"]+)"`)
	unsubRE = regexp.MustCompile(`<(http[^>]+/unsubscribe/[A-Za-z0-9_-]+)>`)
)

// The digest arrives over SMTP exactly as the owner should see it, and its
// button, followed in a browser, ends with the car reconnected.
func TestEmailLinkToReconnectedCar(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startMailWorld(t, dialect)
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		m := w.mailTo(t, "alice@example.com")

		if !slices.Equal(m.To, []string{"alice@example.com"}) || m.From != "noreply@chargewell.example" {
			t.Fatalf("envelope %s → %v", m.From, m.To)
		}
		if m.Subject != "Action required: reconnect your Tesla to ChargeWell" {
			t.Errorf("subject %q", m.Subject)
		}
		if got := m.Header.Get("To"); got != `"Alice Martin" <alice@example.com>` {
			t.Errorf("To: %q", got)
		}
		if got := m.Header.Get("Reply-To"); got != "<help@chargewell.example>" {
			t.Errorf("Reply-To: %q", got)
		}
		if !slices.Equal(m.Parts, []string{"text/plain", "text/html"}) {
			t.Errorf("parts %v", m.Parts)
		}
		if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !unsubRE.MatchString(m.Header.Get("List-Unsubscribe")) {
			t.Errorf("unsubscribe headers: %q / %q", m.Header.Get("List-Unsubscribe"), m.Header.Get("List-Unsubscribe-Post"))
		}
		for _, want := range []string{"lost access to your Tesla account", "It takes about a minute.", "Your data and preferences in ChargeWell are kept"} {
			if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
				t.Errorf("both parts should say %q", want)
			}
		}
		hrefs := hrefRE.FindAllStringSubmatch(m.HTML, -1)
		if len(hrefs) == 0 || !strings.HasPrefix(hrefs[0][1], w.appURL+"/l/") || !strings.Contains(m.Text, hrefs[0][1]) {
			t.Fatalf("button link %v not in the text part:\n%s", hrefs, m.Text)
		}
		link := hrefs[0][1]
		// Bob reads German; Carol's cars are fine and she gets nothing.
		if bob := w.mailTo(t, "bob@example.com"); bob.Subject != "Wichtig: Verbinden Sie Ihren BMW wieder mit ChargeWell" {
			t.Errorf("Bob's subject %q", bob.Subject)
		}

		ctx := bt.New(t, 90*time.Second)
		do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(bt.TestID("continue")))
		do(t, ctx, chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(bt.TestID("reconnect-"+tesla.SmartcarID)))
		do(t, ctx,
			chromedp.Click(bt.TestID("reconnect-"+tesla.SmartcarID)),
			chromedp.WaitVisible(bt.TestID("sim-login")),
			chromedp.SendKeys(bt.TestID("sim-email"), "alice@example.com"),
			chromedp.SendKeys(bt.TestID("sim-password"), "any-password"),
			chromedp.Click(bt.TestID("sim-login")),
			chromedp.WaitVisible(bt.TestID("sim-approve")),
			chromedp.Click(bt.TestID("sim-approve")),
			chromedp.WaitVisible(bt.TestID("reconnect-success")),
		)
		if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateConnected {
			t.Fatalf("after the repair the Tesla is %s", v.State)
		}
		// The open and the email are on the car's timeline, and the open
		// names the email it came from.
		evs, err := w.app.Store.EventsByVehicle(context.Background(), tesla.ID, store.Page{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var sent, opened bool
		for _, e := range evs {
			sent = sent || (e.Kind == model.EventEmailSent && strings.Contains(e.Detail, m.MessageID))
			opened = opened || (e.Kind == model.EventLinkOpened && strings.Contains(e.Detail, `"source_ref":"`+m.MessageID+`"`))
		}
		if !sent || !opened {
			t.Fatalf("timeline: email_sent=%v link_opened from this email=%v", sent, opened)
		}
		// The same email's link now says the car is already reconnected.
		do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(bt.TestID("already-fixed")))
		// Fixed: Alice's schedule is closed, so no reminder will come.
		if n, err := w.app.Store.NotificationOf(context.Background(), aliceOf(t, w).ID); err != nil || n.Active || n.DueAt != nil {
			t.Fatalf("schedule after the fix: %+v %v", n, err)
		}
		if len(w.smtp.Inbox.To("carol@example.com")) != 0 {
			t.Error("Carol, whose cars are fine, got an email")
		}
	})
}

func aliceOf(t *testing.T, w *mailWorld) model.Owner { return w.owner(t, "demo-alice").Owner }

// Mail providers unsubscribe with a bare POST (RFC 8058): no cookie, no
// CSRF token. It works, and repeating it changes nothing.
func TestOneClickUnsubscribe(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startMailWorld(t, dialect)
		m := w.mailTo(t, "alice@example.com")
		target := unsubRE.FindStringSubmatch(m.Header.Get("List-Unsubscribe"))[1]
		post := func() int {
			req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if got := post(); got != http.StatusOK {
			t.Fatalf("one-click POST: %d", got)
		}
		if got := post(); got != http.StatusOK {
			t.Fatalf("repeated one-click POST: %d", got)
		}
		o, err := w.app.Store.OwnerByID(context.Background(), aliceOf(t, w).ID)
		if err != nil || o.UnsubscribedAt == nil {
			t.Fatalf("owner after unsubscribing: %+v %v", o, err)
		}
		evs, _ := w.app.Store.EventsByOwner(context.Background(), o.ID, store.Page{Limit: 500})
		n := 0
		for _, e := range evs {
			if e.Kind == model.EventUnsubscribed {
				n++
				if !strings.Contains(e.Detail, "one-click") {
					t.Errorf("unsubscribe event %q", e.Detail)
				}
			}
		}
		if n != 1 {
			t.Fatalf("%d unsubscribe events", n)
		}
		res, err := http.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `data-testid="unsubscribed"`) {
			t.Fatalf("page after unsubscribing: %d", res.StatusCode)
		}
		bogus := w.appURL + "/unsubscribe/" + strings.Repeat("x", 43)
		res, err = http.PostForm(bogus, url.Values{"List-Unsubscribe": {"One-Click"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown token: %d", res.StatusCode)
		}
	})
}

// The demo's inbox shows what was sent; the rendered email's button leads
// to the owner's landing page, and the unsubscribe page works by hand.
func TestDevInboxAndUnsubscribePage(t *testing.T) {
	w := startMailWorld(t, "sqlite")
	bob := w.mailTo(t, "bob@example.com")
	ctx := bt.New(t, 90*time.Second)
	do(t, ctx, chromedp.Navigate(w.appURL+"/dev/inbox"), chromedp.WaitVisible(bt.TestID("inbox")))
	bt.NoAxeViolations(t, ctx, "dev inbox")
	do(t, ctx, chromedp.Click(bt.TestID("inbox-message-"+strconv.Itoa(bob.ID))), chromedp.WaitVisible(bt.TestID("message-subject")))
	subject, _ := bt.Text(ctx, `[data-testid="message-subject"]`)
	if subject != bob.Subject {
		t.Fatalf("message page shows %q", subject)
	}
	bt.NoAxeViolations(t, ctx, "dev inbox message")
	// The email itself, outside the inbox's script-free sandbox.
	do(t, ctx, chromedp.Navigate("data:text/html;base64,"+base64.StdEncoding.EncodeToString([]byte(bob.HTML))), chromedp.WaitVisible(chromedp.CSS("h1")))
	bt.NoAxeViolations(t, ctx, "HTML email")
	do(t, ctx, chromedp.Navigate(w.appURL+"/dev/inbox/"+strconv.Itoa(bob.ID)), chromedp.WaitVisible(bt.TestID("open-html")))
	do(t, ctx, chromedp.Click(bt.TestID("open-html")), chromedp.WaitVisible(chromedp.CSS(`a[href*="/l/"]`)))
	do(t, ctx, chromedp.Click(chromedp.CSS(`a[href*="/l/"]`)), chromedp.WaitVisible(bt.TestID("continue")))
	if loc, _ := bt.Location(ctx); !strings.HasPrefix(loc, w.appURL+"/l/") {
		t.Fatalf("the email's button led to %s", loc)
	}

	page := unsubRE.FindStringSubmatch(bob.Header.Get("List-Unsubscribe"))[1]
	do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(bt.TestID("unsubscribe")))
	bt.NoAxeViolations(t, ctx, "unsubscribe page")
	do(t, ctx, chromedp.Click(bt.TestID("unsubscribe")), chromedp.WaitVisible(bt.TestID("unsubscribed")))
	heading, _ := bt.Text(ctx, `[data-testid="unsubscribed"]`)
	if heading != "Sie haben die E-Mails abbestellt" {
		t.Fatalf("confirmation %q (Bob reads German)", heading)
	}
	bt.NoAxeViolations(t, ctx, "unsubscribed page")
	o, _ := w.app.Store.OwnerByID(context.Background(), w.owner(t, "demo-bob").Owner.ID)
	if o.UnsubscribedAt == nil {
		t.Fatal("Bob is still subscribed")
	}
}

// Outside the demo there is no inbox page.
func TestDevInboxOnlyInDemo(t *testing.T) {
	_, base := startApp(t, "sqlite", nil)
	res, err := http.Get(base + "/dev/inbox")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("/dev/inbox without the demo: %d", res.StatusCode)
	}
}

// "Email me a new link" on the expired-link page sends real mail, in the
// owner's language, with a link that works.
func TestExpiredLinkPageEmailsAFreshLink(t *testing.T) {
	w := startMailWorld(t, "sqlite")
	b := newBrowser(t, w.appURL)
	tok := b.csrf("/l/" + strings.Repeat("x", 43))
	if res, body := b.post("/links/resend", url.Values{"_csrf": {tok}, "email": {"carol@example.com"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("resend: %d %s", res.StatusCode, body)
	}
	m := w.mailTo(t, "carol@example.com")
	if m.Subject != "Votre nouveau lien vers ChargeWell" {
		t.Fatalf("subject %q", m.Subject)
	}
	link := hrefRE.FindStringSubmatch(m.HTML)
	if link == nil {
		t.Fatalf("no link in:\n%s", m.Text)
	}
	b.open(link[1])
	if res, body := b.get("/me"); res.StatusCode != http.StatusOK || !strings.Contains(body, "Carol") {
		t.Fatalf("the fresh link did not open Carol's page: %d", res.StatusCode)
	}
}
