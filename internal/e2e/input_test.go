package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/textcheck"
	"reconnect/web/paths"
)

// badText is one of each kind of text no field takes.
var badText = map[string]string{
	"NUL":           "a\x00b",
	"DEL":           "a\x7fb",
	"C1":            "a\u0085b",
	"invalid UTF-8": "a\xffb",
}

// Forms and query parameters of pages refuse control characters and
// invalid UTF-8 with 422 naming the field, on both databases.
func TestPageFormsRefuseControlCharacters(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		st := w.app.Store
		alice := w.owner(t, "demo-alice").Owner
		tesla := w.vehicle(t, "demo-alice", "TESLA")

		owner := newBrowser(t, w.appURL)
		owner.open(w.owner(t, "demo-alice").Link)
		decline := paths.VehicleDecline(tesla.ID)
		tok := owner.csrf(decline)
		for what, v := range badText {
			res, body := owner.post(decline, url.Values{"_csrf": {tok}, "reason": {"sold" + v}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "reason") {
				t.Errorf("decline reason with %s: %d", what, res.StatusCode)
			}
		}
		if v := w.vehicle(t, "demo-alice", "TESLA"); v.State == model.StateDeclined {
			t.Fatal("a refused decline declined the car")
		}

		staff := consoleBrowser(t, w, "rita@example.com", store.RoleAdmin)
		ownerPage := paths.ConsoleOwner(alice.ID)
		ctok := staff.csrf(ownerPage)
		n := auditCount(t, st)
		for what, v := range badText {
			if res, body := staff.get(paths.ConsoleSearch(url.Values{"q": {"alice" + v}})); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "q") {
				t.Errorf("search with %s: %d", what, res.StatusCode)
			}
			res, body := staff.post(paths.ConsoleOwnerImpersonate(alice.ID), url.Values{"_csrf": {ctok}, "reason": {"ticket 4711 " + v}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "reason") {
				t.Errorf("impersonation reason with %s: %d", what, res.StatusCode)
			}
			res, _ = staff.post(paths.ConsoleStaff(), url.Values{"_csrf": {ctok}, "email": {"new@example.com"}, "name": {"New " + v}, "role": {store.RoleAgent}})
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("staff name with %s: %d", what, res.StatusCode)
			}
		}
		if got := auditCount(t, st); got != n {
			t.Fatalf("refused input wrote %d audit entries", got-n)
		}
		// Too long, each at its own limit.
		for what, tc := range map[string]struct {
			path string
			form url.Values
		}{
			"impersonation reason": {paths.ConsoleOwnerImpersonate(alice.ID), url.Values{"reason": {strings.Repeat("r", textcheck.Reason+1)}}},
			"staff name":           {paths.ConsoleStaff(), url.Values{"email": {"long@example.com"}, "name": {strings.Repeat("n", textcheck.PersonName+1)}, "role": {store.RoleAgent}}},
			"staff email":          {paths.ConsoleStaff(), url.Values{"email": {strings.Repeat("e", textcheck.Email) + "@example.com"}, "role": {store.RoleAgent}}},
		} {
			tc.form.Set("_csrf", ctok)
			if res, _ := staff.post(tc.path, tc.form); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s too long: %d", what, res.StatusCode)
			}
		}
		if res, _ := staff.get(paths.ConsoleSearch(url.Values{"q": {strings.Repeat("q", textcheck.Query+1)}})); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a search too long: %d", res.StatusCode)
		}
		// A line break is fine in the one multi-line field.
		if res, _ := staff.post(paths.ConsoleOwnerImpersonate(alice.ID), url.Values{"_csrf": {ctok}, "reason": {"ticket 4711:\r\ncannot see the car"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("a two-line reason: %d", res.StatusCode)
		}
	})
}

// The example: a car's model comes from the host and may be long;
// declining it must not put the model in a cookie, nor answer 500 after
// the decline committed.
func TestLongModelDeclinesCleanly(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		ctx := context.Background()
		_, key, err := w.app.Store.CreateAPIKey(ctx, "test")
		if err != nil {
			t.Fatal(err)
		}
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		put := func(model string) (int, map[string]any) {
			b, _ := json.Marshal(map[string]any{"make": "TESLA", "model": model})
			req, _ := http.NewRequest(http.MethodPut, w.appURL+"/api/v1/owners/demo-alice/vehicles/"+tesla.SmartcarID, strings.NewReader(string(b)))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(res.Body).Decode(&out)
			return res.StatusCode, out
		}
		if status, out := put(strings.Repeat("M", 2300)); status != 422 || out["error"].(map[string]any)["field"] != "model" {
			t.Fatalf("a 2,300-character model: %d %v", status, out)
		}
		long := strings.Repeat("Ü", textcheck.Model)
		if status, out := put(long); status != 200 {
			t.Fatalf("the longest model: %d %v", status, out)
		}
		b := newBrowser(t, w.appURL)
		b.open(w.owner(t, "demo-alice").Link)
		decline := paths.VehicleDecline(tesla.ID)
		res, _ := b.post(decline, url.Values{"_csrf": {b.csrf(decline)}, "reason": {"sold"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("declining the car with the long model: %d", res.StatusCode)
		}
		for _, c := range res.Cookies() {
			if len(c.Value) > 512 {
				t.Errorf("cookie %s holds %d bytes", c.Name, len(c.Value))
			}
		}
		res, body := b.get(paths.OwnerPage())
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="flash"`) || !strings.Contains(body, long) {
			t.Fatalf("the page after declining: %d", res.StatusCode)
		}
		if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateDeclined {
			t.Fatalf("the car is %s", v.State)
		}
	})
}
