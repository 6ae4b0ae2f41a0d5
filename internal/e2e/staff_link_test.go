package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// TestShownLinkIsRefusedInTheStaffBrowser: an agent shows Alice a fresh
// link and opens it in their own browser, where it is refused with an
// explanation and left unused; in another browser (no staff cookie) it
// opens Alice's page once, a second use fails, and a link shown 15 minutes
// ago has expired.
func TestShownLinkIsRefusedInTheStaffBrowser(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		alice := w.owner(t, "demo-alice")
		st := w.app.Store
		bgctx := context.Background()
		staffCtx := bt.New(t, 150*time.Second)
		setPassword(t, staffCtx, staffLink(t, w, "abe@support.example", store.RoleAgent), false)
		signIn(t, staffCtx, w.appURL, "abe@support.example", staffPassword)

		show := func() string {
			t.Helper()
			var shown string
			do(t, staffCtx, chromedp.Navigate(w.appURL+"/console/owners/"+strconv.FormatInt(alice.Owner.ID, 10)),
				chromedp.WaitVisible(bt.TestID("show-link")), chromedp.Click(bt.TestID("show-link")),
				chromedp.WaitVisible(bt.TestID("shown-link-url")))
			shown, err := chromedp.Run(staffCtx, chromedp.Value(bt.TestID("shown-link-url")))
			if err != nil || !strings.Contains(shown, "/l/") {
				t.Fatalf("shown link %q %v", shown, err)
			}
			return shown
		}
		shown := show()
		token := shown[strings.LastIndex(shown, "/")+1:]
		l, err := st.LinkByTokenHash(bgctx, store.HashSecret(token))
		if life := l.ExpiresAt.Sub(l.CreatedAt); err != nil || l.Purpose != model.PurposeStaffShown || life < links.StaffShownTTL-time.Second || life > links.StaffShownTTL {
			t.Fatalf("shown link %+v %v: want single use, 15 minutes", l, err)
		}

		// The agent opens it in their own browser: refused, explained, unused.
		do(t, staffCtx, chromedp.Navigate(shown), chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(bt.TestID("staff-browser-refused")))
		if msg := text(t, staffCtx, "staff-browser-refused"); !strings.Contains(msg, "support console") {
			t.Fatalf("refusal: %q", msg)
		}
		bt.NoAxeViolations(t, staffCtx, "owner link refused in a staff browser")
		do(t, staffCtx, chromedp.Navigate(w.appURL+"/me"), chromedp.WaitVisible(bt.TestID("resend")))
		if l, _ := st.LinkByID(bgctx, l.ID); l.UsedAt != nil {
			t.Fatal("the refused attempt used the link up")
		}

		// The owner, in another browser: it works once.
		ownerCtx := bt.New(t, 60*time.Second)
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		do(t, ownerCtx, chromedp.Navigate(shown), chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))
		// A used link that names its owner offers a one-click new link.
		do(t, ownerCtx, chromedp.Navigate(shown), chromedp.WaitVisible(bt.TestID("renew")))
		if h, _ := bt.Text(ownerCtx, "h1"); !strings.Contains(h, "already used") {
			t.Fatalf("second use: %q", h)
		}

		// A link shown and left for 15 minutes has expired. The app's clock
		// cannot be moved, so the link's times are: as if shown 15 minutes ago.
		late := show()
		lt, _ := st.LinkByTokenHash(bgctx, store.HashSecret(late[strings.LastIndex(late, "/")+1:]))
		back := 15 * time.Minute
		if err := st.DB().Model(&store.OwnerLink{}).Where("id = ?", lt.ID).
			Updates(map[string]any{"created_at": lt.CreatedAt.Add(-back), "expires_at": lt.ExpiresAt.Add(-back)}).Error; err != nil {
			t.Fatal(err)
		}
		other := bt.New(t, 60*time.Second)
		// An expired link that names its owner offers a one-click new link.
		do(t, other, chromedp.Navigate(late), chromedp.WaitVisible(bt.TestID("renew")))
		if h, _ := bt.Text(other, "h1"); !strings.Contains(h, "expired") {
			t.Fatalf("after 15 minutes: %q", h)
		}
	})
}
