// Package pages holds the generic pages: the start page and the error page.
package pages

import "reconnect/views/layouts"

// ErrorView is the error page's view model. Message is safe to show.
type ErrorView struct {
	layouts.Page
	Status  int
	Message string
}

// HomeView is the start page's view model.
type HomeView struct {
	layouts.Page
}
