package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/store"
)

// TestAdminFiltersTheAuditLogByOwnerEmail: an admin looks at Alice and at
// Bob, then filters the audit log by Alice's email address: only rows
// about Alice remain (the rows carry her pseudonym, not her address), the
// browser shows as "Chrome 131 on Linux" with the whole header behind a
// disclosure, and the CSV export keeps the same filter and the whole header.
func TestAdminFiltersTheAuditLogByOwnerEmail(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		alice, bob := w.owner(t, "demo-alice").Owner, w.owner(t, "demo-bob").Owner
		ctx := staffBrowser(t, w, "ada@support.example", store.RoleAdmin)
		for _, o := range []int64{alice.ID, bob.ID, alice.ID} {
			do(t, ctx, chromedp.Navigate(w.appURL+"/console/owners/"+strconv.FormatInt(o, 10)), chromedp.WaitVisible(bt.TestID("owner-heading")))
		}

		do(t, ctx, chromedp.Navigate(w.appURL+"/console/audit"), chromedp.WaitVisible(bt.TestID("audit-owner")))
		if n := count(t, ctx, `[data-testid="audit-row"]`); n < 4 {
			t.Fatalf("%d rows unfiltered, want the sign-in and three looks at least", n)
		}
		do(t, ctx, chromedp.SendKeys(bt.TestID("audit-owner"), alice.Email))
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(bt.TestID("audit-filter-submit"))); err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.WaitVisible(bt.TestID("audit-table")))
		owners, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('[data-testid="audit-row"] td:nth-child(3)')].map(td => td.innerText.trim())`))
		if err != nil {
			t.Fatal(err)
		}
		if len(owners) != 2 {
			t.Fatalf("%d rows for Alice, want her two looks: %v", len(owners), owners)
		}
		for _, o := range owners {
			if o != alice.AuditID {
				t.Fatalf("a row about %q among Alice's (%s)", o, alice.AuditID)
			}
		}
		if got, _ := bt.Text(ctx, `[data-testid="audit-ua-short"]`); got != "Chrome 131 on Linux" {
			t.Fatalf("the browser reads %q, want Chrome 131 on Linux", got)
		}
		if n := count(t, ctx, `[data-testid="audit-ua"][open]`); n != 0 {
			t.Fatal("the whole user agent shows without being asked for")
		}
		if n := count(t, ctx, `[data-testid="audit-owner-unknown"]`); n != 0 {
			t.Fatal("Alice's address is said to name nobody")
		}
		bt.NoAxeViolations(t, ctx, "audit log filtered by owner")

		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="audit-csv"]').getAttribute('href')`))
		if err != nil || !strings.Contains(href, "owner=") {
			t.Fatalf("CSV link %q %v does not keep the filter", href, err)
		}
		body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+jsString(href)+`, {credentials: "same-origin"}).then(r => r.text())`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if len(lines) != 3 {
			t.Fatalf("CSV has %d lines, want the header and Alice's two rows:\n%s", len(lines), body)
		}
		for _, l := range lines[1:] {
			if !strings.Contains(l, alice.AuditID) || !strings.Contains(l, bt.UserAgent) {
				t.Fatalf("CSV row without Alice's pseudonym or the whole user agent: %s", l)
			}
		}

		// An address nobody has is said so, and shows nothing.
		do(t, ctx, chromedp.Navigate(w.appURL+"/console/audit?owner=nobody%40example.com"), chromedp.WaitVisible(bt.TestID("audit-owner-unknown")))
		if n := count(t, ctx, `[data-testid="audit-row"]`); n != 0 {
			t.Fatalf("%d rows for nobody", n)
		}
	})
}
