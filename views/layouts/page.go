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
	// HideSwitcher hides the owner pages' language switcher (the console
	// offers its own, stored with the staff member).
	HideSwitcher bool
	Languages    []i18n.Language
	// SupportURL and SupportEmail, when set, are offered as "Questions?"
	// on every page an owner may be stuck on.
	SupportURL   string
	SupportEmail string
	// Brand is the host app's logo, colour and icon; empty fields leave ours.
	Brand Brand
}

// Brand is what the pages show of the host app's brand.
type Brand struct {
	// LogoURL replaces the app's name in the header; LogoAlt (the app's
	// name) is its text alternative.
	LogoURL string
	LogoAlt string
	// CSSURL is the stylesheet that sets the brand colour.
	CSSURL     string
	FaviconURL string
}
