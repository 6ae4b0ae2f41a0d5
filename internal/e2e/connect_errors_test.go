package e2e

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"reconnect/internal/store"
	"reconnect/web/paths"
)

// A configuration_error from Connect tells the owner "we have been told":
// it is counted for the operator and shown to staff on the dashboard.
func TestConfigurationErrorReachesStaff(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		const scrape = "a-metrics-token-for-this-test-only"
		w := startWorld(t, dialect, map[string]string{"METRICS_TOKEN": scrape})
		staff := consoleBrowser(t, w, "cleo@example.com", store.RoleAgent)
		if _, body := staff.get(paths.Console()); !strings.Contains(body, "None in the last 7 days") {
			t.Fatal("the dashboard must say there were no configuration errors")
		}

		owner := newBrowser(t, w.appURL)
		owner.open(w.owner(t, "demo-alice").Link)
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		u := owner.reconnect(tesla.ID, "")
		cb := paths.ConnectCallback() + "?" + url.Values{"state": {u.Query().Get("state")}, "error": {"configuration_error"},
			"error_description": {"The redirect URI is not registered"}, "status_code": {"400"}, "error_message": {"Invalid redirect_uri"}}.Encode()
		if res, _ := owner.get(cb); res.StatusCode != http.StatusOK {
			t.Fatalf("the owner's return: %d", res.StatusCode)
		}

		req, _ := http.NewRequest(http.MethodGet, w.appURL+paths.RouteMetrics, nil)
		req.Header.Set("Authorization", "Bearer "+scrape)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		metrics := string(raw)
		for code, want := range map[string]string{"configuration_error": "1", "access_denied": "0", "server_error": "0"} {
			m := regexp.MustCompile(`reconnect_connect_errors_total\{error="` + code + `"\} (\d+)`).FindStringSubmatch(metrics)
			if m == nil || m[1] != want {
				t.Errorf("reconnect_connect_errors_total{error=%q}: %v, want %s", code, m, want)
			}
		}

		_, body := staff.get(paths.Console())
		if m := regexp.MustCompile(`data-testid="config-errors-count">(\d+)<`).FindStringSubmatch(body); m == nil || m[1] != "1" {
			t.Fatalf("the dashboard's configuration errors: %v", m)
		}
		if !regexp.MustCompile(`(?s)data-testid="config-errors".*Last:.*<time datetime=`).MatchString(body) {
			t.Fatal("the dashboard must say when the last one was")
		}
	})
}
