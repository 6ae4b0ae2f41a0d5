package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/config"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// A full Connect (code + user id) stores the new tokens encrypted: neither
// the database file nor its write-ahead log contains them in the clear.
func TestJourneyFullConnectStoresTokensEncrypted(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	before, err := w.app.Store.TokenByUser(context.Background(), tesla.SmartcarUserID)
	if err != nil {
		t.Fatal(err)
	}
	ctx := bt.New(t, 90*time.Second)
	do(t, ctx, chromedp.Navigate(alice.Link), chromedp.Click(bt.TestID("continue")),
		chromedp.WaitVisible(bt.TestID("connect-"+tesla.SmartcarID)),
		chromedp.Click(bt.TestID("connect-"+tesla.SmartcarID)),
		chromedp.WaitVisible(bt.TestID("sim-login")),
		chromedp.SendKeys(bt.TestID("sim-email"), "alice@example.com"),
		chromedp.SendKeys(bt.TestID("sim-password"), "secret"),
		chromedp.Click(bt.TestID("sim-login")),
	)
	// Depending on the account, Connect shows the vehicle choice, then the grant.
	for i := 0; i < 3; i++ {
		loc, _ := bt.Location(ctx)
		if strings.HasPrefix(loc, w.appURL) {
			break
		}
		n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="sim-continue"],[data-testid="sim-approve"]').length`))
		if n == 0 {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(document.querySelector('[data-testid="sim-continue"]')||document.querySelector('[data-testid="sim-approve"]')).click()`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	do(t, ctx, chromedp.WaitVisible(bt.TestID("reconnect-success")))
	if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateConnected {
		t.Fatalf("after a full Connect the car is %s", v.State)
	}
	after, err := w.app.Store.TokenByUser(context.Background(), tesla.SmartcarUserID)
	if err != nil {
		t.Fatal(err)
	}
	if after.AccessToken == before.AccessToken {
		t.Fatal("the full Connect did not store a new token pair")
	}
	access, err := w.app.Sealer.Open(after.AccessToken)
	if err != nil || access == "" {
		t.Fatalf("stored token does not open: %v", err)
	}
	refresh, _ := w.app.Sealer.Open(after.RefreshToken)
	_, path, _ := config.ParseDatabaseURL(w.app.Config.DatabaseURL)
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, secret := range []string{access, refresh} {
			if bytes.Contains(b, []byte(secret)) {
				t.Fatalf("%s contains a token in the clear", f)
			}
		}
	}
}

// Every owner page passes axe-core in English and German, on a 360 px phone
// and at desktop width, dressed in a host's brand (its colour on buttons,
// links and the focus ring; its logo in the header).
func TestOwnerPagesAccessible(t *testing.T) {
	logo := filepath.Join(t.TempDir(), "logo.svg")
	if err := os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 10"><rect width="40" height="10" fill="#1b5e20"/></svg>`), 0o600); err != nil {
		t.Fatal(err)
	}
	w := startWorld(t, "sqlite", map[string]string{"BRAND_COLOR": "#1b5e20", "BRAND_LOGO": logo})
	alice := w.owner(t, "demo-alice")
	bob := w.owner(t, "demo-bob")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	decline := w.appURL + "/me/vehicles/" + strconv.FormatInt(tesla.ID, 10) + "/decline"
	ford := w.vehicle(t, "demo-alice", "FORD")
	forFord := linkMintEmail(alice.Owner.ID)
	forFord.VehicleID = &ford.ID
	fixedLink, err := w.app.Links.Mint(context.Background(), nil, forFord)
	if err != nil {
		t.Fatal(err)
	}
	// Each run asks for a fresh link for an owner of its own: the one-click
	// renewal is rate limited per owner.
	expiredLink := func(name string) string {
		o, err := w.app.Store.UpsertOwner(context.Background(), store.OwnerInput{HostUserID: "a11y-" + name, Email: "a11y-" + name + "@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		m, err := w.app.Links.Mint(context.Background(), nil, linkMintEmail(o.ID))
		if err != nil {
			t.Fatal(err)
		}
		w.app.Store.DB().Exec("UPDATE owner_links SET expires_at = ? WHERE id = ?", time.Now().Add(-time.Second), m.Link.ID)
		return m.URL
	}
	for _, lang := range []string{"en", "de"} {
		for _, width := range []int64{360, 1280} {
			t.Run(lang+"/"+strconv.FormatInt(width, 10), func(t *testing.T) {
				ctx := bt.New(t, 90*time.Second)
				do(t, ctx, chromedp.EmulateViewport(width, 800))
				check := func(label string) {
					t.Helper()
					got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
					if got != lang {
						t.Fatalf("%s: page language %q, want %q", label, got, lang)
					}
					bt.NoAxeViolations(t, ctx, label)
					overflow, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
					if overflow {
						t.Errorf("%s: the page scrolls sideways at %d px", label, width)
					}
				}
				// Choose the language with the switcher, as an owner would.
				do(t, ctx, chromedp.Navigate(w.appURL+"/"), chromedp.WaitVisible(bt.TestID("language-submit")))
				pickLanguage(t, ctx, lang)
				// Wait for the page the form leads to, not for an element the
				// old page may already have (English is the default).
				if _, err := chromedp.RunResponse(ctx, chromedp.Click(bt.TestID("language-submit"))); err != nil {
					t.Fatal(err)
				}
				do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"]`)))
				check("start page")
				do(t, ctx, chromedp.Navigate(w.appURL+"/code"), chromedp.WaitVisible(bt.TestID("code-submit")),
					chromedp.SendKeys(bt.TestID("code-input"), "ABCD-2345"), chromedp.Click(bt.TestID("code-submit")), chromedp.WaitVisible(bt.TestID("code-error")))
				check("short code page with an error")
				do(t, ctx, chromedp.Navigate(w.appURL+"/l/"+strings.Repeat("x", 43)), chromedp.WaitVisible(bt.TestID("resend")))
				check("unknown link")
				do(t, ctx, chromedp.Navigate(w.appURL+"/me"), chromedp.WaitVisible(bt.TestID("resend")))
				check("no session")
				do(t, ctx, chromedp.Navigate(expiredLink(lang+strconv.FormatInt(width, 10))), chromedp.WaitVisible(bt.TestID("renew")))
				check("expired link")
				do(t, ctx, chromedp.Click(bt.TestID("renew")), chromedp.WaitVisible(bt.TestID("resend-sent")))
				check("check your email")
				do(t, ctx, chromedp.Navigate(fixedLink.URL), chromedp.WaitVisible(bt.TestID("already-fixed")))
				check("landing (already fixed)")
				do(t, ctx, chromedp.Navigate(bob.Link), chromedp.WaitVisible(bt.TestID("continue")))
				check("landing (oem action)")
				do(t, ctx, chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(chromedp.CSS(`[data-testid^="vehicle-"]`)))
				check("owner page (oem action)")
				do(t, ctx, chromedp.Navigate(alice.Link), chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))
				check("owner page")
				do(t, ctx, chromedp.Navigate(decline), chromedp.WaitVisible(bt.TestID("decline-submit")), chromedp.Click(bt.TestID("decline-submit")), chromedp.WaitVisible(chromedp.CSS("#reason-error")))
				check("decline form with an error")
				do(t, ctx, chromedp.Navigate(w.appURL+"/me"), chromedp.Click(bt.TestID("reconnect-"+tesla.SmartcarID)),
					chromedp.WaitVisible(bt.TestID("sim-deny")), chromedp.Click(bt.TestID("sim-deny")), chromedp.WaitVisible(bt.TestID("result-problem")))
				check("connect error page")
				do(t, ctx, chromedp.Navigate(w.appURL+"/connect/callback?state=forged"), chromedp.WaitVisible(bt.TestID("result-problem")))
				check("expired state page")
			})
		}
	}
}

// Opened inside an app's built-in browser, the page offers to open it in the
// real browser and shows the address to copy.
func TestInAppBrowserNotice(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	req, _ := http.NewRequest("GET", alice.Link, nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0]")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	if !strings.Contains(buf.String(), `data-testid="in-app-notice"`) || !strings.Contains(buf.String(), alice.Link) {
		t.Fatal("no open-in-browser notice for an in-app browser")
	}
	res2, _ := http.Get(alice.Link)
	buf.Reset()
	buf.ReadFrom(res2.Body)
	res2.Body.Close()
	if strings.Contains(buf.String(), `data-testid="in-app-notice"`) {
		t.Fatal("the notice shows in an ordinary browser")
	}
}
