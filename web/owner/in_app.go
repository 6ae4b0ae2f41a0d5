package owner

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/links"
	"reconnect/internal/model"
	ownerviews "reconnect/views/owner"
)

// inAppBrowser reports whether the user agent is an app's built-in
// browser, where carmaker logins are often blocked and cookies do not
// follow the owner to their real browser.
func inAppBrowser(ua string) bool {
	for _, marker := range []string{"FBAN", "FBAV", "FB_IAB", "Instagram", "Line/", "LinkedInApp", "Twitter", "Snapchat", "GSA/", "; wv)", "MicroMessenger", "Pinterest"} {
		if strings.Contains(ua, marker) {
			return true
		}
	}
	// iOS apps (Gmail, Outlook) show links in a WKWebView, whose user agent
	// lacks the "Safari/" every iOS browser (Safari, Chrome, Firefox) sends.
	return isIOS(ua) && !strings.Contains(ua, "Safari/")
}

func isIOS(ua string) bool {
	return strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad") || strings.Contains(ua, "iPod")
}

// inAppOffer is the "open in your browser" notice for a web view, offering
// target (an absolute address that works in another browser) in the form
// most likely to leave the web view: on Android an intent: URL, which the
// system hands to the default browser (falling back to the address
// itself); on iOS Safari's own x-safari- scheme (iOS 17 and later). The
// address is also shown to copy, for everything else.
func inAppOffer(ua, target string) ownerviews.InApp {
	if !inAppBrowser(ua) {
		return ownerviews.InApp{}
	}
	offer := ownerviews.InApp{Show: true, URL: target, Open: target}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return offer
	}
	switch {
	case strings.Contains(ua, "Android"):
		offer.Open = "intent://" + u.Host + u.EscapedPath() + "#Intent;scheme=" + u.Scheme +
			";action=android.intent.action.VIEW;S.browser_fallback_url=" + url.QueryEscape(target) + ";end"
	case isIOS(ua):
		offer.Open = "x-safari-" + target
	}
	return offer
}

// inAppEscape offers a web view a way out to the real browser. The owner
// page's own address would answer 401 there (the session cookie stays in
// the web view), so the offer is a fresh single-use link that lives for
// minutes and opens a session in whichever browser follows it.
func (h *Handler) inAppEscape(c echo.Context, ownerID int64) (ownerviews.InApp, error) {
	ua := c.Request().UserAgent()
	if !inAppBrowser(ua) || h.Links == nil {
		return ownerviews.InApp{}, nil
	}
	m, err := h.Links.Mint(c.Request().Context(), nil, links.Mint{
		OwnerID: ownerID, Purpose: model.PurposeInApp, Source: model.SourceOwner, SourceRef: "open-in-browser",
	})
	if err != nil {
		return ownerviews.InApp{}, err
	}
	return inAppOffer(ua, m.URL), nil
}
