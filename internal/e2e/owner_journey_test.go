package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/model"
	"reconnect/internal/repair"
	"reconnect/internal/store"
)

// pickLanguage chooses a language in the switcher without firing its
// change event: app.js submits on change, and a second submit by the
// button would race the first navigation.
func pickLanguage(t *testing.T, ctx context.Context, lang string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.querySelector('#lang-select').value = '`+lang+`'; true`)); err != nil {
		t.Fatal(err)
	}
}

// simReauth logs in at the simulator's re-authentication page and approves.
func simReauth(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	do(t, ctx,
		chromedp.WaitVisible(bt.TestID("sim-login")),
		chromedp.SendKeys(bt.TestID("sim-email"), email),
		chromedp.SendKeys(bt.TestID("sim-password"), "any-password"),
		chromedp.Click(bt.TestID("sim-login")),
		chromedp.WaitVisible(bt.TestID("sim-approve")),
		chromedp.Click(bt.TestID("sim-approve")),
	)
}

// simFullConnect logs in at the simulator's authorize pages and goes
// through whatever vehicle choice and grant they show, until it leaves.
func simFullConnect(t *testing.T, ctx context.Context, w *world, email string) {
	t.Helper()
	do(t, ctx,
		chromedp.WaitVisible(bt.TestID("sim-login")),
		chromedp.SendKeys(bt.TestID("sim-email"), email),
		chromedp.SendKeys(bt.TestID("sim-password"), "secret"),
		chromedp.Click(bt.TestID("sim-login")),
	)
	for i := 0; i < 10; i++ {
		if loc, _ := bt.Location(ctx); strings.HasPrefix(loc, w.appURL) {
			return
		}
		n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="sim-continue"],[data-testid="sim-approve"]').length`))
		if n > 0 {
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(document.querySelector('[data-testid="sim-continue"]')||document.querySelector('[data-testid="sim-approve"]')).click()`)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func (w *world) count(t *testing.T, vehicleID int64, kind string) int {
	t.Helper()
	n := 0
	for _, k := range w.events(t, vehicleID) {
		if k == kind {
			n++
		}
	}
	return n
}

// Item 1: the owner presses Reconnect, goes back to the email, opens the
// same link in a second tab and presses Continue, then finishes Connect in
// the first tab: "Done", not "this page has expired".
func TestSecondTabDoesNotKillTheRepair(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	ctx := bt.New(t, 90*time.Second)
	do(t, ctx, chromedp.Navigate(alice.Link), chromedp.Click(bt.TestID("continue")),
		chromedp.WaitVisible(bt.TestID("reconnect-"+tesla.SmartcarID)),
		chromedp.Click(bt.TestID("reconnect-"+tesla.SmartcarID)),
		chromedp.WaitVisible(bt.TestID("sim-login")))

	tab2, cancel := chromedp.NewContext(ctx)
	defer cancel()
	do(t, tab2, chromedp.Navigate(alice.Link), chromedp.Click(bt.TestID("continue")),
		chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))

	simReauth(t, ctx, "alice@example.com")
	do(t, ctx, chromedp.WaitVisible(bt.TestID("reconnect-success")))
	if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateConnected {
		t.Fatalf("the car is %s", v.State)
	}
}

// Item 2: started in one browser (an email app's web view), finished in
// another. A re-authentication is verified and told truthfully; a full
// Connect's code is not exchanged there.
func TestFinishingInAnotherBrowser(t *testing.T) {
	t.Run("re-authentication", func(t *testing.T) {
		w := startWorld(t, "sqlite", nil)
		alice := w.owner(t, "demo-alice")
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		webview := bt.New(t, 90*time.Second)
		do(t, webview, chromedp.Navigate(alice.Link), chromedp.Click(bt.TestID("continue")),
			chromedp.WaitVisible(bt.TestID("reconnect-"+tesla.SmartcarID)),
			chromedp.Click(bt.TestID("reconnect-"+tesla.SmartcarID)),
			chromedp.WaitVisible(bt.TestID("sim-login")))
		connectURL, _ := bt.Location(webview)

		system := bt.New(t, 90*time.Second)
		do(t, system, chromedp.Navigate(connectURL))
		simReauth(t, system, "alice@example.com")
		do(t, system, chromedp.WaitVisible(bt.TestID("reconnect-success")))
		heading, _ := bt.Text(system, `[data-testid="reconnect-success"]`)
		if heading != "Your Tesla is reconnected" {
			t.Fatalf("heading %q", heading)
		}
		body, _ := bt.Text(system, "main")
		if strings.Contains(body, "Model 3") || strings.Contains(body, "Alice") || strings.Contains(body, "Nothing was changed") {
			t.Fatalf("the page says more than whether the car works:\n%s", body)
		}
		if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateConnected {
			t.Fatalf("the car is %s", v.State)
		}
		bt.NoAxeViolations(t, system, "finished elsewhere")
	})
	t.Run("full Connect", func(t *testing.T) {
		w := startWorld(t, "sqlite", nil)
		alice := w.owner(t, "demo-alice")
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		webview := bt.New(t, 90*time.Second)
		do(t, webview, chromedp.Navigate(alice.Link), chromedp.Click(bt.TestID("continue")),
			chromedp.WaitVisible(bt.TestID("connect-"+tesla.SmartcarID)),
			chromedp.Click(bt.TestID("connect-"+tesla.SmartcarID)),
			chromedp.WaitVisible(bt.TestID("sim-login")))
		connectURL, _ := bt.Location(webview)

		system := bt.New(t, 90*time.Second)
		do(t, system, chromedp.Navigate(connectURL))
		simFullConnect(t, system, w, "alice@example.com")
		do(t, system, chromedp.WaitVisible(bt.TestID("result-problem")))
		heading, _ := bt.Text(system, `[data-testid="result-problem"]`)
		if heading != "Please finish in the browser you started in" {
			t.Fatalf("heading %q", heading)
		}
		if n := w.count(t, tesla.ID, "tokens_stored"); n != 0 {
			t.Fatal("the code was exchanged without its session")
		}
		bt.NoAxeViolations(t, system, "full Connect elsewhere")
	})
}

// Item 3: reloading the success page, or coming back to it, shows the
// success again and records it once.
func TestReloadingTheSuccessPage(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	ctx := bt.New(t, 90*time.Second)
	do(t, ctx, chromedp.Navigate(alice.Link), chromedp.Click(bt.TestID("continue")),
		chromedp.WaitVisible(bt.TestID("reconnect-"+tesla.SmartcarID)),
		chromedp.Click(bt.TestID("reconnect-"+tesla.SmartcarID)))
	simReauth(t, ctx, "alice@example.com")
	do(t, ctx, chromedp.WaitVisible(bt.TestID("reconnect-success")))
	if _, err := chromedp.RunResponse(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.WaitVisible(bt.TestID("reconnect-success")))
	do(t, ctx, chromedp.Click(bt.TestID("see-all")), chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))
	// Back to the callback's address: the owner page has no such heading,
	// so waiting for it waits for the page that came back.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`history.back(); true`)); err != nil {
		t.Fatal(err)
	}
	// chromedp loses track of the DOM after a history traversal, so ask the
	// page itself until the callback's answer is there.
	for i := 0; ; i++ {
		loc, _ := bt.Location(ctx)
		ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="reconnect-success"]') !== null`))
		if ok && strings.Contains(loc, "/connect/callback") {
			break
		}
		if i == 50 {
			t.Fatalf("back led to %s without the success", loc)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := w.count(t, tesla.ID, "reconnect_completed"); n != 1 {
		t.Fatalf("the repair was recorded %d times", n)
	}
}

// Item 4: the switcher on the link's landing page keeps the link; "/", the
// brand link and the 404 page lead a signed-in owner to their page.
func TestLanguageSwitchKeepsTheLinkAndHomeLeadsToTheOwnerPage(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	ctx := bt.New(t, 90*time.Second)
	do(t, ctx, chromedp.EmulateViewport(360, 800), chromedp.Navigate(alice.Link), chromedp.WaitVisible(bt.TestID("continue")))
	pickLanguage(t, ctx, "de")
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(bt.TestID("language-submit"))); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`html[lang="de"]`)), chromedp.WaitVisible(bt.TestID("continue")))
	loc, _ := bt.Location(ctx)
	if !strings.HasPrefix(loc, alice.Link) {
		t.Fatalf("the switcher left the link for %s", loc)
	}
	bt.NoAxeViolations(t, ctx, "landing in German")
	// The choice is remembered: the owner page answers in German too.
	do(t, ctx, chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))
	if lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "de" {
		t.Fatalf("owner page in %q", lang)
	}
	for _, step := range []struct {
		name string
		act  []chromedp.Action[chromedp.Void]
	}{
		{"/", []chromedp.Action[chromedp.Void]{chromedp.Navigate(w.appURL + "/")}},
		{"the brand link", []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS(".brand"))}},
		{"the 404 page's link", []chromedp.Action[chromedp.Void]{chromedp.Navigate(w.appURL + "/no-such-page"), chromedp.Click(chromedp.CSS(`main a[href="/"]`))}},
	} {
		do(t, ctx, chromedp.Navigate(w.appURL+"/me"), chromedp.WaitVisible(bt.TestID("summary")))
		do(t, ctx, step.act...)
		do(t, ctx, chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))
		if loc, _ := bt.Location(ctx); !strings.HasSuffix(loc, "/me") {
			t.Fatalf("%s led to %s", step.name, loc)
		}
	}
}

var copyRe = regexp.MustCompile(`id="inapp-url" type="text" readonly value="([^"]+)"`)

// Item 5: inside an app's web view the owner page offers a fresh single-use
// link (its own address answers 401 in the real browser), in a form that
// leaves the web view on each platform.
func TestOwnerPageOffersAWayOutOfTheWebView(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	for _, tc := range []struct {
		name, ua, prefix string
	}{
		{"Gmail on Android", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36", "intent://"},
		{"Gmail or Outlook on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", "x-safari-http://"},
		{"Facebook on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.33.116;]", "x-safari-http://"},
		{"Instagram on Android", "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36 Instagram 356.0.0.41.101 Android", "intent://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, w.appURL)
			b.ua = tc.ua
			b.open(alice.Link)
			res, body := b.get("/me")
			if res.StatusCode != 200 || !strings.Contains(body, `data-testid="in-app-notice"`) {
				t.Fatalf("no notice: %d", res.StatusCode)
			}
			href := ""
			for _, m := range regexp.MustCompile(`<a [^>]*>`).FindAllString(body, -1) {
				if strings.Contains(m, `data-testid="in-app-open"`) {
					href = regexp.MustCompile(`href="([^"]+)"`).FindStringSubmatch(m)[1]
				}
			}
			href = strings.ReplaceAll(href, "&amp;", "&")
			cp := copyRe.FindStringSubmatch(body)
			if cp == nil || !strings.HasPrefix(cp[1], w.appURL+"/l/") {
				t.Fatalf("the address to copy is not a fresh link: %v", cp)
			}
			if !strings.HasPrefix(href, tc.prefix) || !strings.Contains(href, strings.TrimPrefix(cp[1], "http://")) || strings.Contains(href, "/me") {
				t.Fatalf("open offers %q, want %s… of %s", href, tc.prefix, cp[1])
			}
			if tc.prefix == "intent://" && (!strings.Contains(href, "#Intent;scheme=http;") || !strings.Contains(href, "S.browser_fallback_url="+url.QueryEscape(cp[1])) || !strings.HasSuffix(href, ";end")) {
				t.Fatalf("intent URL %q", href)
			}
			// The real browser follows it once, into the owner's page.
			real := newBrowser(t, w.appURL)
			real.open(cp[1])
			if res, body := real.get("/me"); res.StatusCode != 200 || !strings.Contains(body, "Alice") {
				t.Fatalf("the fresh link did not open the page: %d", res.StatusCode)
			}
			again := newBrowser(t, w.appURL)
			tok := again.csrf(formPage)
			if res, _ := again.post(cp[1], url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusGone {
				t.Fatalf("the fresh link works twice: %d", res.StatusCode)
			}
		})
	}
	// An ordinary browser is offered nothing and mints nothing.
	b := newBrowser(t, w.appURL)
	b.open(alice.Link)
	if _, body := b.get("/me"); strings.Contains(body, "in-app-notice") {
		t.Fatal("the notice shows in an ordinary browser")
	}
}

// Item 6: an expired link that names its owner offers a fresh one in one
// click, then says "Check your email"; a link whose car is fixed says so.
func TestExpiredAndFixedLinks(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	ctx := context.Background()
	m, err := w.app.Links.Mint(ctx, nil, linkMintEmail(alice.Owner.ID))
	if err != nil {
		t.Fatal(err)
	}
	w.app.Store.DB().Exec("UPDATE owner_links SET expires_at = ? WHERE id = ?", time.Now().Add(-time.Second), m.Link.ID)
	b := bt.New(t, 90*time.Second)
	do(t, b, chromedp.EmulateViewport(360, 800), chromedp.Navigate(m.URL), chromedp.WaitVisible(bt.TestID("renew")))
	if h, _ := bt.Text(b, "h1"); h != "This link has expired" {
		t.Fatalf("heading %q", h)
	}
	if n, _ := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('input[type=email]').length`)); n != 0 {
		t.Fatal("the owner is asked to type an address the link already names")
	}
	bt.NoAxeViolations(t, b, "expired link")
	do(t, b, chromedp.Click(bt.TestID("renew")), chromedp.WaitVisible(bt.TestID("resend-sent")))
	if h, _ := bt.Text(b, "h1"); h != "Check your email" {
		t.Fatalf("after sending, heading %q", h)
	}
	bt.NoAxeViolations(t, b, "check your email")
	// The request is served by a job: wait for it to reach the timeline.
	for i := 0; ; i++ {
		evs, _ := w.app.Store.EventsByOwner(ctx, alice.Owner.ID, store.Page{})
		if slices.ContainsFunc(evs, func(e model.Event) bool { return e.Kind == model.EventFreshLinkRequested }) {
			break
		}
		if i == 100 {
			t.Fatal("no fresh link was requested")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A link for a car that is already connected.
	ford := w.vehicle(t, "demo-alice", "FORD")
	forFord := linkMintEmail(alice.Owner.ID)
	forFord.VehicleID = &ford.ID
	fm, err := w.app.Links.Mint(ctx, nil, forFord)
	if err != nil {
		t.Fatal(err)
	}
	do(t, b, chromedp.Navigate(fm.URL), chromedp.WaitVisible(bt.TestID("already-fixed")))
	if n, _ := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="continue"]').length`)); n != 0 {
		t.Fatal("a fixed car's link offers Continue as if something were to do")
	}
	if h, _ := bt.Text(b, "h1"); strings.Contains(h, "Reconnect") {
		t.Fatalf("a fixed car's link is headed %q", h)
	}
	bt.NoAxeViolations(t, b, "already fixed")
	do(t, b, chromedp.Click(bt.TestID("see-cars")), chromedp.WaitVisible(bt.TestID("vehicle-"+ford.SmartcarID)))
}

// Item 8: a declined car is not "connected": the summary counts it, and
// "I changed my mind" is a secondary button.
func TestDeclinedCarIsCountedHonestly(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	if _, err := w.app.Repair.Decline(context.Background(), alice.Owner.ID, tesla.ID, repair.DeclineSold); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "de"} {
		ctx := bt.New(t, 90*time.Second)
		do(t, ctx, chromedp.EmulateViewport(360, 800), chromedp.Navigate(alice.Link+"?lang="+lang), chromedp.Click(bt.TestID("continue")),
			chromedp.WaitVisible(bt.TestID("reconnect-"+tesla.SmartcarID)))
		summary, _ := bt.Text(ctx, `[data-testid="summary"]`)
		if lang == "en" && (strings.Contains(summary, "All your cars are connected") || !strings.Contains(summary, "chose not to reconnect: 1")) {
			t.Fatalf("summary %q", summary)
		}
		class, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="reconnect-`+tesla.SmartcarID+`"]').className`))
		label, _ := bt.Text(ctx, `[data-testid="reconnect-`+tesla.SmartcarID+`"]`)
		if !strings.Contains(class, "secondary") || (lang == "en" && !strings.HasPrefix(label, "I changed my mind")) {
			t.Fatalf("the declined car's button is %q %q", class, label)
		}
		bt.NoAxeViolations(t, ctx, "owner page with a declined car ("+lang+")")
	}
}

// Item 15: a mail scanner that runs the page and presses Continue opens no
// session and uses nothing up; the timeline says it was a scan.
func TestLinkScannerPressingContinueOpensNothing(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	m, err := w.app.Links.Mint(context.Background(), nil, linkMintInApp(alice.Owner.ID))
	if err != nil {
		t.Fatal(err)
	}
	scanner := newBrowser(t, w.appURL)
	scanner.ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
	tok := scanner.csrf(m.URL)
	res, body := scanner.post(m.URL, url.Values{"_csrf": {tok}})
	if res.StatusCode != 200 || !strings.Contains(body, `data-testid="neutral"`) || strings.Contains(body, "Alice") {
		t.Fatalf("scanner's Continue: %d", res.StatusCode)
	}
	if res, _ := scanner.get("/me"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the scanner got an owner session: %d", res.StatusCode)
	}
	evs, _ := w.app.Store.EventsByOwner(context.Background(), alice.Owner.ID, store.Page{})
	kinds := []model.EventKind{}
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Contains(kinds, model.EventLinkScanned) || slices.Contains(kinds, model.EventLinkOpened) {
		t.Fatalf("timeline %v, want link_scanned and no link_opened", kinds)
	}
	// The owner, after the scanner, still gets in with the single-use link.
	owner := newBrowser(t, w.appURL)
	owner.open(m.URL)
}
