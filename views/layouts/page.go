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
	// Path is the page the language switcher reloads with ?lang=: the
	// page's own address, or, where that would repeat a one-time action
	// (the Connect callback), the page to show instead.
	Path string
	Wide bool
	// Banner sits above the header on every page (the impersonation banner).
	Banner templ.Component
	// HideSwitcher hides the language switcher (console pages are English).
	HideSwitcher bool
	Languages    []i18n.Language
}
