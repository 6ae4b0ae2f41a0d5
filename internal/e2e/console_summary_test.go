package e2e

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/store"
)

// TestConsoleSummaryIsWhatTheOwnerSees: the per-car summary at the top of
// the console's owner page says what Alice's own page says, word for word
// (the page's sentence, each car's message, what to do and the buttons),
// with the buttons inert, and beside it the state since when.
func TestConsoleSummaryIsWhatTheOwnerSees(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		alice := w.owner(t, "demo-alice")
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		ford := w.vehicle(t, "demo-alice", "FORD")
		cars := []string{tesla.SmartcarID, ford.SmartcarID}

		// What Alice's page says, in her own browser.
		owner := bt.New(t, 90*time.Second)
		do(t, owner, chromedp.Navigate(alice.Link), chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))
		read := func(ctx context.Context, scope string) map[string]string {
			t.Helper()
			out := map[string]string{}
			js := `(() => { const root = document.querySelector(` + jsString(scope) + `) || document; const o = {};
				root.querySelectorAll('[data-testid^="reason-"],[data-testid^="state-"],[data-testid^="reconnect-"],[data-testid^="decline-"],[data-testid^="connect-"]').forEach(e => o[e.dataset.testid] = e.innerText.trim());
				root.querySelectorAll('article.card p.muted').forEach((e, i) => o["muted-" + i] = e.innerText.trim());
				return JSON.stringify(o); })()`
			s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		ownerSays := read(owner, "main")
		ownerSummary := text(t, owner, "summary")
		if ownerSays["reason-"+tesla.SmartcarID] == "" || ownerSays["reconnect-"+tesla.SmartcarID] == "" {
			t.Fatalf("the owner page shows no message or button for the Tesla: %v", ownerSays)
		}

		staff := staffBrowser(t, w, "sue@support.example", store.RoleAgent)
		do(t, staff, chromedp.Navigate(w.appURL+"/console/owners/"+strconv.FormatInt(alice.Owner.ID, 10)), chromedp.WaitVisible(bt.TestID("owner-sees")))
		if got := text(t, staff, "owner-sees-summary"); got != ownerSummary {
			t.Fatalf("the console says the owner sees %q, the owner page says %q", got, ownerSummary)
		}
		consoleSays := map[string]string{}
		for k, v := range read(staff, `[data-testid="owner-sees"]`) {
			// The console's copy has test hooks of its own.
			consoleSays[strings.Replace(k, "preview-", "", 1)] = v
		}
		for k, v := range ownerSays {
			if consoleSays[k] != v {
				t.Errorf("%s: the console shows %q, the owner page %q", k, consoleSays[k], v)
			}
		}
		if len(consoleSays) != len(ownerSays) {
			t.Errorf("the console shows %d pieces, the owner page %d:\n%v\n%v", len(consoleSays), len(ownerSays), consoleSays, ownerSays)
		}
		for _, sc := range cars {
			if n := count(t, staff, `[data-testid="owner-card-`+sc+`"] button:not([disabled])`); n != 0 {
				t.Errorf("%s: %d live buttons in the console's copy of the card", sc, n)
			}
		}
		if st := text(t, staff, "summary-state-"+tesla.SmartcarID); !strings.Contains(st, "Needs reconnecting") || !strings.Contains(st, "since") {
			t.Errorf("the Tesla's state reads %q", st)
		}
		bt.NoAxeViolations(t, staff, "owner page with what the owner sees")
	})
}
