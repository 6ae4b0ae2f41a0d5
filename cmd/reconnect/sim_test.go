package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"reconnect/internal/demo"
)

func TestSimSettingsPrecedence(t *testing.T) {
	env := map[string]string{
		"SMARTCAR_CLIENT_ID":         "env-client-id",
		"SMARTCAR_CLIENT_SECRET":     "env-client-secret",
		"SMARTCAR_API_CLIENT_ID":     "client_env",
		"SMARTCAR_API_CLIENT_SECRET": "env-api-secret",
		"SMARTCAR_MANAGEMENT_TOKEN":  "env-amt-current,env-amt-previous",
		"SMARTCAR_REDIRECT_URI":      "https://app.example/connect/callback",
		"SIM_REDIRECT_URIS":          "http://localhost:3000/cb, https://app.example/connect/callback ,myapp://cb",
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want func(st simSettings) []string // got, want pairs flattened: got0, want0, got1, want1…
	}{
		{"nothing set: the demo's application", nil, nil, func(st simSettings) []string {
			return []string{
				st.clientID.value, demo.ClientID, st.clientSecret.value, demo.ClientSecret,
				st.apiClientID.value, demo.APIClientID, st.apiClientSecret.value, demo.APIClientSecret,
				st.managementToken.value, demo.ManagementToken, st.clientSecret.source, "demo",
				strings.Join(st.redirectURIs, " "), "http://127.0.0.1:8080/connect/callback",
			}
		}},
		{"the app's variables", env, nil, func(st simSettings) []string {
			return []string{
				st.clientID.value, "env-client-id", st.clientSecret.value, "env-client-secret",
				st.apiClientID.value, "client_env", st.apiClientSecret.value, "env-api-secret",
				st.managementToken.value, "env-amt-current", st.clientID.source, "environment",
				strings.Join(st.redirectURIs, " "), "https://app.example/connect/callback http://localhost:3000/cb myapp://cb",
			}
		}},
		{"flags win over variables", env, []string{
			"--client-id", "flag-client-id", "--client-secret", "flag-client-secret",
			"--api-client-id", "client_flag", "--api-client-secret", "flag-api-secret",
			"--management-token", "flag-amt", "--redirect-uri", "https://flag.example/cb", "--redirect-uris", "https://other.example/cb",
		}, func(st simSettings) []string {
			return []string{
				st.clientID.value, "flag-client-id", st.clientSecret.value, "flag-client-secret",
				st.apiClientID.value, "client_flag", st.apiClientSecret.value, "flag-api-secret",
				st.managementToken.value, "flag-amt", st.managementToken.source, "flag",
				strings.Join(st.redirectURIs, " "), "https://flag.example/cb https://other.example/cb",
			}
		}},
		{"--app-url moves the default callback", nil, []string{"--app-url", "http://localhost:9000/"}, func(st simSettings) []string {
			return []string{strings.Join(st.redirectURIs, " "), "http://localhost:9000/connect/callback"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := simSettingsFrom(tc.args, tc.env, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			pairs := tc.want(st)
			for i := 0; i < len(pairs); i += 2 {
				if pairs[i] != pairs[i+1] {
					t.Errorf("got %q, want %q", pairs[i], pairs[i+1])
				}
			}
		})
	}
}

func TestSimSettingsRefuseABadRedirectURI(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"SIM_REDIRECT_URIS": "https://ok.example/cb,/relative"}, nil, "SIM_REDIRECT_URIS"},
		{map[string]string{"SMARTCAR_REDIRECT_URI": "callback"}, nil, "SMARTCAR_REDIRECT_URI"},
		{nil, []string{"--redirect-uris", "::"}, "--redirect-uris"},
	} {
		_, err := simSettingsFrom(tc.args, tc.env, io.Discard)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: got %v, want a usage error naming %s", tc.env, tc.args, err, tc.want)
		}
	}
}

func TestRedactSecret(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "(not set)",
		"short":                     "set",
		"fifteen-chars-x":           "set",
		"a-long-enough-secret-9f3e": "set, ending in …9f3e",
	} {
		if got := redactSecret(in); got != want {
			t.Errorf("redactSecret(%q) = %q, want %q", in, got, want)
		}
	}
}

var simURLRE = regexp.MustCompile(`Smartcar simulator at (http://\S+)`)

// startSim runs `reconnect sim` on a free port and returns its base URL and
// what it printed.
func startSim(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...), env, &out, &errb) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("sim exited %d: %s", code, errb.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := simURLRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], &out
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sim did not start: %s %s", out.String(), errb.String())
	return "", nil
}

var (
	sessionFieldRE = regexp.MustCompile(`name="session" value="([^"]+)"`)
	vehicleFieldRE = regexp.MustCompile(`name="vehicle" value="([^"]+)"`)
	scopeFieldRE   = regexp.MustCompile(`name="scope" value="([^"]+)"`)
)

// connectCode runs Connect the way an owner who agrees to everything does,
// starting from an authorize URL, and returns the code from the callback.
func connectCode(t *testing.T, base, authorize string) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	read := func(resp *http.Response, err error) (int, string, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("Location")
	}
	status, body, loc := read(c.Get(authorize))
	for range 6 {
		if status == http.StatusFound {
			u, err := url.Parse(loc)
			if err != nil || u.Query().Get("code") == "" {
				t.Fatalf("callback without a code: %s", loc)
			}
			return u.Query().Get("code")
		}
		m := sessionFieldRE.FindStringSubmatch(body)
		if status != http.StatusOK || m == nil {
			t.Fatalf("Connect page %d: %s", status, body)
		}
		form := url.Values{"session": {m[1]}}
		var path string
		switch {
		case strings.Contains(body, `action="/oauth/login"`):
			path = "/oauth/login"
			form.Set("email", "dev@example.com")
			form.Set("password", "pw")
			form.Set("action", "login")
		case strings.Contains(body, `action="/oauth/vehicles"`):
			path = "/oauth/vehicles"
			for _, v := range vehicleFieldRE.FindAllStringSubmatch(body, -1) {
				form.Add("vehicle", v[1])
			}
			form.Set("action", "continue")
		case strings.Contains(body, `action="/oauth/grant"`):
			path = "/oauth/grant"
			for _, s := range scopeFieldRE.FindAllStringSubmatch(body, -1) {
				form.Add("scope", s[1])
			}
			form.Set("action", "approve")
		default:
			t.Fatalf("unexpected Connect page: %s", body)
		}
		status, body, loc = read(c.PostForm(base+path, form))
	}
	t.Fatal("Connect did not end")
	return ""
}

func tokenExchange(t *testing.T, base, id, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// `reconnect sim` runs as the application the environment and the flags
// describe: its client id, secret and registered callbacks, not the demo's.
func TestSimRunsAsTheConfiguredApplication(t *testing.T) {
	const (
		clientID    = "0d6c6a43-3f27-4c53-9c1b-2b7e3c0e8a11"
		envSecret   = "secret-from-the-environment-1111"
		flagSecret  = "secret-from-the-command-line-2222"
		registered  = "https://dev.example/smartcar/callback"
		alsoOK      = "http://localhost:3000/cb"
		amt         = "amt-from-the-environment-3333"
		appCallback = "http://127.0.0.1:8080/connect/callback" // the demo's, not registered here
	)
	env := map[string]string{
		"SMARTCAR_CLIENT_ID":        clientID,
		"SMARTCAR_CLIENT_SECRET":    envSecret,
		"SMARTCAR_MANAGEMENT_TOKEN": amt,
		"SIM_REDIRECT_URIS":         registered + "," + alsoOK,
	}
	base, out := startSim(t, env, "--client-secret", flagSecret)

	t.Run("the start-up summary redacts secrets", func(t *testing.T) {
		s := out.String()
		for _, secret := range []string{envSecret, flagSecret, amt} {
			if strings.Contains(s, secret) {
				t.Errorf("start-up output shows a secret: %s", s)
			}
		}
		for _, want := range []string{clientID, "…2222", "from --client-secret", "…3333", "from SMARTCAR_MANAGEMENT_TOKEN", registered + ", " + alsoOK} {
			if !strings.Contains(s, want) {
				t.Errorf("start-up output lacks %q: %s", want, s)
			}
		}
	})

	authorize := func(redirect string) string {
		return base + "/oauth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {clientID},
			"redirect_uri": {redirect}, "scope": {"read_vehicle_info"}, "make": {"TESLA"}, "state": {"s"}}.Encode()
	}
	for _, tc := range []struct {
		name     string
		url      string
		status   int
		contains string
	}{
		{"an unregistered redirect_uri is refused", authorize(appCallback), 400, "Unauthorized redirect_uri"},
		{"a redirect_uri from SIM_REDIRECT_URIS is accepted", authorize(alsoOK), 200, `action="/oauth/login"`},
		{"the demo's client id is unknown", strings.Replace(authorize(registered), clientID, demo.ClientID, 1), 400, "Invalid parameter client_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.contains) {
				t.Fatalf("%d, want %d with %q: %s", resp.StatusCode, tc.status, tc.contains, b)
			}
		})
	}

	t.Run("the code exchange takes the configured credentials only", func(t *testing.T) {
		code := connectCode(t, base, authorize(registered))
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {registered}}
		for _, tc := range []struct {
			name, id, secret string
			status           int
		}{
			{"the demo's credentials", demo.ClientID, demo.ClientSecret, 401},
			{"the environment's secret, overridden by the flag", clientID, envSecret, 401},
			{"the configured id and the flag's secret", clientID, flagSecret, 200},
		} {
			status, body := tokenExchange(t, base, tc.id, tc.secret, form)
			if status != tc.status || (status == 200 && body["access_token"] == nil) {
				t.Errorf("%s: %d %v, want %d", tc.name, status, body, tc.status)
			}
		}
	})

	t.Run("the management token is the configured one", func(t *testing.T) {
		for _, tc := range []struct {
			token  string
			status int
		}{{demo.ManagementToken, 401}, {amt, 200}} {
			req, _ := http.NewRequest("GET", base+"/v2.0/management/connections", nil)
			req.SetBasicAuth("default", tc.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("AMT %q: %d, want %d", tc.token, resp.StatusCode, tc.status)
			}
		}
	})
}
