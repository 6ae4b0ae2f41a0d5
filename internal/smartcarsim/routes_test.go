package smartcarsim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// concrete turns a ServeMux pattern into a method and a path that it matches.
func concrete(pattern string) (method, path string) {
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		method, path = http.MethodGet, pattern
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(path, "/") {
		if b.Len() > 0 || seg != "" {
			b.WriteString("/")
		}
		if strings.HasPrefix(seg, "{") {
			seg = "v-" + strings.Trim(seg, "{}")
		}
		b.WriteString(seg)
	}
	path = b.String()
	if strings.HasSuffix(pattern, "/") {
		path += "no-such-path" // a subtree pattern: any path below it
	}
	return method, path
}

// Every route answers the same with and without one trailing slash, as
// Smartcar does; the official SDKs send several paths with the slash.
func TestEveryRouteAcceptsATrailingSlash(t *testing.T) {
	sim := New(Config{ClientID: testClientID})
	t.Cleanup(sim.Close)
	h := sim.handler(func(rt route) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Route", rt.pattern)
		})
	})
	for _, rt := range sim.routes() {
		method, path := concrete(rt.pattern)
		for _, p := range []string{path, path + "/"} {
			t.Run(method+" "+p, func(t *testing.T) {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(method, p, nil))
				if got := w.Header().Get("X-Route"); got != rt.pattern || w.Code != http.StatusOK {
					t.Fatalf("reached %q with %d (Location %q), want %q", got, w.Code, w.Header().Get("Location"), rt.pattern)
				}
			})
		}
	}
}

// Only one slash is dropped, and a query survives.
func TestTrailingSlashEdges(t *testing.T) {
	h := newHarness(t)
	u, tok := h.seed("slash@example.com", "TESLA")
	cases := []struct {
		name, path string
		status     int
	}{
		{"no slash", "/v2.0/vehicles?limit=1", 200},
		{"one slash with a query", "/v2.0/vehicles/?limit=1", 200},
		{"attributes with the slash", "/v2.0/vehicles/" + u.Vehicles[0].ID + "/", 200},
		{"two slashes are a different path", "/v2.0/vehicles/" + u.Vehicles[0].ID + "//", 404},
		{"unknown path with the slash", "/v2.0/nope/", 404},
		{"the version root", "/v2.0/", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			req, _ := http.NewRequest("GET", h.base+tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: %d, want %d", tc.path, resp.StatusCode, tc.status)
			}
		})
	}
}
