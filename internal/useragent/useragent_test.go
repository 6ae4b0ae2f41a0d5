package useragent_test

import (
	"testing"

	"reconnect/internal/useragent"
)

// Real headers, as browsers and tools send them.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, ua string
		want     useragent.Agent
	}{
		{"Chrome on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			useragent.Agent{Browser: "Chrome", Version: "131", OS: "macOS"}},
		{"Chrome on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
			useragent.Agent{Browser: "Chrome", Version: "130", OS: "Windows"}},
		{"Chrome on Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			useragent.Agent{Browser: "Chrome", Version: "131", OS: "Linux"}},
		{"Chrome on Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36",
			useragent.Agent{Browser: "Chrome", Version: "131", OS: "Android"}},
		{"Chrome on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
			useragent.Agent{Browser: "Chrome", Version: "131", OS: "iOS"}},
		{"Chrome on ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			useragent.Agent{Browser: "Chrome", Version: "131", OS: "ChromeOS"}},
		{"Safari on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
			useragent.Agent{Browser: "Safari", Version: "18", OS: "macOS"}},
		{"Safari on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
			useragent.Agent{Browser: "Safari", Version: "18", OS: "iOS"}},
		{"Safari on iPad", "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1",
			useragent.Agent{Browser: "Safari", Version: "17", OS: "iOS"}},
		{"Firefox on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
			useragent.Agent{Browser: "Firefox", Version: "133", OS: "Windows"}},
		{"Firefox on Linux", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
			useragent.Agent{Browser: "Firefox", Version: "132", OS: "Linux"}},
		{"Firefox on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
			useragent.Agent{Browser: "Firefox", Version: "133", OS: "iOS"}},
		{"Edge on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
			useragent.Agent{Browser: "Edge", Version: "131", OS: "Windows"}},
		{"Edge on Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
			useragent.Agent{Browser: "Edge", Version: "131", OS: "Android"}},
		{"Opera on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0",
			useragent.Agent{Browser: "Opera", Version: "115", OS: "Windows"}},
		{"Samsung Internet", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
			useragent.Agent{Browser: "Samsung Internet", Version: "26", OS: "Android"}},
		{"Internet Explorer 11", "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
			useragent.Agent{Browser: "Internet Explorer", Version: "11", OS: "Windows"}},
		{"headless Chromium", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
			useragent.Agent{Browser: "Headless Chrome", Version: "131", OS: "Linux"}},
		{"curl", "curl/8.5.0", useragent.Agent{Browser: "curl", Version: "8"}},
		{"Go's client", "Go-http-client/1.1", useragent.Agent{Browser: "Go HTTP client", Version: "1"}},
		{"nothing", "", useragent.Agent{}},
		{"something else", "SomeBot (+https://example.com/bot)", useragent.Agent{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := useragent.Parse(tc.ua); got != tc.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tc.ua, got, tc.want)
			}
		})
	}
}
