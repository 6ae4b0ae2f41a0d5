package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/static"
	"reconnect/web/paths"
)

// head sends a HEAD with the browser's cookies and returns the answer and
// how many body bytes came with it.
func (b *browser) head(u string) (*http.Response, int) {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	res, err := b.c.Head(u)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, len(body)
}

// volatile headers differ between any two requests (or, for Set-Cookie,
// only the first request of a browser gets the CSRF cookie); the length of
// a body is compared against the GET's body instead.
var volatile = []string{"Date", "Set-Cookie", "X-Request-Id", "Content-Length", "Transfer-Encoding"}

// sameAsGet asks GET, then HEAD, and checks the HEAD got the GET's status
// and headers and no body. (What a HEAD must not do is checked by asking
// it first.)
func sameAsGet(t *testing.T, b *browser, path string, wantStatus int) {
	t.Helper()
	gres, body := b.get(path)
	hres, n := b.head(path)
	if wantStatus != 0 && gres.StatusCode != wantStatus {
		t.Errorf("GET %s: %d, want %d", path, gres.StatusCode, wantStatus)
	}
	if hres.StatusCode != gres.StatusCode {
		t.Errorf("HEAD %s: %d, GET %d", path, hres.StatusCode, gres.StatusCode)
	}
	if n != 0 {
		t.Errorf("HEAD %s came with %d body bytes", path, n)
	}
	if cl := hres.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) && !strings.HasPrefix(path, paths.RouteMetrics) {
		t.Errorf("HEAD %s: Content-Length %s, the GET's body has %d bytes", path, cl, len(body))
	}
	for k, v := range gres.Header {
		if slices.Contains(volatile, k) {
			continue
		}
		if got := hres.Header.Values(k); !slices.Equal(got, v) {
			t.Errorf("HEAD %s: %s = %q, GET has %q", path, k, got, v)
		}
	}
	for k := range hres.Header {
		if _, ok := gres.Header[k]; !ok && !slices.Contains(volatile, k) {
			t.Errorf("HEAD %s: header %s that the GET does not have", path, k)
		}
	}
}

// consoleBrowser signs a new staff member in over plain HTTP.
func consoleBrowser(t *testing.T, w *world, email, role string) *browser {
	t.Helper()
	b := newBrowser(t, w.appURL)
	link := staffLink(t, w, email, role)
	tok := b.csrf(link)
	if res, _ := b.post(link, url.Values{"_csrf": {tok}, "password": {staffPassword}, "confirm": {staffPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: %d", res.StatusCode)
	}
	tok = b.csrf(paths.ConsoleLogin(""))
	if res, _ := b.post(paths.ConsoleLogin(""), url.Values{"_csrf": {tok}, "email": {email}, "password": {staffPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	return b
}

func auditCount(t *testing.T, st *store.Store) int {
	t.Helper()
	es, err := st.AuditEntries(context.Background(), store.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func timelineLen(t *testing.T, st *store.Store, ownerID int64) int {
	t.Helper()
	evs, err := st.OwnerTimeline(context.Background(), ownerID, store.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// Monitors, load balancers, link checkers and mail gateways ask with HEAD:
// each answer is the GET's without a body, and a HEAD changes nothing: no
// link counts as opened, no audit entry, no notice used up.
func TestHeadAnswersAsGetAndChangesNothing(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		ctx := context.Background()
		st := w.app.Store
		alice := w.owner(t, "demo-alice").Owner
		anon := newBrowser(t, w.appURL)

		sameAsGet(t, anon, paths.RouteHealthz, http.StatusOK)
		sameAsGet(t, anon, paths.RouteReadyz, http.StatusOK)
		sameAsGet(t, anon, static.Path("css/app.css"), http.StatusOK)
		sameAsGet(t, anon, paths.RouteOpenAPI, http.StatusOK)
		sameAsGet(t, anon, "/no/such/page", http.StatusNotFound)

		// An owner link: the HEAD neither opens it nor writes the timeline.
		m, err := w.app.Links.Mint(ctx, nil, linkMintEmail(alice.ID))
		if err != nil {
			t.Fatal(err)
		}
		before := timelineLen(t, st, alice.ID)
		if res, n := anon.head(paths.Link(m.Token)); res.StatusCode != http.StatusOK || n != 0 {
			t.Fatalf("HEAD on a link: %d, %d bytes", res.StatusCode, n)
		}
		if l, _ := st.LinkByID(ctx, m.Link.ID); l.OpenedAt != nil || l.UsedAt != nil {
			t.Fatalf("a HEAD opened the link: %+v", l)
		}
		if got := timelineLen(t, st, alice.ID); got != before {
			t.Fatalf("a HEAD wrote %d timeline events", got-before)
		}
		sameAsGet(t, newBrowser(t, w.appURL), paths.Link(m.Token), http.StatusOK)
		if l, _ := st.LinkByID(ctx, m.Link.ID); l.OpenedAt == nil {
			t.Fatal("the GET after the HEAD must count as the first view")
		}

		// An unsubscribe link: looking changes nothing either way.
		unsub, err := st.NewUnsubscribeToken(ctx, alice.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		sameAsGet(t, anon, paths.Unsubscribe(unsub), http.StatusOK)
		if o, _ := st.OwnerByID(ctx, alice.ID); o.UnsubscribedAt != nil {
			t.Fatal("looking at the unsubscribe link unsubscribed")
		}

		// The host's status call mints fresh links for a GET; a HEAD gets
		// the same answer and leaves no link behind.
		_, key, err := st.CreateAPIKey(ctx, "head")
		if err != nil {
			t.Fatal(err)
		}
		links := func() (n int64) {
			if err := st.DB().Table("owner_links").Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		status := paths.RouteAPI + "/owners/" + alice.HostUserID + "/status"
		ask := func(method string) (*http.Response, int) {
			req, _ := http.NewRequest(method, w.appURL+status, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res, len(body)
		}
		nLinks := links()
		hres, n := ask(http.MethodHead)
		if hres.StatusCode != http.StatusOK || n != 0 || links() != nLinks {
			t.Fatalf("HEAD on the status: %d, %d bytes, %d links minted", hres.StatusCode, n, links()-nLinks)
		}
		gres, size := ask(http.MethodGet)
		// The links' expiry times are written with as many fractional
		// digits as they need, so the two bodies may differ by a few bytes.
		hlen, _ := strconv.Atoi(hres.Header.Get("Content-Length"))
		if gres.StatusCode != http.StatusOK || links() == nLinks || hlen < size-9 || hlen > size+9 {
			t.Fatalf("GET on the status: %d, %d bytes (HEAD said %s), %d links minted", gres.StatusCode, size, hres.Header.Get("Content-Length"), links()-nLinks)
		}

		// The owner page, with a notice waiting: the HEAD leaves it for the GET.
		owner := newBrowser(t, w.appURL)
		owner.open(w.owner(t, "demo-alice").Link)
		sameAsGet(t, owner, paths.OwnerPage(), http.StatusOK)
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		decline := paths.VehicleDecline(tesla.ID)
		sameAsGet(t, owner, decline, http.StatusOK)
		if res, _ := owner.post(decline, url.Values{"_csrf": {owner.csrf(decline)}, "reason": {"remind_later"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("remind later: %d", res.StatusCode)
		}
		owner.head(paths.OwnerPage())
		if _, body := owner.get(paths.OwnerPage()); !strings.Contains(body, `data-testid="flash"`) {
			t.Fatal("a HEAD used up the notice meant for the owner")
		}

		// The console: looking at an owner, searching and viewing as the
		// owner are audited for a GET, and not at all for a HEAD.
		staff := consoleBrowser(t, w, "sam@example.com", store.RoleAdmin)
		for _, p := range []string{
			paths.Console(), paths.ConsoleOwner(alice.ID), paths.ConsoleSearch(url.Values{"q": {"alice"}}),
			paths.ConsoleStaff(), paths.ConsoleAudit(nil), paths.ConsoleAuditCSV(url.Values{}), paths.ConsoleWebhooks(nil),
		} {
			n := auditCount(t, st)
			if res, body := staff.head(p); res.StatusCode != http.StatusOK || body != 0 {
				t.Fatalf("HEAD %s: %d, %d bytes", p, res.StatusCode, body)
			}
			if got := auditCount(t, st); got != n {
				t.Fatalf("HEAD %s wrote %d audit entries", p, got-n)
			}
		}
		for _, p := range []string{paths.Console(), paths.ConsoleOwner(alice.ID), paths.ConsoleSearch(url.Values{"q": {"alice"}})} {
			sameAsGet(t, staff, p, http.StatusOK)
		}
		ownerPage := paths.ConsoleOwner(alice.ID)
		if res, _ := staff.post(paths.ConsoleOwnerImpersonate(alice.ID), url.Values{"_csrf": {staff.csrf(ownerPage)}, "reason": {"ticket 4711: the owner cannot see their car"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("view as owner: %d", res.StatusCode)
		}
		n = auditCount(t, st)
		if res, body := staff.head(paths.OwnerPage()); res.StatusCode != http.StatusOK || body != 0 {
			t.Fatalf("HEAD on the owner page viewed as the owner: %d, %d bytes", res.StatusCode, body)
		}
		if got := auditCount(t, st); got != n {
			t.Fatalf("a HEAD viewed as the owner wrote %d audit entries", got-n)
		}
		if _, _ = staff.get(paths.OwnerPage()); auditCount(t, st) != n+1 {
			t.Fatal("a GET viewed as the owner must be audited")
		}
	})
}

var routeParam = regexp.MustCompile(`:\w+`)

// Every GET route of the table answers HEAD: walked from the route table
// itself, so a route added later is covered without a new test.
func TestEveryGetRouteAnswersHead(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice").Owner
	b := consoleBrowser(t, w, "ada@example.com", store.RoleAdmin)
	b.open(w.owner(t, "demo-alice").Link)
	seen := map[string]bool{}
	for _, r := range w.app.Web.Routes() {
		if r.Method != http.MethodGet || seen[r.Path] {
			continue
		}
		seen[r.Path] = true
		if r.Path == paths.RouteConnectCallback {
			// The one GET whose answer spends a one-time state: a HEAD
			// answers without spending it (TestHeadOnCallbackSpendsNothing).
			continue
		}
		p := routeParam.ReplaceAllStringFunc(r.Path, func(string) string { return strconv.FormatInt(alice.ID, 10) })
		switch {
		case r.Path == static.Prefix+"*":
			p = static.Path("css/app.css")
		case strings.HasSuffix(p, "*"):
			p = strings.TrimSuffix(p, "*")
		}
		t.Run(r.Name+" "+r.Path, func(t *testing.T) { sameAsGet(t, b, p, 0) })
	}
	if len(seen) < 20 {
		t.Fatalf("only %d GET routes walked", len(seen))
	}
}

// A HEAD on the Connect callback leaves the state for the owner's GET.
func TestHeadOnCallbackSpendsNothing(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	b := newBrowser(t, w.appURL)
	b.open(w.owner(t, "demo-alice").Link)
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	u := b.reconnect(tesla.ID, "")
	cb := paths.ConnectCallback() + "?" + url.Values{"state": {u.Query().Get("state")}, "error": {"access_denied"}}.Encode()
	if res, n := b.head(cb); res.StatusCode != http.StatusOK || n != 0 {
		t.Fatalf("HEAD on the callback: %d, %d bytes", res.StatusCode, n)
	}
	if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateReconnecting {
		t.Fatalf("after a HEAD the car is %s", v.State)
	}
	if res, body := b.get(cb); res.StatusCode != http.StatusOK || strings.Contains(body, "state.title") {
		t.Fatalf("the owner's own return after a HEAD: %d", res.StatusCode)
	}
}
