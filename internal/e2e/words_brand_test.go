package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
)

// buttonVerbs are the only messages that may say "Reconnect" to an owner:
// the verb on the buttons and the page that names that button. Anywhere
// else the word is our product's name, which the host app's owners must
// never see.
var buttonVerbs = []string{"action.reconnect", "todo.then_reconnect", "landing.title", "landing.title_many", "action.connect_explain"}

var vendorRE = regexp.MustCompile(`.{0,40}\bReconnect\b.{0,40}`)

// vendorNamed is what is left of "Reconnect" on a page once the button verbs
// are struck out.
func vendorNamed(t *testing.T, lang, page string) []string {
	t.Helper()
	for _, id := range buttonVerbs {
		re, err := i18n.Pattern(lang, id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(re.String(), " ") {
			// A one-word verb counts only as a whole button's text.
			re = regexp.MustCompile(`>\s*` + re.String() + `\s*<`)
		}
		page = re.ReplaceAllString(page, "><")
	}
	return vendorRE.FindAllString(page, -1)
}

// chooseLanguage uses the switcher, as an owner would.
func (b *browser) chooseLanguage(lang string) {
	b.t.Helper()
	// The switcher is a GET of the same page; the choice stays in the session.
	if res, _ := b.get("/?lang=" + lang); res.StatusCode >= http.StatusBadRequest {
		b.t.Fatalf("language %s: %d", lang, res.StatusCode)
	}
}

// With APP_NAME=ChargeWell, no owner page in any language names the vendor
// ("Reconnect") except as the verb on the button.
func TestOwnerPagesNeverNameTheVendor(t *testing.T) {
	if got := vendorNamed(t, "en", "<footer>Reconnect keeps your car connected to ChargeWell.</footer>"); len(got) != 1 {
		t.Fatalf("the check misses the vendor's name: %q", got)
	}
	w := startWorld(t, "sqlite", nil)
	alice, bob := w.owner(t, "demo-alice"), w.owner(t, "demo-bob")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	for _, lang := range []string{"en", "de", "fr", "es"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowser(t, w.appURL)
			b.chooseLanguage(lang)
			pages := map[string]string{}
			get := func(label, path string) {
				_, body := b.get(path)
				pages[label] = body
			}
			get("start page", "/")
			get("unknown link", "/l/"+strings.Repeat("x", 43))
			get("no session", "/me")
			get("not found", "/nowhere")
			get("bad unsubscribe link", "/unsubscribe/"+strings.Repeat("x", 43))
			get("landing (oem action)", bob.Link)
			get("landing", alice.Link)
			b.open(alice.Link)
			b.chooseLanguage(lang)
			get("owner page", "/me")
			get("decline form", "/me/vehicles/"+strconv.FormatInt(tesla.ID, 10)+"/decline")
			state := b.reconnect(tesla.ID, "").Query().Get("state")
			get("connect error", "/connect/callback?"+url.Values{"state": {state}, "error": {"access_denied"}}.Encode())
			get("expired state", "/connect/callback?state=forged")
			b2 := newBrowser(t, w.appURL)
			b2.chooseLanguage(lang)
			b2.open(bob.Link)
			b2.chooseLanguage(lang)
			get("owner page (oem action)", "/me")
			for label, body := range pages {
				if !strings.Contains(body, `lang="`+lang+`"`) {
					t.Errorf("%s is not in %s", label, lang)
				}
				if named := vendorNamed(t, lang, body); len(named) > 0 {
					t.Errorf("%s names the vendor: %q", label, named)
				}
			}
		})
	}
}

// moveTo sets a car's state the way detection does.
func (w *world) moveTo(t *testing.T, v model.Vehicle, to model.State, reason string) {
	t.Helper()
	if _, _, err := w.app.Lifecycle.Transition(context.Background(), nil, v.ID, store.StateChange{To: to, Reason: reason, Source: model.SourceWebhook}); err != nil {
		t.Fatal(err)
	}
}

// Each carmaker-side case, for a make with a page of its own (Tesla) and
// one without (BMW): the owner's page links to the carmaker's page (or says
// where to look), and so does the result page after a failed attempt,
// which no longer says to try again in a few minutes.
func TestCarmakerCasesLinkToTheCarmaker(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	links := vehicletext.NewOEMLinks(nil)
	for _, tc := range []struct{ owner, make string }{{"demo-alice", "TESLA"}, {"demo-bob", "BMW"}} {
		for _, c := range model.OEMCases {
			t.Run(tc.make+"/"+string(c), func(t *testing.T) {
				v := w.vehicle(t, tc.owner, tc.make)
				code := strings.ToUpper(string(c))
				w.moveTo(t, v, model.StateNeedsOEMAction, "CONNECTED_SERVICES_ACCOUNT:"+code)
				b := newBrowser(t, w.appURL)
				b.open(w.owner(t, tc.owner).Link)
				b.chooseLanguage("en")
				_, page := b.get("/me")
				want := links.URL(tc.make, c)
				check := func(where, body string) {
					t.Helper()
					if want != "" {
						if !strings.Contains(body, `href="`+want+`"`) || !strings.Contains(body, `data-testid="oem-link-`+v.SmartcarID+`"`) {
							t.Errorf("%s: no link to %s", where, want)
						}
					} else if !strings.Contains(body, `data-testid="oem-hint-`+v.SmartcarID+`"`) ||
						!strings.Contains(body, "Open your "+vehicletext.MakeName(tc.make)+" app or account") {
						t.Errorf("%s: no sentence saying where to look", where)
					}
				}
				check("owner page", page)
				if !strings.Contains(page, "Then press Reconnect.") {
					t.Error("owner page: does not say to come back and press Reconnect")
				}

				// A failed attempt: the carmaker still refuses.
				if err := w.sim.SetFailure(v.SmartcarID, "CSA", code); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = w.sim.ClearFailure(v.SmartcarID) })
				state := b.reconnect(v.ID, "").Query().Get("state")
				res, result := b.get("/connect/callback?" + url.Values{"state": {state}, "vehicle_id": {v.SmartcarID}}.Encode())
				if res.StatusCode != http.StatusOK || !strings.Contains(result, `data-testid="result-problem"`) {
					t.Fatalf("result page: %d", res.StatusCode)
				}
				check("result page", result)
				if strings.Contains(result, "try again in a few minutes") || !strings.Contains(result, "Then press Try again.") {
					t.Errorf("result page: the way forward is wrong:\n%s", regexp.MustCompile(`(?s)<main.*</main>`).FindString(result))
				}
			})
		}
	}
}

// The host's brand: its logo (a file we serve, or an https URL we only
// reference), its colour in a stylesheet of ours (the CSP forbids style
// attributes), and the name as the logo's text.
func TestBrandOnOwnerPages(t *testing.T) {
	logo := filepath.Join(t.TempDir(), "chargewell.svg")
	if err := os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#1b5e20"/></svg>`), 0o600); err != nil {
		t.Fatal(err)
	}
	w := startWorld(t, "sqlite", map[string]string{"BRAND_COLOR": "#1B5E20", "BRAND_LOGO": logo})
	b := newBrowser(t, w.appURL)
	b.open(w.owner(t, "demo-alice").Link)
	res, page := b.get("/me")
	logoURL := regexp.MustCompile(`<img class="brand-logo" src="(/brand/logo\.[0-9a-f]{12}\.svg)" alt="ChargeWell">`).FindStringSubmatch(page)
	css := regexp.MustCompile(`<link rel="stylesheet" href="(/brand/brand\.[0-9a-f]{12}\.css)">`).FindStringSubmatch(page)
	if logoURL == nil || css == nil {
		t.Fatalf("no logo or brand stylesheet on the owner page")
	}
	if !strings.Contains(page, `<link rel="icon" href="`+logoURL[1]+`">`) {
		t.Error("the logo is not the favicon")
	}
	if !strings.Contains(page, `data-testid="trust-`) || !strings.Contains(page, "ChargeWell uses Smartcar to connect to your Tesla. You sign in with Tesla; ChargeWell never sees your password.") {
		t.Error("no line before the Reconnect button saying who connects and who sees the password")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self';") || !strings.Contains(csp, "img-src 'self' data:;") {
		t.Errorf("CSP: %s", csp)
	}
	for path, want := range map[string]string{css[1]: "--brand: #1b5e20", logoURL[1]: "<svg"} {
		res, body := b.get(path)
		if res.StatusCode != 200 || !strings.Contains(body, want) || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d %q", path, res.StatusCode, body)
		}
	}
	if res, _ := b.get("/brand/logo.000000000000.svg"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown brand file: %d", res.StatusCode)
	}

	// A logo by https URL is referenced, and only its origin is let in.
	a, base := startApp(t, "sqlite", map[string]string{"BRAND_LOGO": "https://cdn.chargewell.example/logo.png"})
	_ = a
	res2, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res2.Body)
	res2.Body.Close()
	if !strings.Contains(res2.Header.Get("Content-Security-Policy"), "img-src 'self' data: https://cdn.chargewell.example;") ||
		!strings.Contains(string(body), `src="https://cdn.chargewell.example/logo.png" alt="ChargeWell"`) {
		t.Errorf("https logo: CSP %q", res2.Header.Get("Content-Security-Policy"))
	}
}
