package links

import (
	"net/http"
	"regexp"
	"strings"
)

// Reasons IsAutomated gives; the event's detail stores them, and a funnel
// may group by them.
const (
	AutomatedNoUserAgent = "no_user_agent"
	AutomatedNotBrowser  = "not_a_browser"
	AutomatedHeadless    = "headless_browser"
	AutomatedScanner     = "mail_scanner"
	AutomatedPreview     = "link_preview"
	AutomatedNoCookies   = "no_cookies"
)

// automatedMarkers are lower-case pieces of user agents that only machines
// send, with the reason each stands for. testdata/useragents holds the
// corpus they were chosen against, with sources.
var automatedMarkers = []struct{ marker, reason string }{
	{"headlesschrome", AutomatedHeadless},
	{"phantomjs", AutomatedHeadless},
	{"puppeteer", AutomatedHeadless},
	{"playwright", AutomatedHeadless},
	{"selenium", AutomatedHeadless},
	{"webdriver", AutomatedHeadless},

	{"ms-office", AutomatedScanner},
	{"msoffice", AutomatedScanner},
	{"microsoft office", AutomatedScanner},
	{"safelinks", AutomatedScanner},
	{"mimecast", AutomatedScanner},
	{"proofpoint", AutomatedScanner},
	{"barracuda", AutomatedScanner},
	{"symantec", AutomatedScanner},
	{"broadcom", AutomatedScanner},
	{"ciscosecureemail", AutomatedScanner},
	{"ironport", AutomatedScanner},
	{"trend micro", AutomatedScanner},
	{"trendmicro", AutomatedScanner},
	{"sophos", AutomatedScanner},
	{"fireeye", AutomatedScanner},
	{"trellix", AutomatedScanner},
	{"googleimageproxy", AutomatedScanner},
	{"google-safety", AutomatedScanner},
	{"google-inspectiontool", AutomatedScanner},
	{"appengine-google", AutomatedScanner},

	{"bingpreview", AutomatedPreview},
	{"slackbot", AutomatedPreview},
	{"facebookexternalhit", AutomatedPreview},
	{"telegrambot", AutomatedPreview},
	{"skypeuripreview", AutomatedPreview},
	{"discordbot", AutomatedPreview},
}

// botPattern catches the rest of the crawlers: "Somebot/1.0", a bare "bot"
// word, and the "+http://…" contact address that only robots carry. It
// deliberately does not match a device name such as "CUBOT X30".
var botPattern = regexp.MustCompile(`(?i)[a-z]bot/|\bbot\b|crawler|spider|\+https?://|\btmes\b`)

// IsAutomated reports whether a request comes from a machine rather than a
// person: a mail security gateway that renders links and presses buttons, a
// headless browser, an HTTP library, a link-preview robot, or (for a
// request that changes something) a client that kept no cookie from the
// page it answers. reason says which, for the timeline.
//
// It is the one place that tells people from machines, so the landing
// page, the Continue button and the completion funnel count the same way.
func IsAutomated(r *http.Request) (bool, string) {
	ua := strings.TrimSpace(r.UserAgent())
	if ua == "" {
		return true, AutomatedNoUserAgent
	}
	low := strings.ToLower(ua)
	for _, m := range automatedMarkers {
		if strings.Contains(low, m.marker) {
			return true, m.reason
		}
	}
	if botPattern.MatchString(ua) {
		return true, AutomatedPreview
	}
	// Every browser a person uses today says "Mozilla/5.0" first; HTTP
	// libraries name themselves (curl/8, Go-http-client/1.1, okhttp/4).
	if !strings.HasPrefix(ua, "Mozilla/") {
		return true, AutomatedNotBrowser
	}
	// A GET is every first visit, cookie or not; a form post answers a page
	// we served, which set cookies a browser sends back.
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get("Cookie") == "" {
		return true, AutomatedNoCookies
	}
	return false, ""
}
