package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
)

// TestSmoke loads a page, submits a CSRF-protected form in a real browser,
// checks the result, and checks that the same POST without the token is
// refused.
func TestSmoke(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		_, base := startApp(t, dialect, nil)
		ctx := bt.New(t, 60*time.Second)

		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
			t.Fatal(err)
		}
		h1, err := bt.Text(ctx, "h1")
		if err != nil || !strings.Contains(h1, "Keep your car connected") {
			t.Fatalf("English start page expected, got %q (%v)", h1, err)
		}
		bt.NoAxeViolations(t, ctx, "start page")

		// The switcher is a plain GET form to the same page: choose German and submit.
		pickLanguage(t, ctx, "de")
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(bt.TestID("language-submit"))); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`html[lang="de"] h1`))); err != nil {
			t.Fatal(err)
		}
		h1, _ = bt.Text(ctx, "h1")
		if !strings.Contains(h1, "So bleibt Ihr Auto verbunden") {
			t.Fatalf("German start page expected after the form, got %q", h1)
		}

		// The older POST switcher still refuses a request without the token.
		status, err := chromedp.Run(ctx, chromedp.Evaluate[int](
			`fetch("/language", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "lang=fr&next=/"}).then(r => r.status)`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if status != 403 {
			t.Fatalf("POST without CSRF token: status %d, want 403", status)
		}
		// And a wrong token too.
		status, _ = chromedp.Run(ctx, chromedp.Evaluate[int](
			`fetch("/language", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "lang=fr&next=/&_csrf=forged"}).then(r => r.status)`,
			chromedp.EvalAwaitPromise))
		if status != 403 {
			t.Fatalf("POST with a forged token: status %d, want 403", status)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
			t.Fatal(err)
		}
		if lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "de" {
			t.Fatalf("refused POSTs must change nothing; lang is %q", lang)
		}
	})
}
