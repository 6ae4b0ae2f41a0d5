// Package owner holds the owner's pages: the link landing, the list of
// vehicles, the decline form and the result of a trip to Connect.
package owner

import "reconnect/views/layouts"

// Chip is a state badge: a label and a tone (ok, danger, warn, info, neutral).
type Chip struct {
	Label string
	Tone  string
}

// VehicleCard is one vehicle on the owner's page. Every string is already
// translated by the handler.
type VehicleCard struct {
	ID       int64
	TestID   string // the Smartcar vehicle id, for data-testid hooks
	Title    string // "2021 Tesla Model 3"
	Nickname string
	Chip     Chip
	Reason   string
	ToDo     string
	Snoozed  string
	// Fix is where at the carmaker the owner fixes a carmaker-side problem.
	Fix OEMFix
	// Trust says, before the Reconnect button, who connects to the car and
	// that the password stays with the carmaker.
	Trust string
	// Actions
	CanReconnect bool
	CanConnect   bool
	CanDecline   bool
	KeyURL       string
	Attention    bool
	// Declined: the owner said no; Reconnect is offered quietly, as
	// "I changed my mind", not as the thing to do.
	Declined bool
	// Campaign is the carmaker migration the car must be re-authenticated
	// for, or has been; nil when there is none.
	Campaign *CampaignCard
	// Preview shows the card as the owner sees it, to staff in the
	// console: the buttons are there but do nothing.
	Preview bool
}

// OEMFix sends the owner to the carmaker: a link to the page for their
// make and problem, or, when we know none, a sentence saying where to look.
type OEMFix struct {
	URL   string
	Label string
	Hint  string
}

// CampaignCard tells of a migration campaign on a car's card, in the
// owner's language and time zone.
type CampaignCard struct {
	Heading  string // "Tesla moves to a new platform on 3 March"
	Reason   string
	ToDo     string
	DaysLeft string // "12 days left."
	// Done replaces the rest once the car is re-authenticated: "You're all
	// set for 3 March".
	Done string
}

// InApp is shown when the page was opened in an app's built-in browser.
type InApp struct {
	Show bool
	// URL is the address to open in the real browser, shown to copy.
	URL string
	// Open is what the "Open in your browser" button follows: an Android
	// intent: URL or an iOS browser scheme that leaves the web view, or
	// URL itself where nothing better is known.
	Open string
}

// VehiclesView is the owner's page.
type VehiclesView struct {
	layouts.Page
	Greeting string
	Summary  string
	Flash    string
	Vehicles []VehicleCard
	ReadOnly bool
	InApp    InApp
}

// LandingView is what a link shows before the one click that opens the page.
type LandingView struct {
	layouts.Page
	Action  string // the form's action: the link's own path
	Intro   string
	Fixed   string
	Car     string
	InApp   InApp
	Heading string
}

// LinkProblemView explains an expired, used or unknown link (or an ended
// session) and offers a fresh link by email.
type LinkProblemView struct {
	layouts.Page
	Heading string
	Explain string
	Sent    bool
	Email   string
	Error   string
	// Renew, when set, is the one-click "email me a new link" form's
	// action: the link names its owner, so nobody types an address.
	Renew string
	// Neutral pages (what a link scanner gets) offer nothing.
	Neutral bool
}

// DeclineView is the "I don't want to reconnect" form.
type DeclineView struct {
	layouts.Page
	Vehicle VehicleCard
	Reasons []Option
	Error   string
}

// Option is one radio button.
type Option struct {
	Value string
	Label string
}

// ResultView is the page after a trip to Connect, or after a refused state.
type ResultView struct {
	layouts.Page
	Success   bool
	Heading   string
	Body      string
	Next      string
	ReturnURL string
	ReturnTo  string
	// RetryVehicle offers Reconnect again on the same page.
	RetryVehicle *VehicleCard
	// Elsewhere: a browser without the owner's session; the page offers
	// no way into the owner's page.
	Elsewhere bool
}

// CodeView is the form an owner types a short code into.
type CodeView struct {
	layouts.Page
	// Code is what they typed, shown again with Error.
	Code  string
	Error string
}
