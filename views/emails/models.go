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
	// Notices are the migration campaigns the email tells of, each with
	// its own cars; Cars are the cars that broke.
	Notices []Notice
	Cars    []Car
	// HowLong and Kept reassure: a minute, nothing lost.
	HowLong  string
	Kept     string
	Validity string
	// LinkHelp introduces the plain addresses for when a button does not work.
	LinkHelp string
	Ignore   string
	// Support is "Questions? …": where to get help, when configured.
	Support string
	SignOff string
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

// Notice is one migration campaign's section: what changes and when, what
// to do, and a button per car.
type Notice struct {
	Heading  string
	Reason   string
	ToDo     string
	DaysLeft string
	Cars     []Car
}

// AllCars lists every button's car, the campaigns' first, for the plain
// addresses at the end.
func (m Message) AllCars() []Car {
	var out []Car
	for _, n := range m.Notices {
		out = append(out, n.Cars...)
	}
	return append(out, m.Cars...)
}

// SeveralLinks reports whether the email has more than one button, so the
// plain addresses need the car's name beside them.
func (m Message) SeveralLinks() bool { return len(m.AllCars()) > 1 }
