// Package unsubscribe is the page behind the unsubscribe link in every
// email.
package unsubscribe

import "reconnect/views/layouts"

// View is the page: a question with one button, the confirmation, or the
// explanation of a link that does not work. Strings arrive translated.
type View struct {
	layouts.Page
	Heading string
	Body    string
	// Action is where the button posts; empty shows no button.
	Action string
	Button string
	Done   bool
}
