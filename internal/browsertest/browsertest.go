// Package browsertest drives headless Chromium (chromedp) for the end-to-end
// tests and runs axe-core on the pages it sees. Without a browser the tests
// skip, unless REQUIRE_BROWSER=1 makes that a failure.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// UserAgent is an ordinary desktop Chrome's user agent. Headless Chromium
// says "HeadlessChrome", which the app rightly treats as a link scanner
// (links.IsAutomated); the tests play a person, so they say what a
// person's browser says.
const UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// Chrome finds the browser: CHROME_PATH, then the usual names on PATH.
func Chrome() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		// A CHROME_PATH that names nothing means "no browser here".
		if _, err := os.Stat(p); err != nil {
			return ""
		}
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// Require skips (or fails under REQUIRE_BROWSER=1) when there is no browser.
func Require(t testing.TB) string {
	t.Helper()
	p := Chrome()
	if p == "" {
		if os.Getenv("REQUIRE_BROWSER") == "1" {
			t.Fatal("REQUIRE_BROWSER=1 but no Chromium found (set CHROME_PATH or install chromium)")
		}
		t.Skip("browser tests skipped: no Chromium found (set CHROME_PATH or install chromium)")
	}
	return p
}

// New starts a fresh browser with an empty profile and returns its context;
// it is closed when the test ends. The whole test is bounded by timeout.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := Require(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.DisableGPU,
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserAgent(UserAgent),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(func(string, ...any) {}))
	// The first Run starts the browser; it must not carry the timeout.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start browser: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelT()
		cancel()
		cancelAlloc()
	})
	return tctx
}

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

func loadAxe() (string, error) {
	axeOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		b, err := os.ReadFile(filepath.Join(root, "testdata", "axe", "axe.min.js"))
		axeJS, axeErr = string(b), err
	})
	return axeJS, axeErr
}

// Violation is one axe-core finding.
type Violation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// Axe runs axe-core against the current page for WCAG 2.x A and AA.
func Axe(ctx context.Context) ([]Violation, error) {
	js, err := loadAxe()
	if err != nil {
		return nil, fmt.Errorf("load axe-core: %w", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](js+";true")); err != nil {
		return nil, fmt.Errorf("inject axe-core: %w", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a","wcag2aa","wcag21a","wcag21aa","wcag22aa"]}}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	var vs []Violation
	return vs, json.Unmarshal([]byte(raw), &vs)
}

// NoAxeViolations fails the test with a readable list of violations.
func NoAxeViolations(t testing.TB, ctx context.Context, label string) {
	t.Helper()
	vs, err := Axe(ctx)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	if len(vs) == 0 {
		return
	}
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s: %s", v.ID, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n    %v %s", n.Target, n.HTML)
		}
	}
	t.Errorf("%s: %d axe-core violation(s):%s", label, len(vs), b.String())
}

// Text returns the visible text of the first element matching the CSS selector.
func Text(ctx context.Context, sel string) (string, error) {
	return chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
}

// Location returns the current URL.
func Location(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Location())
}

// TestID builds a CSS selector for a data-testid.
func TestID(id string) chromedp.CSS {
	return chromedp.CSS(`[data-testid="` + id + `"]`)
}
