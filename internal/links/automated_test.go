package links_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reconnect/internal/links"
)

// corpus reads one user agent per line, skipping comments and blank lines.
func corpus(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "useragents", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("%s holds only %d user agents", name, len(out))
	}
	return out
}

func post(ua string, cookie bool) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/l/token", nil)
	r.Header.Set("User-Agent", ua)
	if cookie {
		r.Header.Set("Cookie", "rc_csrf=x")
	}
	return r
}

// Every scanner in the corpus is a machine, with a reason, whether it
// fetches the page or presses its button with the page's cookies.
func TestIsAutomatedRecognisesEveryScannerInTheCorpus(t *testing.T) {
	for _, ua := range append(corpus(t, "scanners.txt"), "") {
		for _, r := range []*http.Request{httptest.NewRequest(http.MethodGet, "/l/token", nil), post(ua, true)} {
			r.Header.Set("User-Agent", ua)
			if auto, reason := links.IsAutomated(r); !auto || reason == "" {
				t.Errorf("%s %q: automated=%v reason=%q, want a machine", r.Method, ua, auto, reason)
			}
		}
	}
}

// Every person's browser in the corpus, in-app web views included, is a
// person, on the landing page and on Continue.
func TestIsAutomatedLetsEveryBrowserInTheCorpusThrough(t *testing.T) {
	for _, ua := range corpus(t, "browsers.txt") {
		get := httptest.NewRequest(http.MethodGet, "/l/token", nil)
		get.Header.Set("User-Agent", ua)
		for _, r := range []*http.Request{get, post(ua, true)} {
			if auto, reason := links.IsAutomated(r); auto {
				t.Errorf("%s %q: classified as automated (%s)", r.Method, ua, reason)
			}
		}
	}
}

// A button press that brings back no cookie did not come from the page we
// served; a first GET never has one, so it is not held against it.
func TestIsAutomatedCountsACookielessPostAsAMachine(t *testing.T) {
	ua := corpus(t, "browsers.txt")[0]
	if auto, reason := links.IsAutomated(post(ua, false)); !auto || reason != links.AutomatedNoCookies {
		t.Fatalf("cookieless POST: automated=%v reason=%q", auto, reason)
	}
	get := httptest.NewRequest(http.MethodGet, "/l/token", nil)
	get.Header.Set("User-Agent", ua)
	if auto, _ := links.IsAutomated(get); auto {
		t.Fatal("a first visit without cookies was counted as a machine")
	}
}
