// Package layouts holds the page shells every screen renders inside.
package layouts

import (
	"github.com/a-h/templ"

	"reconnect/internal/i18n"
)

// Page is the view model every page starts from.
type Page struct {
	Title   string
	AppName string
	Lang    string
	CSRF    string
	// Path is where the language switcher returns to.
	Path string
	Wide bool
	// Banner sits above the header on every page (the impersonation banner).
	Banner templ.Component
	// HideSwitcher hides the language switcher (console pages are English).
	HideSwitcher bool
	Languages    []i18n.Language
	// SupportURL and SupportEmail, when set, are offered as "Questions?"
	// on every page an owner may be stuck on.
	SupportURL   string
	SupportEmail string
}
