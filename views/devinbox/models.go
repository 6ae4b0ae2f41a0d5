// Package devinbox shows what the in-process SMTP server of the demo
// received. It exists only in development; its text is English.
package devinbox

import (
	"time"

	"reconnect/views/layouts"
)

// Row is one message in the list.
type Row struct {
	ID         int
	ReceivedAt time.Time
	To         string
	Subject    string
}

// ListView lists the messages, newest first.
type ListView struct {
	layouts.Page
	Rows []Row
}

// Header is one header line.
type Header struct {
	Name, Value string
}

// MessageView shows one message: headers, the text part, and links to the
// HTML part and the raw source.
type MessageView struct {
	layouts.Page
	ID      int
	Subject string
	Headers []Header
	Parts   string
	Text    string
	HasHTML bool
}
