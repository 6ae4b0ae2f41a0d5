package console

// AutoPauseBanner tells staff a campaign paused itself: why, with the
// numbers, and what to do.
type AutoPauseBanner struct {
	// Title names the campaign; URL opens its page (on the list).
	Title string
	URL   string
	// Reason is the sentence with the numbers; Next says what now.
	Reason string
	Next   string
	// ResumeURL is the resume confirmation, for admins; "" for agents.
	ResumeURL   string
	ResumeLabel string
}

// StuckRow is an owner who started reconnecting for the campaign and did
// not finish: for support to call.
type StuckRow struct {
	Owner    string
	OwnerURL string
	Email    string
	Phone    string
	// PhoneURL is a tel: link to the number; "" when there is none.
	PhoneURL string
	Vehicle  string
	VIN      string
	Since    string
	// Error is Connect's error of the last failed trip, in words; "" when
	// the owner just did not come back.
	Error string
}

// FollowUpView is the campaign page's follow-up part: the action (admins)
// and the list of owners who are stuck.
type FollowUpView struct {
	// URL is the follow-up's confirmation; "" when it is not offered (an
	// agent, or a campaign that is not running).
	URL   string
	Label string
	Hint  string
	// The stuck owners, the longest waiting first; More says the list
	// was cut.
	Heading string
	Intro   string
	Empty   string
	Columns []string
	Rows    []StuckRow
	More    string
}
