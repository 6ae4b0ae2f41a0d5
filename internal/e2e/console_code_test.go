package e2e

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/store"
)

// TestShortCodeReadOutOverThePhone: an agent shows Alice a fresh link and
// reads out the short code beside it; Alice, in her own browser, types it
// at /code and lands on her page. The same code typed again is refused,
// in a browser and without JavaScript (a plain form post), and a code
// typed in the agent's own browser opens nothing.
func TestShortCodeReadOutOverThePhone(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		alice := w.owner(t, "demo-alice")
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		staffCtx := staffBrowser(t, w, "cody@support.example", store.RoleAgent)

		showCode := func() string {
			t.Helper()
			do(t, staffCtx, chromedp.Navigate(w.appURL+"/console/owners/"+strconv.FormatInt(alice.Owner.ID, 10)),
				chromedp.WaitVisible(bt.TestID("show-link")), chromedp.Click(bt.TestID("show-link")),
				chromedp.WaitVisible(bt.TestID("shown-code")))
			code := text(t, staffCtx, "shown-code")
			if len(code) != 9 || code[4] != '-' {
				t.Fatalf("shown code %q, want ABCD-EFGH", code)
			}
			if block := text(t, staffCtx, "shown-code-block"); !strings.Contains(block, w.appURL+"/code") {
				t.Fatalf("the agent is not told where the owner types it: %q", block)
			}
			return code
		}
		code := showCode()
		bt.NoAxeViolations(t, staffCtx, "owner page with a shown code")

		// In the agent's own browser the code opens nothing and is not used.
		do(t, staffCtx, chromedp.Navigate(w.appURL+"/code"), chromedp.WaitVisible(bt.TestID("code-input")),
			chromedp.SendKeys(bt.TestID("code-input"), code), chromedp.Click(bt.TestID("code-submit")),
			chromedp.WaitVisible(bt.TestID("staff-browser-refused")))

		// Alice types it as she hears it: lower case, no dash.
		owner := bt.New(t, 90*time.Second)
		do(t, owner, chromedp.EmulateViewport(360, 800), chromedp.Navigate(w.appURL+"/code"), chromedp.WaitVisible(bt.TestID("code-input")))
		bt.NoAxeViolations(t, owner, "code page at 360 px")
		do(t, owner, chromedp.SendKeys(bt.TestID("code-input"), strings.ToLower(strings.ReplaceAll(code, "-", ""))))
		if _, err := chromedp.RunResponse(owner, chromedp.Click(bt.TestID("code-submit"))); err != nil {
			t.Fatal(err)
		}
		do(t, owner, chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))
		if loc, err := chromedp.Run(owner, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/me") {
			t.Fatalf("the code led to %s, want the owner page", loc)
		}

		// The same code a second time, in another browser: refused.
		again := bt.New(t, 60*time.Second)
		do(t, again, chromedp.Navigate(w.appURL+"/code"), chromedp.WaitVisible(bt.TestID("code-input")),
			chromedp.SendKeys(bt.TestID("code-input"), code))
		if _, err := chromedp.RunResponse(again, chromedp.Click(bt.TestID("code-submit"))); err != nil {
			t.Fatal(err)
		}
		do(t, again, chromedp.WaitVisible(bt.TestID("code-error")))
		if msg := text(t, again, "code-error"); !strings.Contains(msg, "already used") {
			t.Fatalf("second use: %q", msg)
		}
		if n := count(t, again, `[data-testid^="vehicle-"]`); n != 0 {
			t.Fatal("the second use shows the owner's cars")
		}
		bt.NoAxeViolations(t, again, "code page with an error")

		// Without JavaScript: a plain form post opens the page with a fresh
		// code, and refuses it the second time.
		fresh := showCode()
		b := newBrowser(t, w.appURL)
		res, body := b.post("/code", url.Values{"_csrf": {b.csrf("/code")}, "code": {fresh}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/me" {
			t.Fatalf("plain post: %d %s %s", res.StatusCode, res.Header.Get("Location"), body)
		}
		if res, body := b.get("/me"); res.StatusCode != http.StatusOK || !strings.Contains(body, tesla.SmartcarID) {
			t.Fatalf("the owner page after the code: %d", res.StatusCode)
		}
		other := newBrowser(t, w.appURL)
		if res, _ := other.post("/code", url.Values{"_csrf": {other.csrf("/code")}, "code": {fresh}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("plain post, second use: %d, want 422", res.StatusCode)
		}
	})
}
