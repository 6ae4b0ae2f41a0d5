// Package emails renders the emails owners receive: an HTML component and a
// plain-text rendering of the same view model. Every string arrives
// translated; nothing here knows about the database or SMTP.
package emails

// Message is one email's copy.
type Message struct {
	Lang    string
	AppName string
	Subject string
	// Preheader is the line inbox lists show after the subject.
	Preheader string
	Heading   string
	Greeting  string
	Intro     string
	Cars      []Car
	// HowLong and Kept reassure: a minute, nothing lost.
	HowLong  string
	Kept     string
	Validity string
	// LinkHelp introduces the plain addresses for when a button does not work.
	LinkHelp string
	Ignore   string
	SignOff  string
	// Footer: why the owner gets this, and the way out.
	Why              string
	UnsubscribeLabel string
	UnsubscribeURL   string
}

// Car is one vehicle in an email, with its own button.
type Car struct {
	// Title is shown as a heading when an email covers several cars.
	Title  string
	Reason string
	ToDo   string
	Button string
	URL    string
}

// Several reports whether the email covers more than one car.
func (m Message) Several() bool { return len(m.Cars) > 1 }
