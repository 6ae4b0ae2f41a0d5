package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// TestAgentReadsWhyTheCarSaysDisconnected is the question support hears
// most: an agent finds Carol by her email, sees in the results that her
// Tesla needs reconnecting, opens her and reads why in the timeline's
// sentences, without opening any of the raw payloads.
func TestAgentReadsWhyTheCarSaysDisconnected(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, map[string]string{"JOBS_FETCH_COOLDOWN": "20ms", "JOBS_FETCH_POLL_INTERVAL": "100ms"})
		// Carol's Tesla breaks the way cars do: Smartcar's webhook says so.
		simPost(t, http.MethodPut, w.simURL+"/_control/webhook", `{"url":"`+w.appURL+`/webhooks/smartcar"}`)
		simPost(t, http.MethodPost, w.simURL+"/_control/webhook/verify", `{}`)
		simPost(t, http.MethodPost, w.simURL+"/_control/migrations", `{"make":"TESLA"}`)
		waitFor(t, "carol's Tesla needs a reconnect", 10*time.Second, func() bool {
			return w.vehicle(t, "demo-carol", "TESLA").State == model.StateNeedsReauth
		})
		tesla := w.vehicle(t, "demo-carol", "TESLA")
		ctx := bt.New(t, 120*time.Second)
		setPassword(t, ctx, staffLink(t, w, "ann@support.example", store.RoleAgent), false)
		signIn(t, ctx, w.appURL, "ann@support.example", staffPassword)

		do(t, ctx, chromedp.Click(bt.TestID("nav-search")), chromedp.WaitVisible(bt.TestID("search-q")),
			chromedp.SendKeys(bt.TestID("search-q"), "carol@"),
			chromedp.Click(bt.TestID("search-submit")),
			chromedp.WaitVisible(bt.TestID("result-demo-carol")),
		)
		if car := text(t, ctx, "result-car-"+tesla.SmartcarID); !strings.Contains(car, "Tesla") || !strings.Contains(car, "Needs reconnecting") {
			t.Fatalf("the result shows the Tesla as %q", car)
		}
		if m := count(t, ctx, `[data-testid="group-email"] mark`); m != 1 {
			t.Fatalf("%d highlights in the email results, want the matched email", m)
		}
		if m, _ := bt.Text(ctx, `[data-testid="group-email"] mark`); m != "carol@" {
			t.Fatalf("highlighted %q", m)
		}
		bt.NoAxeViolations(t, ctx, "search results by email")

		do(t, ctx, chromedp.Click(bt.TestID("result-demo-carol")), chromedp.WaitVisible(bt.TestID("timeline")))
		// innerText holds only what is shown: a closed disclosure's payload
		// is not in it.
		story, err := bt.Text(ctx, `[data-testid="timeline"]`)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Smartcar reported: Tesla account sign-in failed (AUTHENTICATION_FAILED)", "Connection broke: needs reconnecting"} {
			if !strings.Contains(story, want) {
				t.Errorf("the timeline does not say %q:\n%s", want, story)
			}
		}
		if strings.Contains(story, `"event_id"`) {
			t.Errorf("a raw payload shows without being asked for:\n%s", story)
		}
		if open := count(t, ctx, `[data-testid="timeline"] details[open]`); open != 0 {
			t.Fatalf("%d disclosures open by themselves", open)
		}
		if n := count(t, ctx, `[data-testid="timeline"] .timeline-day h3`); n == 0 {
			t.Fatal("the timeline has no days")
		}
		// The summary at the top names the last error without the timeline.
		if e := text(t, ctx, "summary-error-"+tesla.SmartcarID); !strings.Contains(e, "AUTHENTICATION_FAILED") {
			t.Errorf("the summary's last error reads %q", e)
		}
		bt.NoAxeViolations(t, ctx, "owner detail with the story")
	})
}
