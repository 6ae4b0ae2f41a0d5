// Package emails renders the emails owners receive: an HTML component and a
// plain-text rendering of the same view model. Every string arrives
// translated; nothing here knows about the database or SMTP.
package emails

import "strings"

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
	// IntroText replaces Intro in the plain-text part when Intro speaks of
	// a button, which plain text does not have.
	IntroText string
	// Benefit says what the owner keeps receiving by reconnecting.
	Benefit string
	// Steps number what to do; StepsText is the same for plain text.
	StepsTitle string
	Steps      []string
	StepsText  []string
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
	// Thanks comes before the sign-off.
	Thanks string
	// Support is "Questions? …": where to get help, when configured.
	Support string
	SignOff string
	// Footer: why the owner gets this, and the way out.
	Why              string
	UnsubscribeLabel string
	UnsubscribeURL   string
	// Colon writes "label:" the way the language does (French puts a
	// non-breaking space before the colon).
	Colon string
	// The host's brand: an https logo (or none) and the button colour.
	LogoURL    string
	BrandColor string
}

// Labelled is "label:" in the message's language.
func (m Message) Labelled(label string) string {
	if m.Colon == "" {
		return label + ":"
	}
	return strings.Replace(m.Colon, "{label}", label, 1)
}

// Button is the colour of the buttons: the host's, or ours.
func (m Message) Button() string {
	if m.BrandColor != "" {
		return m.BrandColor
	}
	return "#0b57d0"
}

// Car is one vehicle in an email, with its own button.
type Car struct {
	// Title is shown as a heading when an email covers several cars.
	Title  string
	Reason string
	ToDo   string
	// Then says how to come back after fixing something at the carmaker:
	// the button (HTML) or the link (ThenText, plain text).
	Then     string
	ThenText string
	// FixURL and FixLabel link to the carmaker's page where the owner fixes
	// what only the carmaker can; FixHint says where to look when we know
	// no page.
	FixURL   string
	FixLabel string
	FixHint  string
	Button   string
	URL      string
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
