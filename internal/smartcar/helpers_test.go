package smartcar

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const fixtureDir = "../../testdata/smartcar"

// testNow is the fake clock every test client runs on.
var testNow = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtures returns every fixture whose name matches pattern, for fuzz seeds.
func fixtures(t testing.TB, pattern string) [][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(fixtureDir, pattern))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures match %s: %v", pattern, err)
	}
	var out [][]byte
	for _, n := range names {
		out = append(out, fixture(t, filepath.Base(n)))
	}
	return out
}

// newTestClient points every origin at one fake server.
func newTestClient(t *testing.T, h http.Handler, edit ...func(*Config)) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{
		ConnectURL:      srv.URL,
		AuthURL:         srv.URL,
		IAMURL:          srv.URL,
		APIURL:          srv.URL,
		VehicleAPIURL:   srv.URL,
		ManagementURL:   srv.URL,
		ClientID:        "8229df9f-91a0-4ff0-a1ae-a1f38ee24d07",
		ClientSecret:    "s3cr3t&=+/",
		ManagementToken: "amt-token",
		RedirectURI:     "https://reconnect.example/callback",
		HTTPClient:      srv.Client(),
		Now:             func() time.Time { return testNow },
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("SC-Request-Id", "req-"+http.StatusText(status))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
