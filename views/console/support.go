package console

import (
	"context"

	"reconnect/internal/i18n"
	"reconnect/internal/useragent"
)

// agentWords says a user agent as "Chrome 131 on macOS", with what is
// known of it.
func agentWords(ctx context.Context, a useragent.Agent) string {
	browser := a.Browser
	if browser != "" && a.Version != "" {
		browser += " " + a.Version
	}
	switch {
	case browser != "" && a.OS != "":
		return i18n.T(ctx, "console.support.ua_browser_on", map[string]any{"Browser": browser, "OS": a.OS})
	case browser != "":
		return browser
	case a.OS != "":
		return i18n.T(ctx, "console.support.ua_unknown_on", map[string]any{"OS": a.OS})
	}
	return i18n.T(ctx, "console.support.ua_unknown")
}
