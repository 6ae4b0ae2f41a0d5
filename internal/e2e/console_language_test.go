package e2e

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/campaign"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/paths"
)

// prefersLanguage makes the browser ask for these languages, in order, as
// a browser set up in them does (Accept-Language and navigator.languages),
// keeping the ordinary user agent. The list is plain tags ("de-DE,de,en"):
// the browser adds the q-values itself.
func prefersLanguage(acceptLanguage string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride,
			emulation.SetUserAgentOverrideParams{UserAgent: bt.UserAgent, AcceptLanguage: acceptLanguage})
		return err
	})
}

// consolePage is one console page a loop visits: where, and what shows it
// has loaded.
type consolePage struct {
	name, path, ready string
}

// englishWords are words every console page used to say in English; none
// may be left on a page in another language. Data (emails, ids, stored
// details, language names) is taken out of the page before the check; see
// visibleWords.
var englishWords = regexp.MustCompile(`\b(the|and|with|your|of|to|Sign|Search|Dashboard|Owner|Owners|Vehicle|Vehicles|Campaigns?|Staff|Audit|Reason|State|Source|When|None|No|Nothing|Older|Download|Filter|Any|Back|Help|Received|Failed|Events?|Jobs|Email|Language|Since|Why|Action|Address|Role|Actions|Never|Add|Password|Retry|Created|Attempts|Last|Type|Progress|Make)\b`)

// visibleWords is the page's text a staff member reads as the console's
// own words: without data cells (ids, VINs, stored details),
// pre-formatted payloads and anything marked as being in another language.
const visibleWords = `(() => {
	const b = document.body.cloneNode(true);
	b.querySelectorAll('.detail, .mono, pre, code, [lang], [data-testid="console-who"], td, th[scope="row"], h1[data-testid="owner-heading"], dd, title, script').forEach(e => e.remove());
	return b.innerText;
})()`

// TestConsoleSpeaksTheStaffMembersLanguage: a staff member whose browser
// prefers German gets every console page in German, from the
// set-password page on; choosing French in the console's header stores
// the choice (audited) and the pages follow it; choosing "as my browser"
// goes back to German. Every console page passes axe in German and in
// English, and no German page is left with an English word of the
// console's own.
func TestConsoleSpeaksTheStaffMembersLanguage(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		w.vehicle(t, "demo-alice", "TESLA")
		alice := w.owner(t, "demo-alice")
		bg := context.Background()
		camp, err := w.app.Campaigns.Create(bg, campaign.Input{Name: "Tesla sign-in change", Make: "TESLA", Reason: model.ReasonNewSignIn,
			CutoverAt: w.app.Store.Now().Add(10 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		link := staffLink(t, w, "lena@support.example", store.RoleAdmin)
		ctx := bt.New(t, 300*time.Second)
		do(t, ctx, prefersLanguage("de-DE,de,en"))

		lang := func() string {
			t.Helper()
			l, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		heading := func() string {
			t.Helper()
			h, err := bt.Text(ctx, "h1")
			if err != nil {
				t.Fatal(err)
			}
			return h
		}

		// Before sign-in the browser decides: German.
		do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(bt.TestID("password-submit")))
		if l, h := lang(), heading(); l != "de" || h != "Passwort festlegen" {
			t.Fatalf("set-password page: lang %q, heading %q", l, h)
		}
		bt.NoAxeViolations(t, ctx, "set password, German")
		do(t, ctx,
			chromedp.SendKeys(bt.TestID("password-password"), staffPassword),
			chromedp.SendKeys(bt.TestID("password-confirm"), staffPassword),
			chromedp.Click(bt.TestID("password-submit")),
			chromedp.WaitVisible(bt.TestID("login-submit")),
		)
		if msg := text(t, ctx, "console-flash"); !strings.Contains(msg, "Ihr Passwort ist gesetzt") {
			t.Fatalf("flash after setting the password: %q", msg)
		}
		bt.NoAxeViolations(t, ctx, "sign in, German")
		do(t, ctx,
			chromedp.SendKeys(bt.TestID("login-password"), staffPassword),
			chromedp.Click(bt.TestID("login-submit")),
			chromedp.WaitVisible(bt.TestID("count-needs_reauth")),
		)
		if c := text(t, ctx, "count-needs_reauth"); !strings.Contains(c, "Muss neu verbunden werden") {
			t.Fatalf("dashboard state tile in German: %q", c)
		}

		owner := "/console/owners/" + strconv.FormatInt(alice.Owner.ID, 10)
		pages := []consolePage{
			{"dashboard", "/console", "count-needs_reauth"},
			{"search results", "/console/search?q=demo-alice", "result-demo-alice"},
			{"owner page", owner, "impersonate-reason"},
			{"campaign list", "/console/campaigns", "campaigns-table"},
			{"new campaign form", paths.ConsoleCampaignNew(), "campaign-form"},
			{"campaign page, draft", paths.ConsoleCampaign(camp.ID, nil), "campaign-notices"},
			{"notice preview", paths.ConsoleCampaignNotices(camp.ID), "notice-step"},
			{"launch confirmation", paths.ConsoleCampaignMove(camp.ID, "launch"), "confirm-submit"},
			{"campaign funnel", paths.ConsoleCampaignFunnel(camp.ID, nil), "funnel-heading"},
			{"needs a person", paths.ConsoleNeedsPerson(nil), "queue-filter"},
			{"audit log", "/console/audit", "audit-table"},
			{"staff", "/console/staff", "staff-table"},
			{"webhook log, received", "/console/webhooks", "webhooks-out"},
			{"webhook log, sent", "/console/webhooks?direction=out", "webhooks-out"},
			{"failed events", "/console/failed-events", "no-failed-events"},
		}
		want := map[string]map[string]string{
			"de": {"dashboard": "Übersicht", "search results": "Halter finden", "campaign list": "Kampagnen", "audit log": "Prüfprotokoll"},
			"en": {"dashboard": "Dashboard", "search results": "Find an owner", "campaign list": "Campaigns", "audit log": "Audit log"},
		}
		visit := func(tag string) {
			t.Helper()
			for _, p := range pages {
				do(t, ctx, chromedp.Navigate(w.appURL+p.path), chromedp.WaitVisible(bt.TestID(p.ready)))
				if l := lang(); l != tag {
					t.Fatalf("%s: <html lang=%q>, want %q", p.name, l, tag)
				}
				if h, ok := want[tag][p.name]; ok && heading() != h {
					t.Fatalf("%s in %s: heading %q, want %q", p.name, tag, heading(), h)
				}
				if tag != "en" {
					words, err := chromedp.Run(ctx, chromedp.Evaluate[string](visibleWords))
					if err != nil {
						t.Fatal(err)
					}
					if left := englishWords.FindAllString(words, -1); len(left) > 0 {
						t.Errorf("%s in %s still says %q in English:\n%s", p.name, tag, left, words)
					}
				}
				bt.NoAxeViolations(t, ctx, p.name+", "+tag)
			}
		}
		visit("de")

		// The console's header stores a language for this staff member.
		choose := func(tag string) {
			t.Helper()
			do(t, ctx, chromedp.Navigate(w.appURL+"/console/campaigns"), chromedp.WaitVisible(bt.TestID("console-language")))
			// Picking a language is what submits the form: SetValue fires
			// the select's change event and the page's script submits it,
			// as for a staff member. A separate Submit would race that
			// navigation and could find its form node gone. RunResponse
			// waits for the page the form leads to, not the one it is on.
			if _, err := chromedp.RunResponse(ctx, chromedp.SetValue(bt.TestID("console-language"), tag)); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, chromedp.WaitVisible(bt.TestID("campaigns-table")))
			if loc, _ := bt.Location(ctx); !strings.HasSuffix(loc, "/console/campaigns") {
				t.Fatalf("after choosing %q the browser is at %s, want the page it was on", tag, loc)
			}
			st, err := w.app.Store.StaffByEmail(bg, "lena@support.example")
			if err != nil || st.Locale != tag {
				t.Fatalf("stored console language %q (%v), want %q", st.Locale, err, tag)
			}
		}
		choose("fr")
		if l, h := lang(), heading(); l != "fr" || h != "Campagnes" {
			t.Fatalf("after choosing French: lang %q, heading %q", l, h)
		}
		do(t, ctx, chromedp.Navigate(w.appURL+"/console/audit"), chromedp.WaitVisible(bt.TestID("audit-table")))
		if h := heading(); h != "Journal d’audit" {
			t.Fatalf("audit log in French: %q", h)
		}
		changes, err := w.app.Store.AuditEntries(bg, store.AuditFilter{Action: model.AuditStaffLanguageSet})
		if err != nil || len(changes) != 1 || !strings.Contains(changes[0].Detail, "browser → fr") || changes[0].StaffEmail != "lena@support.example" {
			t.Fatalf("the language change in the audit log: %+v %v", changes, err)
		}

		// Viewing as the owner, the owner's pages keep their language and
		// the banner speaks the staff member's.
		do(t, ctx, chromedp.Navigate(w.appURL+owner), chromedp.WaitVisible(bt.TestID("impersonate-reason")),
			chromedp.SendKeys(bt.TestID("impersonate-reason"), "Ticket 12: checking the banner"),
			chromedp.Click(bt.TestID("impersonate")),
			chromedp.WaitVisible(bt.TestID("impersonation-banner")),
		)
		bannerLang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="impersonation-banner"]').lang`))
		if err != nil || bannerLang != "fr" || !strings.Contains(text(t, ctx, "impersonation-banner"), "consulte les pages en tant que") {
			t.Fatalf("banner on the owner's page: lang %q (%v), %q", bannerLang, err, text(t, ctx, "impersonation-banner"))
		}
		if l := lang(); l == "fr" {
			t.Fatal("the owner's page took the staff member's language")
		}
		bt.NoAxeViolations(t, ctx, "owner page viewed as the owner, French banner")
		if _, err := chromedp.RunResponse(ctx, chromedp.Submit(bt.TestID("impersonation-exit"))); err != nil {
			t.Fatal(err)
		}

		// A language the console does not speak is refused, and the form
		// never sends anyone out of the console.
		token := csrfOf(t, ctx)
		if status, _ := fetchStatus(t, ctx, "POST", "/console/language", "lang=ja&_csrf="+token); status != 400 {
			t.Fatalf("an unsupported language: %d, want 400", status)
		}
		if _, final := fetchStatus(t, ctx, "POST", "/console/language", "lang=fr&next=https%3A%2F%2Fevil.example%2F&_csrf="+token); !strings.HasPrefix(final, w.appURL+"/console") {
			t.Fatalf("the language form sent the browser to %s", final)
		}
		if status, _ := fetchStatus(t, ctx, "POST", "/console/language", "lang=de"); status != 403 {
			t.Fatalf("the language form without its token: %d, want 403", status)
		}

		choose("en")
		visit("en")

		// "As my browser" forgets the choice: German again.
		choose("")
		if l, h := lang(), heading(); l != "de" || h != "Kampagnen" {
			t.Fatalf("back to the browser's language: lang %q, heading %q", l, h)
		}
	})
}
