package smartcar

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func mustClient(t *testing.T, edit ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{ClientID: "app-uuid", ClientSecret: "secret", RedirectURI: "https://reconnect.example/callback"}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{}, true},
		{"simulator origin with trailing slash", Config{APIURL: "http://127.0.0.1:8080/"}, true},
		{"no scheme", Config{AuthURL: "auth.smartcar.com"}, false},
		{"ftp", Config{IAMURL: "ftp://iam.smartcar.com"}, false},
		{"query", Config{ConnectURL: "https://connect.smartcar.com?x=1"}, false},
		{"userinfo", Config{ManagementURL: "https://u:p@management.smartcar.com"}, false},
		{"bad mode", Config{Mode: "sandbox"}, false},
		{"relative redirect", Config{RedirectURI: "/callback"}, false},
		{"custom scheme redirect", Config{RedirectURI: "scapp-uuid://exchange"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New() err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	c, _ := New(Config{APIURL: "http://127.0.0.1:8080/"})
	if got := c.Config().APIURL; got != "http://127.0.0.1:8080" {
		t.Errorf("APIURL = %q, want trailing slash trimmed", got)
	}
	if got := c.Config().VehicleAPIURL; got != DefaultVehicleAPIURL {
		t.Errorf("VehicleAPIURL = %q, want default", got)
	}
	if c.Config().HTTPClient.Timeout != DefaultTimeout {
		t.Error("default HTTP client has no timeout")
	}
}

func TestAuthorizeURL(t *testing.T) {
	c := mustClient(t, func(c *Config) { c.Mode = ModeSimulated })
	raw := c.AuthorizeURL(AuthorizeParams{
		RequiredScopes:  []string{"read_vehicle_info"},
		Scopes:          []string{"read_odometer", "read_battery"},
		State:           "st8 with space",
		ForcePrompt:     true,
		Make:            "TESLA",
		SingleSelect:    true,
		SingleSelectVIN: "5YJ3E1EA7KF000000",
		Flags:           map[string]string{"country": "DE", "a": "b"},
		User:            "owner-7",
		ExternalID:      "ext-7",
	})
	if !strings.HasPrefix(raw, DefaultConnectURL+"/oauth/authorize?") {
		t.Fatalf("url = %s", raw)
	}
	u, _ := url.Parse(raw)
	want := map[string]string{
		"response_type":     "code",
		"client_id":         "app-uuid",
		"redirect_uri":      "https://reconnect.example/callback",
		"scope":             "required:read_vehicle_info read_odometer read_battery",
		"state":             "st8 with space",
		"approval_prompt":   "force",
		"mode":              "simulated",
		"make":              "TESLA",
		"single_select":     "true",
		"single_select_vin": "5YJ3E1EA7KF000000",
		"flags":             "a:b country:DE",
		"user":              "owner-7",
		"external_id":       "ext-7",
	}
	q := u.Query()
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q) != len(want) {
		t.Errorf("got params %v, want exactly %d", q, len(want))
	}
}

func TestAuthorizeURLMinimal(t *testing.T) {
	q := mustURL(t, mustClient(t).AuthorizeURL(AuthorizeParams{State: "s"})).Query()
	for _, k := range []string{"scope", "approval_prompt", "mode", "make", "single_select", "flags", "user", "external_id"} {
		if q.Has(k) {
			t.Errorf("%s should be omitted, got %q", k, q.Get(k))
		}
	}
	q = mustURL(t, mustClient(t).AuthorizeURL(AuthorizeParams{Mode: ModeTest})).Query()
	if q.Get("mode") != "test" || q.Has("state") {
		t.Errorf("query = %v", q)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestReauthURL(t *testing.T) {
	c := mustClient(t)
	tests := []struct {
		name string
		p    ReauthParams
		want url.Values
	}{
		{"vehicle_id", ReauthParams{VehicleID: "sc4a1b01e5", State: "0facda3319", ExternalID: "owner-1"}, url.Values{
			"response_type": {"vehicle_id"}, "client_id": {"app-uuid"}, "vehicle_id": {"sc4a1b01e5"},
			"redirect_uri": {"https://reconnect.example/callback"}, "state": {"0facda3319"}, "external_id": {"owner-1"},
		}},
		{"hosted completion has no redirect", ReauthParams{VehicleID: "v1", ResponseType: ReauthNone}, url.Values{
			"response_type": {"none"}, "client_id": {"app-uuid"}, "vehicle_id": {"v1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustURL(t, c.ReauthURL(tt.p))
			if u.Scheme+"://"+u.Host+u.Path != DefaultConnectURL+"/oauth/reauthenticate" {
				t.Errorf("url = %s", u)
			}
			if got := u.Query().Encode(); got != tt.want.Encode() {
				t.Errorf("query = %s, want %s", got, tt.want.Encode())
			}
		})
	}
}

func TestCompleteResolutionURL(t *testing.T) {
	c := mustClient(t)
	const partial = "https://connect.smartcar.com/oauth/reauthenticate?response_type=vehicle_id&client_id=app-uuid&vehicle_id=sc4a1b01e5"
	got, err := c.CompleteResolutionURL(partial, "st", "ext")
	if err != nil {
		t.Fatal(err)
	}
	q := mustURL(t, got).Query()
	for k, v := range map[string]string{"response_type": "vehicle_id", "client_id": "app-uuid", "vehicle_id": "sc4a1b01e5",
		"redirect_uri": "https://reconnect.example/callback", "state": "st", "external_id": "ext"} {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}

	t.Run("overrides planted values", func(t *testing.T) {
		got, err := c.CompleteResolutionURL(partial+"&redirect_uri=https://evil.example&state=theirs&external_id=x#frag", "", "")
		if err != nil {
			t.Fatal(err)
		}
		u := mustURL(t, got)
		q := u.Query()
		if q.Get("redirect_uri") != "https://reconnect.example/callback" || q.Has("state") || q.Has("external_id") || u.Fragment != "" {
			t.Errorf("url = %s", got)
		}
	})

	bad := map[string]string{
		"other host":        "https://connect.smartcar.com.evil.example/oauth/reauthenticate?vehicle_id=v",
		"http scheme":       "http://connect.smartcar.com/oauth/reauthenticate?vehicle_id=v",
		"javascript":        "javascript:alert(1)//connect.smartcar.com/oauth/reauthenticate",
		"userinfo trick":    "https://connect.smartcar.com@evil.example/oauth/reauthenticate?vehicle_id=v",
		"userinfo on host":  "https://evil@connect.smartcar.com/oauth/reauthenticate?vehicle_id=v",
		"wrong path":        "https://connect.smartcar.com/oauth/authorize?vehicle_id=v",
		"path prefix":       "https://connect.smartcar.com/oauth/reauthenticate/../../x?vehicle_id=v",
		"other port":        "https://connect.smartcar.com:8443/oauth/reauthenticate?vehicle_id=v",
		"relative":          "/oauth/reauthenticate?vehicle_id=v",
		"protocol relative": "//evil.example/oauth/reauthenticate?vehicle_id=v",
		"no vehicle":        "https://connect.smartcar.com/oauth/reauthenticate?response_type=vehicle_id",
		"unparsable":        "https://connect.smartcar.com/%zz",
		"empty":             "",
	}
	for name, raw := range bad {
		t.Run(name, func(t *testing.T) {
			if got, err := c.CompleteResolutionURL(raw, "st", ""); !errors.Is(err, ErrForeignResolutionURL) {
				t.Errorf("got %q, %v; want ErrForeignResolutionURL", got, err)
			}
		})
	}

	t.Run("simulator origin with a base path", func(t *testing.T) {
		sim := mustClient(t, func(c *Config) { c.ConnectURL = "http://127.0.0.1:9000/connect" })
		if _, err := sim.CompleteResolutionURL("http://127.0.0.1:9000/connect/oauth/reauthenticate?vehicle_id=v", "s", ""); err != nil {
			t.Error(err)
		}
		if _, err := sim.CompleteResolutionURL("http://127.0.0.1:9000/oauth/reauthenticate?vehicle_id=v", "s", ""); err == nil {
			t.Error("accepted a path outside the configured base")
		}
	})
}
