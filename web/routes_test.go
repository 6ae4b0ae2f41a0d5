package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"reconnect/internal/config"
	"reconnect/internal/mail/devsmtp"
	"reconnect/web/paths"
)

// testServer is the full route table (the dev inbox included) with no
// database behind it: enough to ask the router, not to serve.
func testServer(t *testing.T) *Server {
	t.Helper()
	cfg, err := config.Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DevInbox: devsmtp.NewInbox(1)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every link the app builds lands on the route registered for it, so a
// route moved in routes.go cannot leave links pointing at nothing.
func TestEveryPathBuilderHitsItsRoute(t *testing.T) {
	s := testServer(t)
	api := func(p string) string { return paths.RouteAPI + p }
	q := url.Values{"q": {"x"}}
	for _, tc := range []struct {
		method, url, pattern string
	}{
		{http.MethodGet, paths.Home(), paths.RouteHome},
		{http.MethodPost, paths.Language(), paths.RouteLanguage},
		{http.MethodGet, paths.Link("tok"), paths.RouteLink},
		{http.MethodPost, paths.Link("tok"), paths.RouteLink},
		{http.MethodPost, paths.LinkRenew("tok"), paths.RouteLinkRenew},
		{http.MethodPost, paths.LinkResend(), paths.RouteLinkResend},
		{http.MethodGet, paths.Code(), paths.RouteCode},
		{http.MethodPost, paths.Code(), paths.RouteCode},
		{http.MethodGet, paths.OwnerPage(), paths.RouteOwnerPage},
		{http.MethodGet, paths.OwnerVehicle(7), paths.RouteOwnerPage},
		{http.MethodPost, paths.VehicleReconnect(7), paths.RouteVehicleReconnect},
		{http.MethodGet, paths.VehicleDecline(7), paths.RouteVehicleDecline},
		{http.MethodPost, paths.VehicleDecline(7), paths.RouteVehicleDecline},
		{http.MethodGet, paths.ConnectCallback(), paths.RouteConnectCallback},
		{http.MethodGet, paths.Unsubscribe("tok"), paths.RouteUnsubscribe},
		{http.MethodPost, paths.Unsubscribe("tok"), paths.RouteUnsubscribe},
		{http.MethodGet, paths.BrandAsset("brand.0123456789ab.css"), paths.RouteBrandAsset},
		{http.MethodGet, paths.DevInbox(), paths.RouteDevInbox},
		{http.MethodGet, paths.DevInboxMessage(3), paths.RouteDevInboxMessage},
		{http.MethodGet, paths.DevInboxHTML(3), paths.RouteDevInboxHTML},
		{http.MethodGet, paths.DevInboxRaw(3), paths.RouteDevInboxRaw},
		{http.MethodGet, paths.Console(), paths.RouteConsole},
		{http.MethodGet, paths.ConsoleLogin(""), paths.RouteConsoleLogin},
		{http.MethodGet, paths.ConsoleLogin("/console/search?q=1"), paths.RouteConsoleLogin},
		{http.MethodPost, paths.ConsoleLogin(""), paths.RouteConsoleLogin},
		{http.MethodGet, paths.ConsoleLoginAs("sam@example.com"), paths.RouteConsoleLogin},
		{http.MethodGet, paths.ConsolePassword("tok"), paths.RouteConsolePassword},
		{http.MethodPost, paths.ConsolePassword("tok"), paths.RouteConsolePassword},
		{http.MethodPost, paths.ConsoleLogout(), paths.RouteConsoleLogout},
		{http.MethodPost, paths.ConsoleLanguage(), paths.RouteConsoleLanguage},
		{http.MethodGet, paths.ConsoleSearch(nil), paths.RouteConsoleSearch},
		{http.MethodGet, paths.ConsoleSearch(q), paths.RouteConsoleSearch},
		{http.MethodGet, paths.ConsoleOwner(5), paths.RouteConsoleOwner},
		{http.MethodPost, paths.ConsoleOwnerSendLink(5), paths.RouteConsoleOwnerSendLink},
		{http.MethodPost, paths.ConsoleOwnerShowLink(5), paths.RouteConsoleOwnerShowLink},
		{http.MethodPost, paths.ConsoleOwnerImpersonate(5), paths.RouteConsoleOwnerImpersonate},
		{http.MethodPost, paths.ConsoleImpersonationExit(), paths.RouteConsoleImpersonationExit},
		{http.MethodGet, paths.ConsoleStaff(), paths.RouteConsoleStaff},
		{http.MethodPost, paths.ConsoleStaff(), paths.RouteConsoleStaff},
		{http.MethodPost, paths.ConsoleStaffPasswordLink(2), paths.RouteConsoleStaffPasswordLink},
		{http.MethodPost, paths.ConsoleStaffUnlock(2), paths.RouteConsoleStaffUnlock},
		{http.MethodPost, paths.ConsoleStaffDisable(2), paths.RouteConsoleStaffDisable},
		{http.MethodPost, paths.ConsoleStaffEnable(2), paths.RouteConsoleStaffEnable},
		{http.MethodGet, paths.ConsoleAudit(nil), paths.RouteConsoleAudit},
		{http.MethodGet, paths.ConsoleAuditCSV(q), paths.RouteConsoleAuditCSV},
		{http.MethodGet, paths.ConsoleWebhooks(q), paths.RouteConsoleWebhooks},
		{http.MethodGet, paths.ConsoleFailedEvents(q), paths.RouteConsoleFailedEvents},
		{http.MethodPost, paths.ConsoleFailedEventRetry(9), paths.RouteConsoleFailedEventRetry},
		{http.MethodGet, paths.ConsoleJobsHome(), paths.RouteConsoleJobsTree},
		{http.MethodGet, paths.ConsoleCampaigns(nil), paths.RouteConsoleCampaigns},
		{http.MethodGet, paths.ConsoleCampaigns(url.Values{"before": {"9"}}), paths.RouteConsoleCampaigns},
		{http.MethodPost, paths.ConsoleCampaigns(nil), paths.RouteConsoleCampaigns},
		{http.MethodGet, paths.ConsoleCampaignNew(), paths.RouteConsoleCampaignNew},
		{http.MethodGet, paths.ConsoleCampaignNewFromAlert(3), paths.RouteConsoleCampaignNew},
		{http.MethodGet, paths.ConsoleNeedsPerson(nil), paths.RouteConsoleNeedsPerson},
		{http.MethodGet, paths.ConsoleNeedsPerson(url.Values{"campaign": {"4"}, "before": {"9"}}), paths.RouteConsoleNeedsPerson},
		{http.MethodGet, paths.ConsoleCampaign(4, nil), paths.RouteConsoleCampaign},
		{http.MethodGet, paths.ConsoleCampaign(4, q), paths.RouteConsoleCampaign},
		{http.MethodGet, paths.ConsoleCampaignNotices(4), paths.RouteConsoleCampaignNotices},
		{http.MethodGet, paths.ConsoleCampaignFunnel(4, nil), paths.RouteConsoleCampaignFunnel},
		{http.MethodGet, paths.ConsoleCampaignFunnel(4, url.Values{"wave": {"2"}, "model": {"Model 3"}}), paths.RouteConsoleCampaignFunnel},
		{http.MethodGet, paths.ConsoleCampaignVehiclesCSV(4), paths.RouteConsoleCampaignVehiclesCSV},
		{http.MethodPost, paths.ConsoleCampaignTestEmail(4), paths.RouteConsoleCampaignTestEmail},
		{http.MethodGet, paths.ConsoleCampaignMove(4, "launch"), paths.RouteConsoleCampaignLaunch},
		{http.MethodPost, paths.ConsoleCampaignMove(4, "launch"), paths.RouteConsoleCampaignLaunch},
		{http.MethodPost, paths.ConsoleCampaignMove(4, "pause"), paths.RouteConsoleCampaignPause},
		{http.MethodPost, paths.ConsoleCampaignMove(4, "resume"), paths.RouteConsoleCampaignResume},
		{http.MethodPost, paths.ConsoleCampaignMove(4, "cancel"), paths.RouteConsoleCampaignCancel},
		{http.MethodGet, paths.ConsoleCampaignMove(4, "follow-up"), paths.RouteConsoleCampaignFollowUp},
		{http.MethodPost, paths.ConsoleCampaignMove(4, "follow-up"), paths.RouteConsoleCampaignFollowUp},
		{http.MethodPost, api("/email-events"), api(paths.RouteAPIEmailEvents)},
		{http.MethodPost, paths.ConsoleOIDCStart(), paths.RouteConsoleOIDCStart},
		{http.MethodGet, paths.ConsoleOIDCCallback(), paths.RouteConsoleOIDCCallback},
		{http.MethodGet, paths.RouteHealthz, paths.RouteHealthz},
		{http.MethodGet, paths.RouteReadyz, paths.RouteReadyz},
		{http.MethodGet, paths.RouteMetrics, paths.RouteMetrics},
		{http.MethodGet, paths.RouteOpenAPI, paths.RouteOpenAPI},
		{http.MethodPost, paths.RouteSmartcarWebhook, paths.RouteSmartcarWebhook},
		{http.MethodPut, api("/owners/u-1"), api(paths.RouteAPIOwner)},
		{http.MethodPut, api("/owners/u-1/vehicles/v-1"), api(paths.RouteAPIVehicle)},
		{http.MethodGet, api("/owners/u-1/status"), api(paths.RouteAPIOwnerStatus)},
		{http.MethodGet, api("/owners/u-1/events"), api(paths.RouteAPIOwnerEvents)},
		{http.MethodPost, api("/links"), api(paths.RouteAPILinks)},
		{http.MethodPost, api("/errors"), api(paths.RouteAPIErrors)},
		{http.MethodGet, api("/webhook-events/e-1"), api(paths.RouteAPIWebhookEvent)},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		c := s.e.NewContext(nil, nil)
		s.e.Router().Find(tc.method, u.Path, c)
		if c.Path() != tc.pattern {
			t.Errorf("%s %s lands on %q, want %q", tc.method, tc.url, c.Path(), tc.pattern)
		}
	}
}

// Every route has a name of the form audience.action, so that links can be
// built from names and a reader can find a route by what it is for.
func TestEveryRouteIsNamed(t *testing.T) {
	name := regexp.MustCompile(`^(ops|api|webhook|owner|devinbox|console)\.[a-z_]+$`)
	n := 0
	for _, r := range testServer(t).e.Routes() {
		// Echo adds these for groups with middleware; they answer 404
		// behind the group's middleware and are no route of ours.
		if r.Method == echo.RouteNotFound {
			continue
		}
		n++
		if !name.MatchString(r.Name) {
			t.Errorf("%s %s is named %q", r.Method, r.Path, r.Name)
		}
		if strings.HasPrefix(r.Path, paths.RouteConsole) != strings.HasPrefix(r.Name, "console.") {
			t.Errorf("%s %s is named %q, outside its audience", r.Method, r.Path, r.Name)
		}
	}
	if n == 0 {
		t.Fatal("no routes")
	}
}
