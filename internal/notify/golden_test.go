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

	"reconnect/internal/i18n"
	"reconnect/internal/mail"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
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

// branded is the host's brand as the golden emails show it: a logo by https
// URL, a colour on the buttons, and what owners keep receiving.
func branded(c *notify.Config) {
	c.LogoURL, c.BrandColor = "https://chargewell.example/logo.png", "#1b5e20"
	c.Benefits = map[string]string{"en": "charging updates", "de": "Lade-Updates", "fr": "les alertes de recharge", "es": "los avisos de carga"}
	c.OEMLinks = vehicletext.NewOEMLinks(nil)
}

// writeOrCompare checks an email against its golden file, or rewrites the
// file with -update.
func writeOrCompare(t *testing.T, path string, m mail.Message) {
	t.Helper()
	got := golden(t, m)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/notify -run TestGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended):\n%s", path, diff(string(want), got))
	}
}

func TestGoldenEmails(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "emails")
	for _, lang := range []string{"en", "de", "fr", "es"} {
		h := newHarness(t, "sqlite", branded)
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
			writeOrCompare(t, filepath.Join(dir, name+"_"+lang+".golden"), m)
			if named := vendorNamed(t, lang, m.Subject+"\n"+m.Text+"\n"+m.HTML); len(named) > 0 {
				t.Errorf("%s_%s names the vendor, not the host app: %q", name, lang, named)
			}
			if lang == "fr" {
				// The labels before each address are the code's, not the
				// catalogue's: they must follow French typography too.
				if bad := i18n.FrenchSpacingErrors(m.Subject + "\n" + m.Text); len(bad) > 0 {
					t.Errorf("%s_fr: no non-breaking space before %q", name, bad)
				}
			}
			if strings.Contains(strings.ToLower(m.Text), "button") || strings.Contains(m.Text, "Schaltfläche") ||
				strings.Contains(m.Text, "bouton") || strings.Contains(m.Text, "botón") {
				t.Errorf("%s_%s: the plain text speaks of a button it does not have:\n%s", name, lang, m.Text)
			}
		}
	}
}

// Every carmaker-side case, for a make with a page of its own (Tesla) and
// one without (BMW): the email links to the page, or says where to look,
// and tells the owner to come back by the button (HTML) or the link (plain
// text).
func TestGoldenOEMCases(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "emails")
	for _, lang := range []string{"en", "fr"} {
		h := newHarness(t, "sqlite", branded)
		var cars []car
		for range model.OEMCases {
			cars = append(cars, tesla, bmw)
		}
		o, vs := h.owner("dana", "dana@example.com", lang, "Europe/London", cars...)
		for i, c := range model.OEMCases {
			code := "CONNECTED_SERVICES_ACCOUNT:" + strings.ToUpper(string(c))
			h.move(vs[2*i], model.StateNeedsOEMAction, code, "webhook")
			h.move(vs[2*i+1], model.StateNeedsOEMAction, code, "webhook")
		}
		sent := h.runUntil(o, t0.Add(15*time.Minute))
		if len(sent) != 1 {
			t.Fatalf("%s: %d emails", lang, len(sent))
		}
		m := sent[0]
		for _, c := range model.OEMCases {
			link := vehicletext.NewOEMLinks(nil).URL("TESLA", c)
			if strings.Count(m.Text, link) == 0 || strings.Count(m.HTML, `href="`+link+`"`) == 0 {
				t.Errorf("%s: no %s link for the Tesla", lang, c)
			}
		}
		writeOrCompare(t, filepath.Join(dir, "oem_cases_"+lang+".golden"), m)
	}
}

// Without APP_BENEFIT the sentence is left out, not left half-empty.
func TestNoBenefitNoSentence(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	o, vs := h.owner("erin", "erin@example.com", "en", "Europe/London", tesla)
	h.breakAuth(vs[0])
	sent := h.runUntil(o, t0.Add(15*time.Minute))
	if len(sent) != 1 {
		t.Fatalf("%d emails", len(sent))
	}
	for _, part := range []string{sent[0].Text, sent[0].HTML} {
		if strings.Contains(part, "continue receiving") || strings.Contains(part, "{{") {
			t.Errorf("a benefit sentence without a benefit:\n%s", part)
		}
	}
	if !strings.Contains(sent[0].Text, "1. Open the link below.") || !strings.Contains(sent[0].HTML, "Press the button below.") {
		t.Errorf("the steps are missing or speak of a button in plain text:\n%s", sent[0].Text)
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

// buttonVerbs are the only messages that may say "Reconnect" to an owner:
// the verb on the buttons. Anywhere else the word is our product's name,
// which owners of the host app must not see.
var buttonVerbs = []string{"action.reconnect", "email.button_one", "email.button_car", "todo.then_reconnect"}

// vendorNamed returns what is left of "Reconnect" in an email once the
// button verbs are struck out.
func vendorNamed(t *testing.T, lang, s string) []string {
	t.Helper()
	for _, id := range buttonVerbs {
		re, err := i18n.Pattern(lang, id)
		if err != nil {
			t.Fatal(err)
		}
		s = re.ReplaceAllString(s, "")
	}
	return regexp.MustCompile(`.{0,30}\bReconnect\b.{0,30}`).FindAllString(s, -1)
}
