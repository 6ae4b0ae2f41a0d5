package smartcarsim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestBehaviour01_AuthorizeRejectsBadParametersWithoutRedirecting(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name    string
		params  map[string]string
		message string
		// exitTo is where "Exit" leads: "" for the hosted page.
		exitTo string
	}{
		{"missing response_type", map[string]string{"response_type": "-"},
			`400: Missing required parameter: "response_type"`, testRedirect},
		{"wrong response_type", map[string]string{"response_type": "token"},
			`400: Invalid parameter response_type: token`, testRedirect},
		{"M2M client id", map[string]string{"client_id": testAPIClientID},
			`400: Invalid parameter client_id: ` + testAPIClientID, ""},
		{"unknown client id", map[string]string{"client_id": "00000000-0000-4000-8000-000000000000"},
			`400: Invalid parameter client_id: 00000000-0000-4000-8000-000000000000`, ""},
		{"unregistered redirect_uri", map[string]string{"redirect_uri": "https://evil.example.com/cb"},
			`400: Unauthorized redirect_uri`, testRedirect},
		{"redirect_uri differing by a slash", map[string]string{"redirect_uri": testRedirect + "/"},
			`400: Unauthorized redirect_uri`, testRedirect},
		{"plain http off localhost", map[string]string{"redirect_uri": plainHTTPRemote},
			`400: Unauthorized redirect_uri`, testRedirect},
		{"bad mode", map[string]string{"mode": "sandbox"}, `400: Invalid parameter mode: sandbox`, testRedirect},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.browser()
			p := h.open(c, h.authURL(tc.params))
			if p.status != http.StatusBadRequest || p.location != "" {
				t.Fatalf("want a 400 page without redirect, got %d location %q", p.status, p.location)
			}
			if !p.has(tc.message) {
				t.Fatalf("page lacks %q: %s", tc.message, p.body)
			}
			if !strings.Contains(p.raw, `data-testid="sim-exit"`) {
				t.Fatal("no Exit button")
			}
			exit := h.submit(c, "/oauth/exit", url.Values{"session": {p.session(t)}})
			if tc.exitTo == "" {
				if exit.status != http.StatusOK || exit.location != "" {
					t.Fatalf("exit without a known app must stay on the simulator, got %d %q", exit.status, exit.location)
				}
				return
			}
			q := exit.callback(t)
			if !strings.HasPrefix(exit.location, tc.exitTo+"?") {
				t.Fatalf("exit went to %s, want %s", exit.location, tc.exitTo)
			}
			want := url.Values{"error": {"configuration_error"},
				"error_description": {"There has been an error in the configuration of your application."},
				"status_code":       {"400"}, "error_message": {strings.TrimPrefix(tc.message, "400: ")}, "state": {"st-1"}}
			for k, v := range want {
				if q.Get(k) != v[0] {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v[0])
				}
			}
		})
	}

	t.Run("application_id is accepted in place of client_id", func(t *testing.T) {
		q := h.connect("appid@example.com", map[string]string{"client_id": "-", "application_id": testClientID})
		if q.Get("code") == "" {
			t.Fatalf("no code: %v", q)
		}
	})
	t.Run("http is allowed for localhost", func(t *testing.T) {
		c := h.browser()
		p := h.walk(c, h.open(c, h.authURL(map[string]string{"redirect_uri": localRedirect})), "local@example.com")
		if !strings.HasPrefix(p.location, localRedirect+"?") {
			t.Fatalf("callback %q", p.location)
		}
	})
	t.Run("omitted redirect_uri uses the first registered one", func(t *testing.T) {
		c := h.browser()
		p := h.walk(c, h.open(c, h.authURL(map[string]string{"redirect_uri": "-"})), "default@example.com")
		if !strings.HasPrefix(p.location, testRedirect+"?") {
			t.Fatalf("callback %q", p.location)
		}
	})
}

func TestBehaviour02_LoginVehicleChoiceAndGrantScreen(t *testing.T) {
	h := newHarness(t)

	t.Run("brand choice is shown without make and skipped with it", func(t *testing.T) {
		c := h.browser()
		p := h.open(c, h.authURL(map[string]string{"make": "-"}))
		if p.status != http.StatusOK || !strings.Contains(p.raw, `data-testid="sim-brand-FORD"`) {
			t.Fatalf("no brand page: %d %s", p.status, p.body)
		}
		p = h.submit(c, "/oauth/brand", url.Values{"session": {p.session(t)}, "make": {"FORD"}})
		if !strings.Contains(p.raw, `data-testid="sim-login"`) || !p.has("Ford") {
			t.Fatalf("no Ford login page: %s", p.body)
		}
		p = h.open(c, h.authURL(map[string]string{"make": "BMW"}))
		if !strings.Contains(p.raw, `data-testid="sim-login"`) || strings.Contains(p.raw, "sim-brand-") {
			t.Fatalf("make did not skip the brand page: %s", p.body)
		}
	})

	t.Run("a new email gets one or two cars of the chosen brand", func(t *testing.T) {
		c := h.browser()
		p := h.open(c, h.authURL(map[string]string{"make": "FORD"}))
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"new@example.com"}, "password": {"x"}, "action": {"login"}})
		ids := p.vehicleIDs()
		if len(ids) < 1 || len(ids) > 2 {
			t.Fatalf("got %d vehicles", len(ids))
		}
		for _, v := range h.sim.Vehicles() {
			if v.Email == "new@example.com" && v.Make != "FORD" {
				t.Errorf("vehicle of make %s", v.Make)
			}
		}
	})

	t.Run("a seeded email sees its own cars", func(t *testing.T) {
		u, err := h.sim.CreateUser(UserSpec{Email: "seeded@example.com", Vehicles: []VehicleSpec{
			{Make: "TESLA", Model: "Model 3", Year: 2020}, {Make: "TESLA", Model: "Model Y", Year: 2022}, {Make: "FORD"}}})
		if err != nil {
			t.Fatal(err)
		}
		c := h.browser()
		p := h.open(c, h.authURL(nil))
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"Seeded@Example.com"}, "password": {"x"}, "action": {"login"}})
		got := p.vehicleIDs()
		want := []string{u.Vehicles[0].ID, u.Vehicles[1].ID}
		if !slices.Equal(got, want) {
			t.Fatalf("vehicles %v, want the two Teslas %v", got, want)
		}
	})

	t.Run("single_select allows exactly one vehicle", func(t *testing.T) {
		h.sim.CreateUser(UserSpec{Email: "two@example.com", Vehicles: []VehicleSpec{{Make: "TESLA"}, {Make: "TESLA"}}})
		c := h.browser()
		p := h.open(c, h.authURL(map[string]string{"single_select": "true"}))
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"two@example.com"}, "password": {"x"}, "action": {"login"}})
		if !strings.Contains(p.raw, `type="radio"`) {
			t.Fatal("single_select should offer radio buttons")
		}
		ids := p.vehicleIDs()
		bad := h.submit(c, "/oauth/vehicles", url.Values{"session": {p.session(t)}, "vehicle": ids, "action": {"continue"}})
		if bad.status != http.StatusUnprocessableEntity {
			t.Fatalf("two vehicles with single_select: %d", bad.status)
		}
		ok := h.walk(c, h.submit(c, "/oauth/vehicles", url.Values{"session": {p.session(t)}, "vehicle": ids[:1], "action": {"continue"}}), "")
		tok := h.exchange(ok.callback(t).Get("code"), testRedirect)
		vs := h.do("GET", "/v2.0/vehicles", nil, withBearer(tok.json["access_token"].(string)))
		if n := len(vs.json["vehicles"].([]any)); n != 1 {
			t.Fatalf("token covers %d vehicles", n)
		}
	})

	t.Run("single_select_vin picks that VIN and beats make", func(t *testing.T) {
		u, _ := h.sim.CreateUser(UserSpec{Email: "vin@example.com", Vehicles: []VehicleSpec{
			{Make: "TESLA", VIN: "5YJ3E1EA7KF000001"}, {Make: "FORD", VIN: "1FTFW1E50PF000002"}}})
		c := h.browser()
		p := h.open(c, h.authURL(map[string]string{"make": "FORD", "single_select_vin": "5YJ3E1EA7KF000001"}))
		if !p.has("Log in to your Tesla account") {
			t.Fatalf("the VIN's brand should win: %s", p.body)
		}
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"vin@example.com"}, "password": {"x"}, "action": {"login"}})
		if strings.Contains(p.raw, `action="/oauth/vehicles"`) {
			t.Fatal("single_select_vin must not offer a choice")
		}
		q := h.walk(c, p, "").callback(t)
		tok := h.exchange(q.Get("code"), testRedirect)
		vs := h.do("GET", "/v2.0/vehicles", nil, withBearer(tok.json["access_token"].(string)))
		if got := dig(vs.json, "vehicles", 0); got != u.Vehicles[0].ID || len(vs.json["vehicles"].([]any)) != 1 {
			t.Fatalf("vehicles %v, want only %s", vs.json["vehicles"], u.Vehicles[0].ID)
		}
	})

	t.Run("required scopes are locked and at least one must stay", func(t *testing.T) {
		c := h.browser()
		p := h.open(c, h.authURL(map[string]string{"scope": "required:read_vehicle_info read_odometer read_location", "approval_prompt": "force"}))
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"scopes@example.com"}, "password": {"x"}, "action": {"login"}})
		p = h.submit(c, "/oauth/vehicles", url.Values{"session": {p.session(t)}, "vehicle": p.vehicleIDs()[:1], "action": {"continue"}})
		if !strings.Contains(p.raw, `checked disabled data-testid="sim-scope-read_vehicle_info"`) {
			t.Fatalf("required scope not locked: %s", p.raw)
		}
		sess := p.session(t)
		// A crafted post leaving out the required scope still grants it.
		q := h.submit(c, "/oauth/grant", url.Values{"session": {sess}, "scope": {"read_location"}, "action": {"approve"}}).callback(t)
		tok := h.exchange(q.Get("code"), testRedirect).json["access_token"].(string)
		vid := dig(h.do("GET", "/v2.0/vehicles", nil, withBearer(tok)).json, "vehicles", 0).(string)
		perms := h.do("GET", "/v2.0/vehicles/"+vid+"/permissions", nil, withBearer(tok)).json["permissions"]
		if !slices.Equal(toStrings(perms), []string{"read_vehicle_info", "read_location"}) {
			t.Fatalf("permissions %v", perms)
		}

		p = h.open(c, h.authURL(map[string]string{"scope": "read_odometer read_location", "approval_prompt": "force"}))
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"scopes@example.com"}, "password": {"x"}, "action": {"login"}})
		p = h.submit(c, "/oauth/vehicles", url.Values{"session": {p.session(t)}, "vehicle": p.vehicleIDs()[:1], "action": {"continue"}})
		none := h.submit(c, "/oauth/grant", url.Values{"session": {p.session(t)}, "action": {"approve"}})
		if none.status != http.StatusUnprocessableEntity || !none.has("Keep at least one permission") {
			t.Fatalf("unchecking everything: %d", none.status)
		}
	})

	t.Run("grant screen skipped for approved scopes unless forced", func(t *testing.T) {
		h.connect("again@example.com", nil)
		c := h.browser()
		p := h.open(c, h.authURL(nil))
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"again@example.com"}, "password": {"x"}, "action": {"login"}})
		p = h.submit(c, "/oauth/vehicles", url.Values{"session": {p.session(t)}, "vehicle": p.vehicleIDs(), "action": {"continue"}})
		if p.status != http.StatusFound {
			t.Fatalf("approval_prompt=auto should skip the grant screen, got %d", p.status)
		}
		p = h.open(c, h.authURL(map[string]string{"approval_prompt": "force"}))
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"again@example.com"}, "password": {"x"}, "action": {"login"}})
		p = h.submit(c, "/oauth/vehicles", url.Values{"session": {p.session(t)}, "vehicle": p.vehicleIDs(), "action": {"continue"}})
		if !strings.Contains(p.raw, `data-testid="sim-approve"`) {
			t.Fatalf("force should show the grant screen, got %d", p.status)
		}
		p = h.open(c, h.authURL(map[string]string{"scope": "read_vehicle_info read_location"}))
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"again@example.com"}, "password": {"x"}, "action": {"login"}})
		p = h.submit(c, "/oauth/vehicles", url.Values{"session": {p.session(t)}, "vehicle": p.vehicleIDs(), "action": {"continue"}})
		if !strings.Contains(p.raw, `data-testid="sim-approve"`) {
			t.Fatal("a new scope should show the grant screen")
		}
	})
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestBehaviour03_CallbackCarriesCodeUserIDStateAndExternalID(t *testing.T) {
	h := newHarness(t)
	state := `a b+c/d?e=f&g%h€"<>`
	q := h.connect("owner@example.com", map[string]string{"state": state, "external_id": "crm-42"})
	if q.Get("code") == "" || q.Get("user_id") == "" {
		t.Fatalf("missing code or user_id: %v", q)
	}
	if q.Get("state") != state {
		t.Fatalf("state %q, want %q", q.Get("state"), state)
	}
	if q.Get("external_id") != "crm-42" {
		t.Fatalf("external_id %q", q.Get("external_id"))
	}
	again := h.connect("owner@example.com", map[string]string{"approval_prompt": "force"})
	if again.Get("user_id") != q.Get("user_id") {
		t.Fatal("user_id must be stable per owner account")
	}
	if again.Has("external_id") || again.Has("state") != true {
		t.Fatalf("external_id echoed when not sent: %v", again)
	}
	other := h.connect("someone-else@example.com", nil)
	if other.Get("user_id") == q.Get("user_id") {
		t.Fatal("different owners share a user_id")
	}

	t.Run("callback keeps the redirect_uri's own query", func(t *testing.T) {
		reg := "https://app.example.com/cb?tenant=a%2Fb"
		h2 := newHarness(t, func(c *Config) { c.RedirectURIs = []string{reg} })
		c := h2.browser()
		p := h2.walk(c, h2.open(c, h2.authURL(map[string]string{"redirect_uri": reg})), "q@example.com")
		if !strings.HasPrefix(p.location, reg+"&code=") {
			t.Fatalf("callback %s", p.location)
		}
	})

	t.Run("errors carry error, description, state and vehicle details", func(t *testing.T) {
		c := h.browser()
		p := h.open(c, h.authURL(map[string]string{"state": state}))
		q := h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"smartcar@vehicle-incompatible.com"},
			"password": {"x"}, "action": {"login"}}).callback(t)
		want := map[string]string{"error": "vehicle_incompatible", "error_description": "The user's vehicle is not compatible.",
			"state": state, "vin": "0SCAUDI012FE3B132", "make": "AUDI", "model": "A4", "year": "2018"}
		for k, v := range want {
			if q.Get(k) != v {
				t.Errorf("%s = %q, want %q", k, q.Get(k), v)
			}
		}
		if q.Has("code") {
			t.Error("an error callback must not carry a code")
		}
	})
}

func TestBehaviour04_ErrorsThatReachTheCallback(t *testing.T) {
	h := newHarness(t)
	login := func(email, action string) page {
		c := h.browser()
		p := h.open(c, h.authURL(nil))
		return h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {email}, "password": {"x"}, "action": {action}})
	}
	cases := []struct {
		name, want, description string
		run                     func() page
	}{
		{"deny on login", "access_denied", "User denied access to application.", func() page { return login("x@example.com", "deny") }},
		{"deny on grant", "access_denied", "User denied access to application.", func() page {
			c := h.browser()
			p := h.open(c, h.authURL(map[string]string{"approval_prompt": "force"}))
			p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"g@example.com"}, "password": {"x"}, "action": {"login"}})
			p = h.submit(c, "/oauth/vehicles", url.Values{"session": {p.session(t)}, "vehicle": p.vehicleIDs(), "action": {"continue"}})
			return h.submit(c, "/oauth/grant", url.Values{"session": {p.session(t)}, "action": {"deny"}})
		}},
		{"invalid subscription persona", "invalid_subscription", "User does not have an active connected vehicle subscription.",
			func() page { return login("smartcar@invalid-subscription.com", "login") }},
		{"no vehicles persona", "no_vehicles", "No vehicles found. Please add vehicles to your account and try again.",
			func() page { return login("smartcar@no-vehicles.com", "login") }},
		{"incompatible persona", "vehicle_incompatible", "The user's vehicle is not compatible.",
			func() page { return login("smartcar@vehicle-incompatible.com", "login") }},
		{"server error persona", "server_error", "Unexpected server error. Please try again later.",
			func() page { return login("smartcar@server-error.com", "login") }},
		{"configuration error persona", "configuration_error", "There has been an error in the configuration of your application.",
			func() page { return login("smartcar@configuration-error.com", "login") }},
		{"test VIN in live mode", "configuration_error", "There has been an error in the configuration of your application.",
			func() page {
				return h.open(h.browser(), h.authURL(map[string]string{"single_select_vin": "0SCAUDI0155C49A95"}))
			}},
		{"seeded account without cars of the brand", "no_vehicles", "No vehicles found. Please add vehicles to your account and try again.",
			func() page {
				h.sim.CreateUser(UserSpec{Email: "fordonly@example.com", Vehicles: []VehicleSpec{{Make: "FORD"}}})
				return login("fordonly@example.com", "login")
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.run().callback(t)
			if q.Get("error") != tc.want || q.Get("error_description") != tc.description || q.Get("state") != "st-1" {
				t.Fatalf("callback %v", q)
			}
			if tc.want == "configuration_error" && (q.Get("status_code") != "400" || q.Get("error_message") == "") {
				t.Fatalf("configuration_error needs status_code and error_message: %v", q)
			}
		})
	}
}

func TestBehaviour05_Reauthentication(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t, testAMT)
	h.webhook(rc)
	u, tok := h.seed("tesla-owner@example.com", "TESLA")
	vid := u.Vehicles[0].ID
	if err := h.sim.SetFailure(vid, "CSA", "AUTHENTICATION_FAILED"); err != nil {
		t.Fatal(err)
	}
	broken := h.do("GET", "/v2.0/vehicles/"+vid, nil, withBearer(tok.AccessToken))
	link := dig(broken.json, "resolution", "url").(string)

	reauth := func(extra url.Values, email string) page {
		c := h.browser()
		target := link + "&" + extra.Encode()
		return h.walk(c, h.open(c, target), email)
	}

	t.Run("success returns vehicle_id and no code and repairs the vehicle", func(t *testing.T) {
		p := reauth(url.Values{"redirect_uri": {testRedirect}, "state": {"re-1"}, "external_id": {"crm-7"}}, "tesla-owner@example.com")
		q := p.callback(t)
		if q.Get("vehicle_id") != vid || q.Get("state") != "re-1" || q.Get("external_id") != "crm-7" || q.Has("code") {
			t.Fatalf("callback %v", q)
		}
		ok := h.do("GET", "/v2.0/vehicles/"+vid, nil, withBearer(tok.AccessToken))
		if ok.status != http.StatusOK {
			t.Fatalf("the old access token should work after re-auth: %d %s", ok.status, ok.raw)
		}
		waitFor(t, "RESOLVED", func() bool {
			for _, e := range rc.ofType("VEHICLE_ERROR") {
				if dig(e.body, "data", "errors", 0, "state") == "RESOLVED" {
					return true
				}
			}
			return false
		})
		if h.sim.Users()[0].ExternalID != "crm-7" {
			t.Fatal("external_id not stored")
		}
	})

	t.Run("external_id=null clears the stored value", func(t *testing.T) {
		q := reauth(url.Values{"redirect_uri": {testRedirect}, "external_id": {"null"}}, "tesla-owner@example.com").callback(t)
		if q.Has("external_id") || h.sim.Users()[0].ExternalID != "" {
			t.Fatalf("external_id not cleared: %v %+v", q, h.sim.Users()[0])
		}
	})

	t.Run("response_type none ends on a hosted page", func(t *testing.T) {
		c := h.browser()
		target := strings.Replace(link, "response_type=vehicle_id", "response_type=none", 1)
		p := h.walk(c, h.open(c, target), "tesla-owner@example.com")
		if p.status != http.StatusOK || p.location != "" || !strings.Contains(p.raw, "sim-done") {
			t.Fatalf("want the done page, got %d %s", p.status, p.body)
		}
	})

	t.Run("parameter errors", func(t *testing.T) {
		for _, tc := range []struct{ url, want string }{
			{link, `400: Missing required parameter: "redirect_uri"`},
			{h.base + "/oauth/reauthenticate?response_type=vehicle_id&application_id=" + testClientID + "&vehicle_id=nope&redirect_uri=" + url.QueryEscape(testRedirect),
				`400: Invalid parameter vehicle_id: nope`},
			{h.base + "/oauth/reauthenticate?response_type=vehicle_id&client_id=" + testAPIClientID + "&vehicle_id=" + vid + "&redirect_uri=" + url.QueryEscape(testRedirect),
				`400: Invalid parameter client_id: ` + testAPIClientID},
		} {
			p := h.open(h.browser(), tc.url)
			if p.status != http.StatusBadRequest || !p.has(tc.want) {
				t.Errorf("%s: got %d %s", tc.want, p.status, p.body)
			}
		}
	})

	t.Run("another account or a denial gives access_denied", func(t *testing.T) {
		q := reauth(url.Values{"redirect_uri": {testRedirect}, "state": {"s"}}, "someone@example.com").callback(t)
		if q.Get("error") != "access_denied" || q.Get("state") != "s" {
			t.Fatalf("callback %v", q)
		}
		c := h.browser()
		p := h.open(c, link+"&redirect_uri="+url.QueryEscape(testRedirect))
		p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"tesla-owner@example.com"}, "password": {"x"}, "action": {"login"}})
		q = h.submit(c, "/oauth/confirm", url.Values{"session": {p.session(t)}, "action": {"deny"}}).callback(t)
		if q.Get("error") != "access_denied" {
			t.Fatalf("callback %v", q)
		}
	})

	t.Run("a vehicle gone from the account gives the configured error", func(t *testing.T) {
		h.sim.SetFailure(vid, "CSA", "VEHICLE_MISSING")
		q := reauth(url.Values{"redirect_uri": {testRedirect}}, "tesla-owner@example.com").callback(t)
		if q.Get("error") != "no_vehicles" {
			t.Fatalf("callback %v", q)
		}
		h.switches(func(s *Switches) { s.ReauthMissingVehicleError = "vehicle_incompatible" })
		q = reauth(url.Values{"redirect_uri": {testRedirect}}, "tesla-owner@example.com").callback(t)
		if q.Get("error") != "vehicle_incompatible" || q.Get("vin") != u.Vehicles[0].VIN || q.Get("make") != "TESLA" {
			t.Fatalf("callback %v", q)
		}
	})
}

func TestBehaviour06_ScopeAcceptsPlusAndPercent20(t *testing.T) {
	h := newHarness(t)
	for _, enc := range []string{"read_vehicle_info+read_location", "read_vehicle_info%20read_location"} {
		t.Run(enc, func(t *testing.T) {
			c := h.browser()
			raw := h.base + "/oauth/authorize?response_type=code&client_id=" + testClientID + "&make=TESLA&approval_prompt=force&scope=" + enc
			p := h.open(c, raw)
			p = h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {"enc@example.com"}, "password": {"x"}, "action": {"login"}})
			p = h.submit(c, "/oauth/vehicles", url.Values{"session": {p.session(t)}, "vehicle": p.vehicleIDs(), "action": {"continue"}})
			if got := p.scopeNames(); !slices.Equal(got, []string{"read_vehicle_info", "read_location"}) {
				t.Fatalf("scopes on grant page %v", got)
			}
		})
	}
}

func TestConnectPagesAreAccessibleAndSmall(t *testing.T) {
	h := newHarness(t)
	c := h.browser()
	p := h.open(c, h.authURL(map[string]string{"make": "-"}))
	for _, want := range []string{`<html lang="en">`, "<h1>", "<main>", `data-testid="sim-brand-TESLA"`} {
		if !strings.Contains(p.raw, want) {
			t.Errorf("brand page lacks %s", want)
		}
	}
	p = h.submit(c, "/oauth/brand", url.Values{"session": {p.session(t)}, "make": {"TESLA"}})
	for _, want := range []string{`<label for="email">`, `<label for="password">`, `data-testid="sim-login"`, `data-testid="sim-deny"`} {
		if !strings.Contains(p.raw, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	if len(p.raw) > 8<<10 || strings.Contains(p.raw, "<script") {
		t.Errorf("login page is %d bytes or has script", len(p.raw))
	}
	bad := h.submit(c, "/oauth/login", url.Values{"session": {p.session(t)}, "email": {""}, "password": {""}, "action": {"login"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.raw, `role="alert"`) {
		t.Errorf("empty login: %d", bad.status)
	}
	gone := h.submit(c, "/oauth/login", url.Values{"session": {"nope"}})
	if gone.status != http.StatusBadRequest {
		t.Errorf("unknown session: %d", gone.status)
	}
}

func TestConnectRejectsOutOfOrderPosts(t *testing.T) {
	h := newHarness(t)
	c := h.browser()
	p := h.open(c, h.authURL(nil))
	sess := p.session(t)
	for path, form := range map[string]url.Values{
		"/oauth/grant":    {"session": {sess}, "scope": {"read_odometer"}, "action": {"approve"}},
		"/oauth/vehicles": {"session": {sess}, "vehicle": {"x"}},
		"/oauth/confirm":  {"session": {sess}, "action": {"approve"}},
		"/oauth/exit":     {"session": {sess}},
	} {
		if r := h.submit(c, path, form); r.status != http.StatusBadRequest || r.location != "" {
			t.Errorf("%s before login: %d %q", path, r.status, r.location)
		}
	}
	bad := h.open(c, h.authURL(map[string]string{"redirect_uri": "https://evil.example.com/cb"}))
	r := h.submit(c, "/oauth/login", url.Values{"session": {bad.session(t)}, "email": {"a@example.com"}, "password": {"x"}, "action": {"login"}})
	if r.status != http.StatusBadRequest {
		t.Errorf("an error page's session must only Exit, got %d", r.status)
	}
}
