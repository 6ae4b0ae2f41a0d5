// Package useragent reads a browser's User-Agent header well enough to say
// "Chrome 131 on macOS" in the audit log: the browser's name and major
// version and the operating system, from the tokens browsers have sent for
// years. It is for people reading a log, not for deciding anything.
package useragent

import "strings"

// Agent is what a User-Agent header says, as far as we can tell. A field
// is "" when the header does not say.
type Agent struct {
	Browser string // "Chrome", "Firefox", "Safari", "Edge", …
	Version string // the major version: "131"
	OS      string // "macOS", "Windows", "iOS", "Android", "Linux", …
}

// browsers are tried in order: many browsers name others in their header
// (Edge and Opera say "Chrome" and "Safari"; Chrome says "Safari"), so the
// most specific token comes first.
var browsers = []struct{ token, name string }{
	{"EdgA/", "Edge"},
	{"EdgiOS/", "Edge"},
	{"Edg/", "Edge"},
	{"Edge/", "Edge"},
	{"OPR/", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"YaBrowser/", "Yandex Browser"},
	{"Vivaldi/", "Vivaldi"},
	{"HeadlessChrome/", "Headless Chrome"},
	{"FxiOS/", "Firefox"},
	{"Firefox/", "Firefox"},
	{"CriOS/", "Chrome"},
	{"Chrome/", "Chrome"},
	{"curl/", "curl"},
	{"Wget/", "Wget"},
	{"python-requests/", "Python requests"},
	{"Go-http-client/", "Go HTTP client"},
	{"okhttp/", "OkHttp"},
	{"PostmanRuntime/", "Postman"},
}

// Parse reads a User-Agent header.
func Parse(ua string) Agent {
	var a Agent
	a.OS = osOf(ua)
	for _, b := range browsers {
		if v, ok := after(ua, b.token); ok {
			a.Browser, a.Version = b.name, v
			return a
		}
	}
	// Safari names its own version in "Version/"; only a header that says
	// Safari and nothing above is Safari.
	if strings.Contains(ua, "Safari/") && strings.Contains(ua, "AppleWebKit/") {
		a.Browser = "Safari"
		a.Version, _ = after(ua, "Version/")
		return a
	}
	if strings.Contains(ua, "Trident/") || strings.Contains(ua, "MSIE ") {
		a.Browser = "Internet Explorer"
		if v, ok := after(ua, "rv:"); ok {
			a.Version = v
		} else {
			a.Version, _ = after(ua, "MSIE ")
		}
	}
	return a
}

// osOf names the operating system; the phones first, as their headers
// also say "Mac OS X" (iOS) and "Linux" (Android).
func osOf(ua string) string {
	switch {
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"), strings.Contains(ua, "iPod"):
		return "iOS"
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "CrOS"):
		return "ChromeOS"
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "Macintosh"), strings.Contains(ua, "Mac OS X"):
		return "macOS"
	case strings.Contains(ua, "Linux"), strings.Contains(ua, "X11"):
		return "Linux"
	}
	return ""
}

// after returns the major version that follows token: the digits up to
// the first non-digit. ok is false when token is not there.
func after(ua, token string) (string, bool) {
	i := strings.Index(ua, token)
	if i < 0 {
		return "", false
	}
	rest := ua[i+len(token):]
	n := 0
	for n < len(rest) && n < 6 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	return rest[:n], true
}
